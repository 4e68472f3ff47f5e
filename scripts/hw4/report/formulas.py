"""LaTeX formulas typeset to SVG with ziamath (pure Python, STIX Two Math)."""

from __future__ import annotations

import base64
import hashlib
import re

import ziamath
from markupsafe import Markup, escape


def latex_to_svg(latex: str, alt: str, size: float = 15, inline: bool = False) -> str:
    svg = ziamath.Latex(latex, size=size, title=alt, inline=inline).svg()
    # Symbol ids are global in a page; prefix them so two formulas never share one.
    prefix = "f" + hashlib.sha1(latex.encode()).hexdigest()[:8] + "_"
    return re.sub(r'(id="|href="#)', lambda m: m.group(1) + prefix, svg)


def formula_img(latex: str, alt: str, css_class: str = "formula") -> Markup:
    """An <img> holding the formula as SVG, with ``alt`` as its text alternative."""
    svg = latex_to_svg(latex, alt)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(
        f'<img class="{css_class}" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}"/>'
    )


def inline_math(latex: str, alt: str) -> Markup:
    """A small formula inside a line of text (its own left-to-right box)."""
    svg = latex_to_svg(latex, alt, size=12, inline=True)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(
        f'<img class="inline-math" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}"/>'
    )
