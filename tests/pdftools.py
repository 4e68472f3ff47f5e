"""Reading the rendered PDF back in tests: text (normalised), fonts, pages."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections import Counter
from html.parser import HTMLParser
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


# --- where words stand on the page --------------------------------------------------------

XHTML = "{http://www.w3.org/1999/xhtml}"


def word_boxes(path: Path) -> list[list[dict]]:
    """Per page, every word pdftotext finds, with its box in points (y grows downwards).

    A Persian word comes out in visual order, its letters reversed (compare with
    ``letters``), and a diacritic such as the hamza of «نقطهٔ» as a word of its own.
    """
    from xml.etree import ElementTree

    out = subprocess.run(
        ["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = []
    for page in ElementTree.fromstring(out).iter(f"{XHTML}page"):
        words = []
        for word in page.iter(f"{XHTML}word"):
            box = {key: float(word.get(key)) for key in ("xMin", "yMin", "xMax", "yMax")}
            words.append({"text": word.text or "", **box})
        pages.append(words)
    return pages


def letters(text: str) -> Counter:
    """The characters of a text, without spaces or order: extraction reverses Persian words."""
    return Counter(
        character
        for character in unicodedata.normalize("NFKC", normalise(text))
        if not character.isspace() and unicodedata.category(character) != "Mn"
    )


class TableCells(HTMLParser):
    """Every table of an HTML file as ``{"dir", "header": [text], "rows": [[text]]}``."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.cell: list[str] | None = None
        self.span = 1
        self.in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"dir": dict(attrs).get("dir", "rtl"), "header": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td"):
            self.cell = []
            # A cell spanning columns stands for each of them, so that columns line up.
            self.span = int(dict(attrs).get("colspan") or 1)
        elif tag == "caption":
            self.in_caption = True

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            self.tables[-1]["rows"][-1].extend([(tag, text)] * self.span)
            self.cell = None
        elif tag == "caption":
            self.in_caption = False

    def handle_data(self, data):
        if self.cell is not None and not self.in_caption:
            self.cell.append(data)


def html_tables(path: Path) -> list[dict]:
    """Tables with a header row: the header texts and the body rows' texts."""
    parser = TableCells()
    parser.feed(path.read_text(encoding="utf-8"))
    tables = []
    for table in parser.tables:
        rows = [row for row in table["rows"] if row]
        if rows and all(tag == "th" for tag, _ in rows[0]) and len(rows[0]) > 1:
            tables.append(
                {
                    "dir": table["dir"],
                    "header": [text for _, text in rows[0]],
                    "rows": [[text for _, text in row] for row in rows[1:]],
                }
            )
    return tables


def _cells(words: list[dict]) -> list[dict]:
    """The words of a page grouped into table cells (and, outside tables, into lines).

    Words of one line further apart than a wide space (5 pt) belong to different cells;
    a run of words right under another (a cell's lines touch, rows of a table stand about
    5 pt apart) continues its cell. Diacritics extracted on their own are dropped.
    """
    words = [word for word in words if sum(letters(word["text"]).values())]
    # Lines first: a word belongs to a line its vertical middle falls in and whose top it
    # does not start below (the next line of a smaller font would), so that a superscript
    # (10⁻¹⁰), raised a few points, stays on its line; a line's top is most of its words'.
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda word: word["yMax"] - word["yMin"], reverse=True):
        middle = (word["yMin"] + word["yMax"]) / 2
        line = next(
            (
                line
                for line in lines
                if line[0]["yMin"] <= middle <= line[0]["yMax"]
                and word["yMin"] < line[0]["yMin"] + 3
            ),
            None,
        )
        if line is None:
            lines.append([word])
        else:
            line.append(word)
    runs: list[dict] = []
    for line in lines:
        top = Counter(round(word["yMin"], 1) for word in line).most_common(1)[0][0]
        last = None
        for word in sorted(line, key=lambda word: word["xMin"]):
            if last is not None and -1 < word["xMin"] - last["xMax"] < 5:
                last["text"] += " " + word["text"]
                last["xMax"] = word["xMax"]
                last["yMax"] = max(last["yMax"], word["yMax"])
            else:
                # yMin: the line's top, to line cells of a row up; own_top: to join a cell's lines.
                last = {**word, "yMin": top, "own_top": word["yMin"]}
                runs.append(last)
    cells: list[dict] = []
    for run in sorted(runs, key=lambda run: run["yMin"]):
        above = next(
            (
                cell
                for cell in cells
                if -1 < run["own_top"] - cell["yMax"] < 3
                and run["xMin"] < cell["xMax"]
                and run["xMax"] > cell["xMin"]
            ),
            None,
        )
        if above is None:
            cells.append(run)
            continue
        above["text"] += " " + run["text"]
        above["xMin"] = min(above["xMin"], run["xMin"])
        above["xMax"] = max(above["xMax"], run["xMax"])
        above["yMax"] = run["yMax"]
    return cells


def _same_line(blocks: list[dict], y: float) -> list[dict]:
    # A diacritic (the hamza of «نقطهٔ») raises a block's top by about 2 pt.
    return [block for block in blocks if abs(block["yMin"] - y) < 3]


def _assign(cells: list[str], blocks: list[dict], direction: str) -> list[dict | None]:
    """Each cell's block on one line: equal letters, taken in reading order of the table."""
    ordered = sorted(blocks, key=lambda block: block["xMin"], reverse=direction == "rtl")
    used: set[int] = set()
    found = []
    for cell in cells:
        key = letters(cell)
        match = next(
            (
                i
                for i, block in enumerate(ordered)
                if i not in used and letters(block["text"]) == key
            ),
            None,
        )
        if match is not None:
            used.add(match)
        found.append(None if match is None else ordered[match])
    return found


def misplaced_values(pages: list[list[dict]], tables: list[dict]) -> tuple[int, list[str]]:
    """Find each HTML table in the PDF, then every value's box beside its header's box.

    Returns (values checked, problems): a problem is a table whose header row is not found,
    a row whose numbers are not found, or a value whose box does not overlap its column
    header's box horizontally (a reader would take it for the neighbouring column's).
    """
    pages = [_cells(blocks) for blocks in pages]
    checked, problems = 0, []
    position = (0, -1.0)
    for number, table in enumerate(tables, start=1):
        header = None
        for page_index in range(position[0], len(pages)):
            blocks = pages[page_index]
            for y in sorted({block["yMin"] for block in blocks}):
                if (page_index, y) <= position:
                    continue
                found = _assign(table["header"], _same_line(blocks, y), table["dir"])
                if all(found):
                    header, position = found, (page_index, y)
                    break
            if header:
                break
        if header is None:
            problems.append(f"table {number} ({table['header'][:3]}): header row not found")
            continue
        for row in table["rows"]:
            values = [cell if re.search(r"[\d۰-۹]", cell) else "" for cell in row]
            located = None
            for page_index in range(position[0], min(position[0] + 2, len(pages))):
                blocks = pages[page_index]
                for y in sorted({block["yMin"] for block in blocks}):
                    if (page_index, y) <= position:
                        continue
                    found = _assign(row, _same_line(blocks, y), table["dir"])
                    if all(box for box, value in zip(found, values, strict=True) if value):
                        located, position = found, (page_index, y)
                        break
                if located:
                    break
            if located is None:
                problems.append(f"table {number}: row {row[:3]} not found")
                continue
            for column, box in enumerate(located):
                if box is None or not row[column]:
                    continue
                checked += 1
                head = header[column]
                if box["xMin"] >= head["xMax"] or box["xMax"] <= head["xMin"]:
                    problems.append(
                        f"table {number}: {row[column]!r} at x {box['xMin']:.0f}-{box['xMax']:.0f}"
                        f" is not under its header {table['header'][column]!r}"
                        f" at x {head['xMin']:.0f}-{head['xMax']:.0f}"
                    )
    return checked, problems


def contents_entries(path: Path, page: int) -> tuple[list[tuple[str, int]], list[int]]:
    """The table of contents on ``page`` (1-based), in its two columns: the English entries
    as ``[(title, page)]`` in order, and the Persian entries' page numbers in order (their
    titles extract scrambled, their digits do not)."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    english, persian, pending = [], [], ""
    for line in text.splitlines():
        # The English column is the line's left part: its first run before a wide gap. A
        # title too long for the column wraps, and its page number ends the next line.
        left = line.strip() if line.startswith(" " * 40) else re.split(r"\s{4,}", line.strip())[0]
        found = re.match(r"^([A-Za-z('\"].*?)? ?\.{3,} ?(\d+)$", left)
        if not line.startswith(" " * 40) and found and (found.group(1) or pending):
            title = f"{pending} {found.group(1) or ''}".strip()
            english.append((" ".join(title.split()), int(found.group(2))))
            pending = ""
        elif (
            not line.startswith(" " * 40)
            and re.match(r"^[A-Za-z(]", left)
            and "..." not in left
            and left != "Contents"
        ):
            pending = f"{pending} {left}".strip()
        persian += [
            int(number.translate(PERSIAN)) for number in re.findall(r"([۰-۹]+) ?\.{3,}", line)
        ]
    return english, persian


def heading_on(words: list[dict], title: str, min_height: float = 14) -> bool:
    """Whether a line of the page is ``title`` set as a heading (taller than running heads)."""
    key = letters(title)
    return any(
        letters(cell["text"]) == key and cell["yMax"] - cell["yMin"] >= min_height
        for cell in _cells(words)
    )
