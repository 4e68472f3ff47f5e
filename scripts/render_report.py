"""Rule report: read the artifacts, render the templates, write the HTML and the PDF."""

from pathlib import Path

import yaml

from hw4.io.files import atomic_path
from hw4.io.logs import setup_logging
from hw4.io.provenance import package_versions
from hw4.report.context import build_context
from hw4.report.render import render_html, write_pdf

log = setup_logging(snakemake.log[0])
inputs = {
    k: v
    for k, v in snakemake.input.items()
    if k not in ("benchmarks", "templates", "layout", "figures")
}
inputs["benchmarks"] = snakemake.params.benchmarks
original = yaml.safe_load(Path(snakemake.input.original).read_text(encoding="utf-8"))
order = yaml.safe_load(Path(snakemake.input.sections).read_text(encoding="utf-8"))
context = build_context(
    inputs, snakemake.params.sections, snakemake.params.config, snakemake.params.repo, original
)
context["provenance"]["versions"].update(package_versions(["jinja2", "weasyprint", "ziamath"]))
context["section_list"] = [
    s for s in order if s["key"] == "data" or s["key"] in snakemake.params.sections
]
figures = {key: Path(path).resolve().as_uri() for key, path in snakemake.params.figures.items()}
html = render_html(snakemake.params.template_dir, context, snakemake.input.stylesheet, figures)
with atomic_path(snakemake.output.html, suffix=".html") as tmp:
    tmp.write_text(html, encoding="utf-8")
warnings = write_pdf(
    html, Path(snakemake.output.html).parent, snakemake.output.pdf, context["report"]["date"]
)
for warning in warnings:
    log.warning("weasyprint: %s", warning)
log.info("wrote %s", snakemake.output.pdf)
