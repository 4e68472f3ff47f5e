"""The report's pinned fonts: where their files are, which characters they draw, and whether a
rendered document used any other font.

Every face comes from a pip package the project pins, so the PDF is the same on every machine.
A character none of them draws would be set in whatever system font the machine has (a
different PDF on another machine), or as an empty box: the free-text settings (a student's
name, ID, course) are checked against the fonts before any job, and the renderer refuses a
document that used a font outside them.
"""

from __future__ import annotations

import importlib
import unicodedata
from functools import cache
from pathlib import Path

# family -> [(package module, file, style, weight)]. All static fonts: WeasyPrint
# would otherwise instantiate a variable font on every render, which costs seconds.
# Persian is set in IBM Plex Sans Arabic: its letters are whole glyphs, so text
# extracted from the PDF stays readable (fonts that build letters from shared
# skeletons and dots extract as the wrong letters).
FONT_FACES = {
    "IBM Plex Sans Arabic": [
        ("fontpkg_ibm_plex_sans_arabic", "IBMPlexSansArabic-Regular.ttf", "normal", 400),
        ("fontpkg_ibm_plex_sans_arabic", "IBMPlexSansArabic-Bold.ttf", "normal", 700),
    ],
    "Fira Sans": [
        ("fontpkg_fira_sans", "FiraSans-Regular.ttf", "normal", 400),
        ("fontpkg_fira_sans", "FiraSans-Bold.ttf", "normal", 700),
        ("fontpkg_fira_sans", "FiraSans-Italic.ttf", "italic", 400),
        ("fontpkg_fira_sans", "FiraSans-BoldItalic.ttf", "italic", 700),
    ],
    "IBM Plex Mono": [
        ("fontpkg_ibm_plex_mono", "IBMPlexMono-Regular.ttf", "normal", 400),
        ("fontpkg_ibm_plex_mono", "IBMPlexMono-Bold.ttf", "normal", 700),
    ],
}

# The report's text faces (regular weight): a title-page line is drawn in one of these.
TEXT_FACES = [
    ("fontpkg_fira_sans", "FiraSans-Regular.ttf"),
    ("fontpkg_ibm_plex_sans_arabic", "IBMPlexSansArabic-Regular.ttf"),
]


def font_file(module_name: str, file_name: str) -> Path:
    """The path of ``file_name`` in the installed font package ``module_name``.

    Raises FileNotFoundError when the package lacks it.
    """
    module = importlib.import_module(module_name)
    path = Path(module.ROOT) / "files" / file_name
    if not path.exists():
        raise FileNotFoundError(f"font {file_name} is not in the installed package {module_name}")
    return path


@cache
def drawn_characters() -> frozenset[int]:
    """The code points the report's text faces draw (the union of their character maps)."""
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for module, file_name in TEXT_FACES:
        with TTFont(font_file(module, file_name), lazy=True) as font:
            points |= set(font.getBestCmap())
    return frozenset(points)


def undrawable_characters(text: str) -> list[str]:
    """The characters of ``text`` that no pinned text face draws, each once, in order.

    Spaces and invisible format characters (a zero-width non-joiner, direction marks) need
    no glyph and are never reported.
    """
    drawn = drawn_characters()
    found: list[str] = []
    for character in text:
        if character.isspace() or unicodedata.category(character) == "Cf":
            continue
        if ord(character) not in drawn and character not in found:
            found.append(character)
    return found


def foreign_fonts(document) -> list[str]:
    """The families of the fonts a rendered WeasyPrint document used that are not the pinned
    families (a system font that stood in for a missing glyph), each once. The pinned faces
    are loaded only from the packages' files (``@font-face``), so a pinned family name is a
    pinned file; WeasyPrint rewrites the files it loads, so their bytes are not compared."""
    return sorted({font.family for font in document.fonts.values()} - set(FONT_FACES))
