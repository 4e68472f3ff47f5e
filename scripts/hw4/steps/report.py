"""Step of rule report: the context from the artifacts, the sections, the HTML and the PDF.

Reads artifacts only (JSON, CSV, PNG, benchmark files); never imports TensorFlow.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hw4.io.provenance import package_versions
from hw4.report.claims import load_catalogue
from hw4.report.context import SECTION_MODULES, build_context, saved_context
from hw4.report.manifest import attachment_texts, build_manifest, printed_numbers
from hw4.report.render import claims_directory, render_html, render_pdf

log = logging.getLogger("hw4")

# The report's own stack, listed in the appendix beside the versions the artifacts record.
REPORT_PACKAGES = ["jinja2", "weasyprint", "ziamath", "jdatetime", "pygments"]


def run(
    artifacts: dict[str, str],
    figures: dict[str, str],
    rules: dict[str, dict],
    sections: list[dict],
    settings: dict,
    preview: dict | None,
    config_sha256: str,
    original: dict,
    listings: dict,
    repo: str,
    template_dir: str,
    stylesheet: str,
    config: dict | None = None,
    snakemake_version: str = "unknown",
) -> dict:
    """The report of the artifacts: ``{"html": str, "pdf": bytes, "context": str}``, the
    last the context it rendered as JSON (``hw4.report.context.saved_context``).

    ``artifacts`` and ``figures`` map the names the templates use to files; ``rules`` maps
    every rule whose outputs the report reads to ``{script, benchmark, outputs}``;
    ``sections`` is report/sections.yaml in the homework's order; ``settings`` is the
    config's ``report`` block; ``preview`` the settings below the full budget
    (``hw4.report.preview.preview_budget``) or None for a full-budget run; ``original`` the
    numbers quoted from the original hand-in; ``listings`` report/listings.yaml, the
    functions shown as code (``hw4.report.listings``); ``config`` the resolved config and
    ``snakemake_version`` the version that ran the build, for the PDF's attached manifest
    (``hw4.report.manifest``: the manifest and every printed number, attached to the PDF).
    Raises ``MissingArtifact`` naming the file when an artifact is absent, and RuntimeError
    when a glyph is missing from the fonts.
    """
    context = build_context(
        artifacts, figures, rules, sections, settings, config_sha256, repo, original, listings
    )
    context["provenance"]["versions"].update(package_versions(REPORT_PACKAGES))
    context["preview"] = preview
    # Every number the report prints and the manifest a rebuild is checked against
    # (hw4.verify), taken before the appendix's run details join the context.
    catalogue = load_catalogue(claims_directory(template_dir))
    claims = {
        key: {"verdict": c.verdict, "values": c.values} for key, c in context["claims"].items()
    }
    numbers = printed_numbers(context, claims, artifacts, SECTION_MODULES, catalogue)
    manifest = build_manifest(
        context,
        config or {},
        config_sha256,
        snakemake_version,
        {"artifacts": artifacts, "figures": figures, "rules": rules},
        repo,
    )
    attachments = attachment_texts(manifest, numbers)
    context["provenance"]["run"] = {
        **manifest["git"],
        **{key: manifest["environment"][key] for key in ("python", "snakemake", "os", "cpus")},
        "threads": manifest["environment"]["threads_configured"],
        "data_packages": {
            name: record["package"] for name, record in manifest["data_sources"].items()
        },
        "attachments": {name: len(text.encode("utf-8")) for name, text in attachments.items()},
        "numbers": len(numbers),
    }
    figure_uris = {name: Path(path).resolve().as_uri() for name, path in figures.items()}
    html = render_html(template_dir, context, stylesheet, figure_uris)
    log.info("report: %d sections rendered to HTML", len(sections))
    pdf = render_pdf(html, template_dir, context["report"]["date"], attachments)
    log.info("report: PDF of %d bytes", len(pdf))
    return {"html": html, "pdf": pdf, "context": saved_context(context)}
