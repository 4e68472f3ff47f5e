# The report: one Jinja2 template rendered to PDF with WeasyPrint. It reads
# artifacts only (no TensorFlow), so a template change re-renders in seconds.

# Analyses the report has a section for, in the homework's order.
REPORT_SECTIONS = ["tuning", "q3", "q4", "q5", "q6", "q7"]

# Rules whose Snakemake benchmark files the appendix tabulates.
BENCHMARKED = {
    "mnist": "benchmarks/data/mnist.tsv",
    "consumption": "benchmarks/data/consumption.tsv",
    "q5_shapes": "benchmarks/shapes/q5_shapes.tsv",
    "tune_cnn": "benchmarks/tuning/tune_cnn.tsv",
    "train_cnn": "benchmarks/cnn/train_cnn.tsv",
    "gradcam": "benchmarks/gradcam/gradcam.tsv",
    "train_lstm": "benchmarks/lstm/train_lstm.tsv",
    "lookback_sweep": "benchmarks/lstm/lookback_sweep.tsv",
    "batchnorm_checks": "benchmarks/batchnorm/batchnorm_checks.tsv",
    "rnn_vs_cnn": "benchmarks/rnn_vs_cnn/rnn_vs_cnn.tsv",
}

# Figures the report embeds, by the name the templates use.
REPORT_FIGURES = {
    "tuning_trials": rules.tune_cnn.output.trial_plot,
    "tuning_space": rules.tune_cnn.output.space_plot,
    "tuning_curves": rules.tune_cnn.output.curves,
    "cnn_digits": rules.train_cnn.output.digits,
    "cnn_curves": rules.train_cnn.output.curves,
    "cnn_confusion": rules.train_cnn.output.confusion,
    "gradcam_grid": rules.gradcam.output.grid,
    "gradcam_classes": rules.gradcam.output.class_maps,
    "gradcam_sanity": rules.gradcam.output.sanity,
    "gradcam_deletion": rules.gradcam.output.deletion,
    "lstm_week": rules.train_lstm.output.week,
    "lstm_by_hour": rules.train_lstm.output.by_hour,
    "lstm_curves": rules.train_lstm.output.curves,
    "lstm_lookback": rules.lookback_sweep.output.plot,
    "bn_small": rules.batchnorm_checks.output.small_batches,
    "bn_convergence": rules.batchnorm_checks.output.convergence,
    "rnn_timing": rules.rnn_vs_cnn.output.plot,
}


rule report:
    input:
        mnist=rules.mnist.output.data,
        mnist_provenance=rules.mnist.output.provenance,
        consumption=rules.consumption.output.table,
        consumption_provenance=rules.consumption.output.provenance,
        q5_table=rules.q5_shapes.output.table,
        q5_padding=rules.q5_shapes.output.padding,
        q5_summary=rules.q5_shapes.output.summary,
        tuning_best=rules.tune_cnn.output.best,
        tuning_trials=rules.tune_cnn.output.trials,
        cnn_metrics=rules.train_cnn.output.metrics,
        cnn_history=rules.train_cnn.output.history,
        gradcam_metrics=rules.gradcam.output.metrics,
        lstm_metrics=rules.train_lstm.output.metrics,
        lookback_summary=rules.lookback_sweep.output.summary,
        batchnorm=rules.batchnorm_checks.output.checks,
        rnn_vs_cnn=rules.rnn_vs_cnn.output.measurements,
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
