"""Reading the rendered PDF back in tests: text (normalised), fonts, pages."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

INVISIBLE = re.compile("[\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


def normalise(text: str) -> str:
    return INVISIBLE.sub("", text)


def pdf_text(path: Path) -> str:
    """pdftotext and pypdf together: each keeps what the other scrambles."""
    from pypdf import PdfReader

    poppler = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pypdf_text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    return normalise(poppler + "\n" + pypdf_text)


def numbers_in(text: str) -> set[str]:
    """Every digit string, Latin or Persian (read both ways, since extraction may reverse them)."""
    latin = text.translate(PERSIAN).replace("٬", ",").replace("٫", ".")
    found = set(re.findall(r"\d[\d,]*(?:\.\d+)?", latin))
    found |= {s[::-1] for s in re.findall(r"\d[\d,.]*", latin)}
    return found


def fonts(path: Path) -> list[dict]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5]})
    return rows


def page_count(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def render_pages(path: Path, folder: Path, dpi: int = 60) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(path), str(folder / "page")], check=True
    )
    return sorted(folder.glob("page-*.png"))
