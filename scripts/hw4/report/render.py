"""Render the report: Jinja2 templates -> HTML -> PDF with WeasyPrint.

Same artifacts, same bytes: the PDF's dates come from the context (never the
clock), fonts come from pip packages the project pins, and figures are read as
they are.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jinja2

from . import typography
from .formulas import formula_img

log = logging.getLogger("hw4")

FONT_PACKAGES = {
    "Noto Sans Arabic": ("fontpkg_noto_sans_arabic", "NotoSansArabic[wdth,wght].ttf", "normal"),
    "Noto Sans": ("fontpkg_noto_sans", "NotoSans[wdth,wght].ttf", "normal"),
    "Noto Sans Italic": ("fontpkg_noto_sans", "NotoSans-Italic[wdth,wght].ttf", "italic"),
    "JetBrains Mono": ("fontpkg_jetbrains_mono", "JetBrainsMono[wght].ttf", "normal"),
}


def font_file(module_name: str, file_name: str) -> Path:
    import importlib

    module = importlib.import_module(module_name)
    path = Path(module.ROOT) / "files" / file_name
    if not path.exists():
        raise FileNotFoundError(f"font {file_name} is not in the installed package {module_name}")
    return path


def font_face_css() -> str:
    """@font-face rules for every family the report uses, from the pinned font wheels."""
    rules = []
    for family, (module, file_name, style) in FONT_PACKAGES.items():
        family_name = family.replace(" Italic", "")
        url = font_file(module, file_name).as_uri()
        # Variable fonts: WeasyPrint takes no weight range, so one face per weight.
        for weight in (400, 700):
            rules.append(
                f'@font-face {{ font-family: "{family_name}"; src: url("{url}"); '
                f"font-style: {style}; font-weight: {weight}; }}"
            )
    return "\n".join(rules)


def make_environment(template_dir: str | Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(typography.FILTERS)
    env.globals.update(typography.FILTERS, formula=formula_img)
    return env


def render_html(
    template_dir: str | Path, context: dict, stylesheet: str | Path, figures: dict
) -> str:
    env = make_environment(template_dir)
    template = env.get_template("report.html.j2")
    css = font_face_css() + "\n" + Path(stylesheet).read_text(encoding="utf-8")
    return template.render(css=css, figures=figures, **context)


class GlyphWarnings(logging.Handler):
    """Collect WeasyPrint's warnings so that a missing glyph fails the build."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def write_pdf(
    html: str, base_url: str | Path, output: str | Path, strict: bool = True
) -> list[str]:
    """HTML to PDF; returns WeasyPrint's warnings (raises on them when ``strict``)."""
    import weasyprint

    from ..artifacts import atomic_path

    handler = GlyphWarnings()
    wp_log = logging.getLogger("weasyprint")
    wp_log.addHandler(handler)
    try:
        document = weasyprint.HTML(string=html, base_url=str(base_url)).render()
        with atomic_path(output, suffix=".pdf") as tmp:
            document.write_pdf(tmp, uncompressed_pdf=False)
    finally:
        wp_log.removeHandler(handler)
    serious = [m for m in handler.messages if "glyph" in m.lower() or "font" in m.lower()]
    if strict and serious:
        raise RuntimeError("WeasyPrint reported font problems: " + "; ".join(serious[:5]))
    return handler.messages
