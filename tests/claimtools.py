"""Finding the report's claims in its HTML: where each is printed (page part and language),
with which verdict, and the numbers its text holds."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

# Elements that never get a closing tag.
VOID = {"img", "br", "meta", "link", "hr", "input", "col", "source", "wbr"}

PERSIAN_TO_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬−", "0123456789.,-")


class ClaimFinder(HTMLParser):
    """Collects ``{"id", "verdict", "language", "part", "text"}`` for every claim span: its
    language is the innermost ``lang`` around it, its part ``glance`` inside the
    results-at-a-glance section and ``body`` elsewhere."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[dict] = []
        self.claims: list[dict] = []
        self.open_claims: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in VOID:
            return
        self.stack.append({"tag": tag, **attributes})
        if "claim" in (attributes.get("class") or "").split():
            languages = [e["lang"] for e in self.stack if "lang" in e]
            glance = any("glance" in (e.get("class") or "").split() for e in self.stack)
            record = {
                "id": attributes["data-claim"],
                "verdict": attributes["data-verdict"],
                "language": languages[-1] if languages else None,
                "part": "glance" if glance else "body",
                "text": "",
                "depth": len(self.stack),
            }
            self.claims.append(record)
            self.open_claims.append(record)

    def handle_endtag(self, tag):
        if tag in VOID or not self.stack:
            return
        depth = len(self.stack)
        self.stack.pop()
        if self.open_claims and self.open_claims[-1]["depth"] == depth:
            self.open_claims.pop()

    def handle_data(self, data):
        for record in self.open_claims:
            record["text"] += data


def claims_in(html: str) -> list[dict]:
    finder = ClaimFinder()
    finder.feed(html)
    return finder.claims


def numbers_of(text: str) -> Counter:
    """The numbers a claim's text holds, Persian digits read as Latin ones, thousands
    separators dropped: the same multiset in both languages when both say the same."""
    latin = text.translate(PERSIAN_TO_LATIN).replace("\u200e", "").replace("\u200f", "")
    found = re.findall(r"-?\d[\d,]*(?:\.\d+)?", latin)
    return Counter(number.replace(",", "").rstrip(".") for number in found)
