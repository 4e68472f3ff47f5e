"""Rule report: wires Snakemake to hw4.steps.report and writes the HTML and the PDF."""

from hw4.io.files import read_yaml, write_bytes, write_text
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])

from hw4.steps import report  # noqa: E402

result = report.run(
    artifacts=snakemake.params.artifacts,
    figures=snakemake.params.figures,
    rules=snakemake.params.rules,
    sections=read_yaml(snakemake.input.sections),
    settings=snakemake.params.settings,
    preview=snakemake.params.preview,
    config_sha256=snakemake.params.config_sha256,
    original=read_yaml(snakemake.input.original),
    listings=read_yaml(snakemake.input.listings),
    repo=snakemake.params.repo,
    template_dir=snakemake.params.template_dir,
    stylesheet=snakemake.input.stylesheet,
    config=snakemake.params.config,
    snakemake_version=snakemake.params.snakemake_version,
)
write_text(snakemake.output.html, result["html"])
write_text(snakemake.output.context, result["context"])
write_bytes(snakemake.output.pdf, result["pdf"])
