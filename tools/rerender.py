"""Render the report again from the context a build saved, without Snakemake: for working
on the templates and the stylesheet. The PDF is written beside nothing the workflow owns.

    .venv/bin/python tools/rerender.py results/report/hw4-report.context.json /tmp/report.pdf

``--full-budget`` drops the preview's notes, to see a preview build's pages as a
full-budget build lays them out. The workflow's own report rule is the way to build the
hand-in; this is a development aid.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from hw4.report.context import loaded_context  # noqa: E402
from hw4.report.render import render_html, render_pdf  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("context", type=Path)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--full-budget", action="store_true")
    arguments = parser.parse_args()
    start = time.perf_counter()
    context = loaded_context(arguments.context.read_text(encoding="utf-8"))
    if arguments.full_budget:
        context["preview"] = None
    base = arguments.context.resolve().parents[2]  # the folder holding results/
    figures = {
        name: (base / source["file"]).resolve().as_uri()
        for name, source in context["sources"].items()
    }
    html = render_html(
        REPO / "report" / "templates", context, REPO / "report" / "css" / "report.css", figures
    )
    arguments.pdf.write_bytes(
        render_pdf(html, REPO / "report" / "templates", context["report"]["date"])
    )
    print(f"{arguments.pdf}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
