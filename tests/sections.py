"""Rendering one report section's template outside the workflow, for tests of its wording."""

from __future__ import annotations

import re
from pathlib import Path

from hw4.report.render import make_environment

TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"


class AnySource(dict):
    """The ``sources`` context for a section rendered alone: every artifact a stand-in record
    (the provenance lines themselves are tested on the whole report)."""

    def __missing__(self, name: str) -> dict:
        return {"rule": "rule", "file": f"results/{name}", "sha256": "0" * 64}


def render_section(section: str, language: str, context: dict) -> str:
    """One section in one language: its layout (``sections/<section>.html.j2``) with that
    language's text and the tables, equations and figures both languages share. A section
    without a layout (the results-at-a-glance page) is its language's template alone."""
    environment = make_environment(TEMPLATES)
    layout = f"sections/{section}.html.j2"
    if not (TEMPLATES / layout).exists():
        layout = f"sections/{section}.{language}.html.j2"
    template = environment.from_string(
        f'{{% import "macros.j2" as m with context %}}{{% include "{layout}" %}}'
    )
    return template.render(
        **{"sources": AnySource(), "figures": {}, "languages": [language], **context}
    )


def plain_text(html: str) -> str:
    """Tags removed and white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
