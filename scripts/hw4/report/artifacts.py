"""Reading the artifacts the rules wrote: CSV rows with typed cells, and the error that
names a missing or outdated one."""

from __future__ import annotations

import csv
from pathlib import Path


class MissingArtifact(FileNotFoundError):
    """An artifact the report needs is absent, empty, or claimed by no rule."""


def required(record: dict, key: str, path: str | Path, rule: str):
    """``record[key]``, or ``MissingArtifact`` naming the file and the rule to rerun when an
    artifact written before the field existed lacks it."""
    if key not in record:
        raise MissingArtifact(f"{path}: no {key!r} field; rerun rule {rule} to rewrite it")
    return record[key]


def read_csv_rows(path: str | Path, delimiter: str = ",") -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def parse_value(text: str):
    """CSV cells back to Python values: booleans, integers, floats, or text."""
    if text in ("True", "False"):
        return text == "True"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def typed_rows(path: str | Path) -> list[dict]:
    return [
        {column: parse_value(cell) for column, cell in row.items()} for row in read_csv_rows(path)
    ]
