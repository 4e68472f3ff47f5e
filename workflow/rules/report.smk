# The report: one Jinja2 template rendered to PDF with WeasyPrint. It reads
# artifacts only (no TensorFlow), so a template change re-renders in seconds.

# Analyses the report has a section for, in the homework's order.
REPORT_SECTIONS = ["q5", "q7"]

# Rules whose Snakemake benchmark files the appendix tabulates.
BENCHMARKED = {
    "mnist": "benchmarks/data/mnist.tsv",
    "energy": "benchmarks/data/energy.tsv",
    "q5_shapes": "benchmarks/shapes/q5_shapes.tsv",
    "train_cnn": "benchmarks/cnn/train_cnn.tsv",
    "gradcam": "benchmarks/gradcam/gradcam.tsv",
}

# Figures the report embeds, by the name the templates use.
REPORT_FIGURES = {
    "cnn_digits": rules.train_cnn.output.digits,
    "cnn_curves": rules.train_cnn.output.curves,
    "cnn_confusion": rules.train_cnn.output.confusion,
    "gradcam_grid": rules.gradcam.output.grid,
    "gradcam_classes": rules.gradcam.output.class_maps,
    "gradcam_sanity": rules.gradcam.output.sanity,
    "gradcam_deletion": rules.gradcam.output.deletion,
}


rule report:
    input:
        mnist=rules.mnist.output.data,
        mnist_provenance=rules.mnist.output.provenance,
        energy=rules.energy.output.table,
        energy_provenance=rules.energy.output.provenance,
        q5_table=rules.q5_shapes.output.table,
        q5_padding=rules.q5_shapes.output.padding,
        q5_summary=rules.q5_shapes.output.summary,
        cnn_metrics=rules.train_cnn.output.metrics,
        cnn_history=rules.train_cnn.output.history,
        gradcam_metrics=rules.gradcam.output.metrics,
        figures=list(REPORT_FIGURES.values()),
        benchmarks=list(BENCHMARKED.values()),
        layout=in_repo("report/templates/report.html.j2"),
        templates=all_files_under(in_repo("report/templates")),
        stylesheet=in_repo("report/css/report.css"),
        sections=in_repo("report/sections.yaml"),
        original=in_repo("report/original_handin.yaml"),
    output:
        pdf="results/report/hw4-report.pdf",
        html="results/report/hw4-report.html",
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    conda:
        env("report")
    params:
        sections=REPORT_SECTIONS,
        benchmarks=BENCHMARKED,
        config=config,
        repo=lambda wildcards, input: str(Path(input.layout).parents[2]),
        template_dir=lambda wildcards, input: os.path.dirname(input.layout),
        figures={key: str(path) for key, path in REPORT_FIGURES.items()},
    script:
        "../../scripts/render_report.py"
