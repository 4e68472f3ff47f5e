"""Jinja filters and macros for mixed Persian/English text.

WeasyPrint has no full bidi algorithm across inline boxes: on a right-to-left
line it reverses their order, so ``256×256×64`` inside Persian comes out as
``64×256×256``. Every left-to-right run inside Persian therefore goes through
``ltr()``, which wraps it in ``<span dir="ltr">``. Numbers in Persian prose use
Persian digits and separators (``fa``); numbers in English prose use ``num``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from numbers import Number

from markupsafe import Markup, escape

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PERSIAN_DECIMAL = "\u066b"  # ٫
PERSIAN_THOUSANDS = "\u066c"  # ٬
PERSIAN_PERCENT = "\u066a"  # ٪
MINUS = "\u2212"
LRM = "\u200e"  # left-to-right mark


class MissingValue(ValueError):
    """A template asked for a number the workflow did not compute."""


def _check(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise MissingValue("a result the report needs is missing (None or NaN)")
    return value


def format_number(value, digits: int | None = None, grouping: bool = True) -> str:
    """Latin-digit text of a number: fixed ``digits`` after the point, thousands grouped."""
    value = _check(value)
    if isinstance(value, bool) or not isinstance(value, Number):
        raise MissingValue(f"expected a number, got {value!r}")
    if digits is None:
        digits = 0 if float(value).is_integer() else 4
    text = f"{value:,.{digits}f}" if grouping else f"{value:.{digits}f}"
    return text.replace("-", MINUS)


def to_persian_digits(text: str) -> str:
    return (
        text.replace(",", "\0")
        .replace(".", PERSIAN_DECIMAL)
        .replace("\0", PERSIAN_THOUSANDS)
        .translate(PERSIAN_DIGITS)
    )


NUMERIC_TEXT = re.compile(r"^[-\u2212+]?\d[\d,]*(\.\d+)?$")


def fa(value, digits: int | None = None, grouping: bool = True) -> Markup:
    """A number in Persian digits with Persian separators, for Persian prose.

    Text that is a number (``"-12.5"``, ``"1,234"``) follows the rule for numbers: its minus
    sign is U+2212 and stays on the left of the digits. Other text only has its digits made
    Persian.
    """
    if isinstance(value, str):
        if NUMERIC_TEXT.match(value.strip()):
            return signed_persian(to_persian_digits(value.strip().replace("-", MINUS)))
        return Markup(escape(to_persian_digits(value)))
    return signed_persian(to_persian_digits(format_number(value, digits, grouping)))


def signed_persian(text: str) -> Markup:
    """Persian-digit text of a number, its minus sign kept on the left of the digits.

    In right-to-left text the bidi algorithm turns a leading minus sign into a neutral
    that follows the paragraph's direction, so ``−۵`` would read ``۵−``; the number is
    isolated as a left-to-right run instead.
    """
    if text.startswith(MINUS):
        return Markup(f'<span dir="ltr" class="num">{escape(text)}</span>')
    return Markup(escape(text))


def num(value, digits: int | None = None, grouping: bool = True) -> str:
    """A number in Latin digits, for English prose and tables."""
    return format_number(value, digits, grouping)


def pct(value, digits: int = 2, lang: str = "en") -> Markup:
    """A fraction in [0, 1] as a percentage."""
    text = format_number(100 * _check(value), digits)
    if lang == "fa":
        return signed_persian(to_persian_digits(text) + PERSIAN_PERCENT)
    return Markup(escape(text) + "%")


def scientific(value, digits: int = 1, lang: str = "en") -> Markup:
    """A number as ``2.1 × 10⁻¹⁰`` (mantissa with ``digits`` decimals), for very small or large
    values; in Persian digits for ``lang="fa"``, kept left to right inside Persian text.
    Zero is ``0`` (it has no order of magnitude)."""
    if _check(value) == 0:
        return fa(0) if lang == "fa" else Markup('<span class="num">0</span>')
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    text = f"{mantissa} × 10"
    power = str(int(exponent)).replace("-", MINUS)
    if lang == "fa":
        # Persian digits are Arabic numbers to the bidi algorithm: a "×" between two of them
        # takes their right-to-left direction and the product reads "۱۰ × ۲٫۴". Left-to-right
        # marks on both sides of the sign keep the mantissa first.
        text = to_persian_digits(mantissa) + f"{LRM} × {LRM}" + to_persian_digits("10")
        power = to_persian_digits(power)
    return Markup(
        f'<span dir="ltr" class="num">{escape(text.replace("-", MINUS))}<sup>{escape(power)}</sup></span>'
    )


def text_direction(text: str) -> str:
    """``rtl`` when the first letter with a strong direction is Arabic-script or Hebrew,
    else ``ltr`` (the Unicode bidi algorithm's rule P2 for a paragraph's direction)."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def isolate(text) -> Markup:
    """A piece of the user's own text (a name, an ID, a course) set apart in its own direction,
    so that a Latin name ending in a full stop inside a Persian line keeps the stop on its
    right ("Reza Karimi Sr.", not ".Reza Karimi Sr"), and Persian inside an English line keeps
    its order. WeasyPrint ignores ``unicode-bidi``; an element with ``dir`` isolates."""
    text = str(_check(text))
    return Markup(f'<span dir="{text_direction(text)}" class="user-text">{escape(text)}</span>')


# p-values below this are printed as "< 0.001": more digits say nothing a reader can use.
SMALLEST_P_SHOWN = 0.001


def p_text(p: float, lang: str = "en") -> Markup:
    """A p-value after its "p": ``= 0.042`` or ``< 0.001``, left to right (Persian digits
    for ``lang="fa"``), so that the relation sign stays beside its number in Persian text."""
    p = _check(p)
    if p < SMALLEST_P_SHOWN:
        text = f"< {format_number(SMALLEST_P_SHOWN, 3)}"
    else:
        text = f"= {format_number(p, 3)}"
    if lang == "fa":
        text = to_persian_digits(text)
    return Markup(f'<span dir="ltr" class="num">{escape(text)}</span>')


# A run of Latin text inside a Persian string: from a Latin letter or digit to the last Latin
# letter, digit or closing bracket, spaces and punctuation between them included.
LATIN_RUN = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9 _.,:;+\-\u2212×/()\[\]=<>%'\"]*[A-Za-z0-9)\]%]|[A-Za-z0-9]"
)


def fa_plain(text) -> Markup:
    """A Persian string typed in a template or a catalogue, its Latin runs (``Dense(20)``,
    ``MAE (GW)``) isolated left to right so that their brackets are not mirrored. Markup
    (text that already went through ``ltr()`` or another filter) is returned unchanged."""
    if isinstance(text, Markup):
        return text
    text = str(_check(text))
    pieces, position = [], 0
    for match in LATIN_RUN.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(Markup(f'<span dir="ltr">{escape(match.group(0))}</span>'))
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def ltr(text, css_class: str = "ltr") -> Markup:
    """Isolate a left-to-right run (code, a shape, an English term) inside Persian text."""
    _check(text)
    return Markup(f'<span dir="ltr" class="{css_class}">{escape(str(text))}</span>')


def ltr_fa(text) -> Markup:
    """A left-to-right run of digits and signs in Persian prose (a date and time, a
    timestamp) with Persian digits: ``2014-09-13 11:00:00`` keeps its order, in ۰-۹."""
    return ltr(to_persian_digits(str(_check(text))))


def code(text) -> Markup:
    return Markup(f'<code dir="ltr">{escape(str(_check(text)))}</code>')


def shape(value, lang: str = "en") -> Markup:
    """A shape like ``256x256x64`` written with the multiplication sign, left to right;
    in Persian prose (``lang="fa"``) with Persian digits."""
    if isinstance(value, (list, tuple)):
        value = "x".join(str(v) for v in value)
    text = str(_check(value)).replace("x", "\u00d7")
    if lang == "fa":
        text = to_persian_digits(text)
    return Markup(f'<span dir="ltr" class="shape">{escape(text)}</span>')


FILTERS = {
    "fa": fa,
    "num": num,
    "pct": pct,
    "scientific": scientific,
    "ltr": ltr,
    "ltr_fa": ltr_fa,
    "code": code,
    "shape": shape,
    "isolate": isolate,
    "p_text": p_text,
    "fa_plain": fa_plain,
}
