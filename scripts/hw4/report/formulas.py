"""LaTeX formulas typeset to SVG with ziamath (pure Python, STIX Two Math).

Typesetting takes about a tenth of a second per formula; the SVG of each
(latex, alt, size) is kept in a small cache folder (``HW4_FORMULA_CACHE``, by
default ``resources/cache/formulas``) so that re-rendering the report after a
template edit does not typeset every formula again.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import unicodedata
from pathlib import Path

import ziamath
from markupsafe import Markup, escape


def _cache_dir() -> Path:
    return Path(os.environ.get("HW4_FORMULA_CACHE", "resources/cache/formulas"))


def latex_to_svg(latex: str, alt: str, size: float = 15, inline: bool = False) -> str:
    key = hashlib.sha256(
        f"{ziamath.__version__}|{latex}|{alt}|{size}|{inline}".encode()
    ).hexdigest()
    cached = _cache_dir() / f"{key[:32]}.svg"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    svg = _typeset(latex, alt, size, inline)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.part")
        tmp.write_text(svg, encoding="utf-8")
        tmp.replace(cached)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return svg


def _typeset(latex: str, alt: str, size: float, inline: bool) -> str:
    svg = ziamath.Latex(latex, size=size, title=alt, inline=inline).svg()
    # Symbol ids are global in a page; prefix them so two formulas never share one.
    prefix = "f" + hashlib.sha1(latex.encode()).hexdigest()[:8] + "_"
    return re.sub(r'(id="|href="#)', lambda m: m.group(1) + prefix, svg)


def text_twin(alt: str) -> Markup:
    """``alt`` as invisible text at the formula's place, for the PDF's text layer.

    The SVG's glyphs are drawn as shapes, so copying from the PDF would drop every formula
    ("the test gives  < 0.001"). A zero-width box of transparent text on the formula's
    baseline puts its plain-text form where the formula stands, without moving anything.
    """
    # A symbol the pinned fonts lack would pull in a system font: its Unicode name instead.
    from hw4.report.fonts import undrawable_characters

    for character in undrawable_characters(alt):
        alt = alt.replace(character, f" {unicodedata.name(character, '?').lower()} ")
    return Markup(f'<span class="math-text" dir="ltr">{escape(" ".join(alt.split()))}</span>')


def formula_img(latex: str, alt: str, css_class: str = "formula") -> Markup:
    """An <img> holding the formula as SVG, with ``alt`` as its text alternative (in the
    image and in the text layer)."""
    svg = latex_to_svg(latex, alt)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return text_twin(alt) + Markup(
        f'<img class="{css_class}" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}"/>'
    )


def inline_math(latex: str, alt: str) -> Markup:
    """A small formula inside a line of text (its own left-to-right box), its ``alt`` in the
    text layer."""
    svg = latex_to_svg(latex, alt, size=12, inline=True)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        Markup('<span class="math-inline" dir="ltr">')
        + text_twin(alt)
        + Markup(
            f'<img class="inline-math" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}"/>'
            "</span>"
        )
    )
