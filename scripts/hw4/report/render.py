"""Render the report: Jinja2 templates -> HTML -> PDF with WeasyPrint.

Same artifacts, same bytes: the PDF's dates come from the context (never the
clock), fonts come from pip packages the project pins, and figures are read as
they are.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from hw4.report import typography
from hw4.report.claims import (
    check_catalogue,
    check_claims,
    claim_function,
    glance_rows,
    load_catalogue,
)
from hw4.report.fonts import FONT_FACES, font_file, foreign_fonts
from hw4.report.formulas import formula_img, inline_math
from hw4.report.listings import listing_css


def font_face_css() -> str:
    """@font-face rules for every face the report uses, from the pinned font wheels."""
    rules = []
    for family, faces in FONT_FACES.items():
        for module, file_name, style, weight in faces:
            url = font_file(module, file_name).as_uri()
            rules.append(
                f'@font-face {{ font-family: "{family}"; src: url("{url}"); '
                f"font-style: {style}; font-weight: {weight}; }}"
            )
    return "\n".join(rules)


def claims_directory(template_dir: str | Path) -> Path:
    """The claims' wordings (report/claims) beside the templates (report/templates)."""
    return Path(template_dir).parent / "claims"


def make_environment(template_dir: str | Path) -> jinja2.Environment:
    """The templates' environment, with the typography filters, the formula functions and
    ``claim(id, language)`` over the catalogue in report/claims (checked here: every verdict
    worded in both languages over the same values)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(typography.FILTERS)
    env.globals.update(typography.FILTERS, formula=formula_img, math=inline_math)
    catalogue = load_catalogue(claims_directory(template_dir))
    check_catalogue(env, catalogue)
    env.globals["claim"] = claim_function(env, catalogue)
    env.globals["claim_catalogue"] = catalogue
    return env


def render_html(
    template_dir: str | Path, context: dict, stylesheet: str | Path, figures: dict
) -> str:
    """The report's HTML: ``figures`` maps the names templates use to file URIs."""
    environment = make_environment(template_dir)
    catalogue = environment.globals["claim_catalogue"]
    check_claims(environment, catalogue, context["claims"])
    template = environment.get_template("report.html.j2")
    css = "\n".join([font_face_css(), Path(stylesheet).read_text(encoding="utf-8"), listing_css()])
    html = template.render(
        css=css,
        figures=figures,
        glance_rows=glance_rows(
            catalogue, context["claims"], [section["key"] for section in context["section_list"]]
        ),
        # The sections with long detail for the appendix (sections/<key>.detail.html.j2).
        detail_layouts=[
            name for name in environment.list_templates() if name.endswith(".detail.html.j2")
        ],
        **context,
    )
    return with_subsection_contents(html)


SECTION_START = re.compile(r'<section class="question[^"]*" id="sec-([\w-]+)">')
LANGUAGE_BLOCK = re.compile(r'<div class="lang-block (fa|en)"')
SUBHEADING = re.compile(r"<h3(\s[^>]*)?>(.*?)</h3>", re.S)


def with_subsection_contents(html: str) -> str:
    """Each section's sub-question headings (``<h3>``) listed in the contents under the
    section's own entry, each language under its own, with page numbers.

    A heading's language is its ``fa``/``en`` class, else that of the language block it
    stands in. Headings get ids (``sub-<section>-<n>-<language>``) where they have none;
    WeasyPrint also makes every heading a PDF bookmark.
    """
    starts = [(m.start(), m.group(1)) for m in SECTION_START.finditer(html)]
    blocks = [(m.start(), m.group(1)) for m in LANGUAGE_BLOCK.finditer(html)]
    entries: dict[tuple[str, str], list[tuple[str, str]]] = {}
    pieces, position = [], 0
    for match in SUBHEADING.finditer(html):
        owners = [key for start, key in starts if start < match.start()]
        attributes, text = match.group(1) or "", match.group(2)
        declared = re.search(r'\bclass="(fa|en)\b', attributes)
        inside = [language for start, language in blocks if start < match.start()]
        language = declared.group(1) if declared else (inside[-1] if inside else None)
        if not owners or language is None:
            continue
        section = owners[-1]
        found = re.search(r'\bid="([^"]+)"', attributes)
        count = len(entries.setdefault((section, language), []))
        anchor = found.group(1) if found else f"sub-{section}-{count + 1}-{language}"
        if not found:
            attributes += f' id="{anchor}"'
        # The heading's own markup, so that a Latin run in a Persian title stays isolated.
        entries[(section, language)].append((anchor, text.strip()))
        pieces += [html[position : match.start()], f"<h3{attributes}>{text}</h3>"]
        position = match.end()
    html = "".join(pieces) + html[position:]

    def listed(match: re.Match) -> str:
        language, section = match.group(1), match.group(2)
        items = "".join(
            f'<li class="{language} sub" dir="{"rtl" if language == "fa" else "ltr"}" '
            f'lang="{language}"><a href="#{anchor}">{title}</a></li>'
            for anchor, title in entries.get((section, language), [])
        )
        return match.group(0) + items

    return re.sub(
        r'<li class="(fa|en)"[^>]*><a href="#sec-([\w]+)(?:-en)?">.*?</a></li>', listed, html
    )


class GlyphWarnings(logging.Handler):
    """Collect WeasyPrint's warnings so that a missing glyph fails the build."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_pdf(
    html: str, base_url: str | Path, date: str, attachments: dict[str, str] | None = None
) -> bytes:
    """The PDF of ``html``. WeasyPrint's warnings reach the rule's log through the root logger.

    ``date`` (YYYY-MM-DD) pins the timestamp fontTools writes into each embedded
    font (through SOURCE_DATE_EPOCH); WeasyPrint's own dates come from the
    dcterms meta tags of the HTML. Same artifacts, same bytes.
    ``attachments`` (``{file name: text}``) are embedded as PDF attachments, dated ``date``
    (``pdfdetach -list`` shows them; ``hw4.report.manifest``).
    Raises RuntimeError when a glyph or font is missing.
    """
    # WeasyPrint logs every step and page at INFO (from its import on): keep the rule's
    # log to what went wrong.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    import weasyprint

    stamp = datetime.fromisoformat(date).replace(tzinfo=UTC)
    epoch = stamp.timestamp()
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    handler = GlyphWarnings()
    weasyprint_log = logging.getLogger("weasyprint")
    weasyprint_log.addHandler(handler)
    try:
        document = weasyprint.HTML(string=html, base_url=str(base_url)).render()
        pdf = document.write_pdf(
            uncompressed_pdf=False,
            attachments=[
                weasyprint.Attachment(string=text, name=name, created=stamp, modified=stamp)
                for name, text in (attachments or {}).items()
            ],
        )
    finally:
        weasyprint_log.removeHandler(handler)
    serious = [m for m in handler.messages if "glyph" in m.lower() or "font" in m.lower()]
    # A character no pinned font draws is set in a system font without a warning.
    serious += [
        f"a font outside the pinned ones was used: {family}" for family in foreign_fonts(document)
    ]
    if serious:
        raise RuntimeError("WeasyPrint reported font problems: " + "; ".join(serious[:5]))
    return pdf
