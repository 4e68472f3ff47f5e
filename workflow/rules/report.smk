# The report: one Jinja2 template rendered to PDF with WeasyPrint. It reads
# artifacts only (no TensorFlow), so a template change re-renders in seconds.
# Its sections, in the homework's order, are listed in report/sections.yaml.

from importlib.metadata import version as installed_version

import yaml

from hw4.config_check import config_hash
from hw4.report.dates import DateError, parse_report_date
from hw4.report.preview import preview_budget

# A date the schema's pattern lets through but that names no day (2026-02-30, or
# 1402/12/30 in a common year) stops the run here, before any job.
try:
    if config["report"]["date"]:
        parse_report_date(config["report"]["date"])
except DateError as error:
    sys.exit(f"config error: report.date: {error}")


SNAKEMAKE_VERSION = installed_version("snakemake")

# The full budget a preview names: the shipped config.yaml, schema defaults filled in.
FULL_BUDGET = yaml.safe_load(Path(in_repo("config.yaml")).read_text(encoding="utf-8"))
validate(FULL_BUDGET, SCHEMA)

# A preview (report.preview) lists each setting below the full budget; a full run, none.
PREVIEW = preview_budget(config, FULL_BUDGET) if config["report"]["preview"] else None

# Rules whose outputs the report shows. Under each table and figure the report names
# the rule that made it; the appendix lists each rule's script and benchmark.
REPORTED_RULES = [
    rules.mnist,
    rules.consumption,
    rules.q5_shapes,
    rules.tune_cnn,
    rules.train_cnn,
    rules.compare_cnns,
    rules.gradcam,
    rules.train_lstm,
    rules.lookback_sweep,
    rules.batchnorm_checks,
    rules.rnn_vs_cnn,
]

# Artifacts the report reads, by the name the report's context uses.
REPORT_ARTIFACTS = {
    "mnist": rules.mnist.output.data,
    "mnist_provenance": rules.mnist.output.provenance,
    "consumption": rules.consumption.output.table,
    "consumption_provenance": rules.consumption.output.provenance,
    "q5_table": rules.q5_shapes.output.table,
    "q5_padding": rules.q5_shapes.output.padding,
    "q5_summary": rules.q5_shapes.output.summary,
    "tuning_best": rules.tune_cnn.output.best,
    "tuning_trials": rules.tune_cnn.output.trials,
    "cnn_metrics": rules.train_cnn.output.metrics,
    "cnn_history": rules.train_cnn.output.history,
    "paired_test": rules.compare_cnns.output.paired_test,
    "gradcam_metrics": rules.gradcam.output.metrics,
    "lstm_metrics": rules.train_lstm.output.metrics,
    "lookback_summary": rules.lookback_sweep.output.summary,
    "batchnorm": rules.batchnorm_checks.output.checks,
    "rnn_vs_cnn": rules.rnn_vs_cnn.output.measurements,
}

# The functions shown on the page as they ran (report/listings.yaml): their files are
# inputs, so an edited implementation re-renders its listing.
REPORT_LISTINGS = yaml.safe_load(Path(in_repo("report/listings.yaml")).read_text(encoding="utf-8"))

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
    "lstm_curves": rules.lookback_sweep.output.curves,
    "lstm_lookback": rules.lookback_sweep.output.plot,
    "bn_small": rules.batchnorm_checks.output.small_batches,
    "bn_convergence": rules.batchnorm_checks.output.convergence,
    "rnn_timing": rules.rnn_vs_cnn.output.plot,
}


rule report:
    input:
        artifacts=list(REPORT_ARTIFACTS.values()),
        figures=list(REPORT_FIGURES.values()),
        benchmarks=[reported.benchmark for reported in REPORTED_RULES],
        templates=all_files_under(in_repo("report/templates")),
        claims=all_files_under(in_repo("report/claims")),
        listings=in_repo("report/listings.yaml"),
        listed_sources=sorted({in_repo(entry["file"]) for entry in REPORT_LISTINGS.values()}),
        stylesheet=in_repo("report/css/report.css"),
        sections=in_repo("report/sections.yaml"),
        original=in_repo("report/original_handin.yaml"),
    output:
        pdf="results/report/hw4-report.pdf",
        html="results/report/hw4-report.html",
        context="results/report/hw4-report.context.json",
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    conda:
        env("report")
    params:
        code=code_of("report.py"),
        settings=config["report"],
        preview=PREVIEW,
        # The appendix prints the config's digest, so the report follows every config change.
        config_sha256=config_hash(config),
        # The resolved config and the Snakemake that ran, attached to the PDF (hw4.verify).
        config=config,
        snakemake_version=SNAKEMAKE_VERSION,
        artifacts={name: str(path) for name, path in REPORT_ARTIFACTS.items()},
        figures={name: str(path) for name, path in REPORT_FIGURES.items()},
        rules={
            reported.rule.name: {
                "script": f"scripts/{Path(reported.rule.script).name}",
                "benchmark": str(reported.benchmark),
                "outputs": [str(path) for path in reported.output],
            }
            for reported in REPORTED_RULES
        },
        repo=lambda wildcards, input: str(Path(input.stylesheet).parents[2]),
        template_dir=lambda wildcards, input: str(Path(input.stylesheet).parents[1] / "templates"),
    script:
        "../../scripts/report.py"
