"""Q3: windows of the last L hours, labelled with the hour right after them.

Window of hour t holds the features of hours t-L .. t-1 and is labelled with the target at
hour t. Windows are decided on hours, not rows: a file with hours missing keeps only the
windows whose hours are all present (and whose baseline forecasts' hours are present), so no
window and no baseline forecast spans a gap. A window belongs to the split part that holds its
label; its inputs may reach back into the part before (the past is known when the forecast is
made), but never forward. No deep-learning framework here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hw4.errors import InputError
from hw4.methods.chronological_split import MinMax, Split, chronological_split


class WindowError(InputError):
    pass


def hour_offsets(times) -> np.ndarray:
    """Whole hours since the first timestamp, as int64 (times: sorted hourly datetimes)."""
    times = np.asarray(times, dtype="datetime64[s]")
    return ((times - times[0]) // np.timedelta64(1, "h")).astype(np.int64)


def present_before(hours: np.ndarray, span: int) -> np.ndarray:
    """Per row: are the ``span`` hours right before it (t-span .. t-1) all in ``hours``?

    ``hours`` are strictly increasing whole hours, so the row ``span`` rows back is hour
    t-span exactly when none of those hours is missing.
    """
    complete = np.zeros(len(hours), dtype=bool)
    if span == 0:
        complete[:] = True
    elif span < len(hours):
        complete[span:] = hours[span:] - hours[:-span] == span
    return complete


def window_rows(hours: np.ndarray, history: int, seasonal_period: int) -> np.ndarray:
    """Rows that can be labels: their last ``history`` hours and hour t - seasonal_period present."""
    usable = present_before(hours, history)
    usable &= np.isin(hours - seasonal_period, hours)
    return np.flatnonzero(usable)


def make_windows(
    values: np.ndarray, target: np.ndarray, look_back: int, label_rows: np.ndarray | None = None
):
    """(X, y, label_rows): X[i] = values[r-L : r], y[i] = target[r] for each label row r.

    ``label_rows`` default to every row from L on (a series with no hour missing).
    Raises WindowError for a table without columns, lengths that differ, a look-back that is
    not a whole number >= 1 or not smaller than the series, or a label row that is not a
    whole number in look_back..rows-1.
    """
    values = np.asarray(values)
    target = np.asarray(target)
    if values.ndim != 2 or values.shape[1] == 0:
        raise WindowError(
            f"features must be a 2-D table with at least one column, got shape {values.shape}"
        )
    if len(values) != len(target):
        raise WindowError(f"{len(values)} feature rows but {len(target)} target values")
    if isinstance(look_back, bool) or not isinstance(look_back, (int, np.integer)) or look_back < 1:
        raise WindowError(f"look_back must be a whole number >= 1, got {look_back!r}")
    if look_back >= len(values):
        raise WindowError(
            f"look_back {look_back} is not smaller than the series ({len(values)} steps): no window fits"
        )
    if label_rows is None:
        label_rows = np.arange(look_back, len(values))
    rows = np.asarray(label_rows)
    if rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
        raise WindowError(
            f"label_rows must be whole row numbers, one per window, got {rows.dtype} of shape"
            f" {rows.shape}"
        )
    # A row before look_back would index from the end of the series (NumPy's negative
    # indices) and give a window of hours that follow the label.
    outside = (rows < look_back) | (rows >= len(values))
    if outside.any():
        raise WindowError(
            f"label row {int(rows[outside][0])} has no whole window (allowed: rows"
            f" {look_back} to {len(values) - 1} for look_back {look_back})"
        )
    label_rows = rows.astype(np.int64)
    index = label_rows[:, None] + np.arange(-look_back, 0)[None, :]
    return values[index], target[label_rows], label_rows


def original_windows(inputs: np.ndarray, labels: np.ndarray, look_back: int):
    """The hand-in's function, bug included: every window gets ``labels[look_back]``."""
    new_inputs, new_labels = [], []
    for i in range(len(inputs) - look_back):
        new_inputs.append(inputs[i : i + look_back, :])
        new_labels.append(labels[look_back])
    return np.array(new_inputs), np.array(new_labels)


@dataclass
class Prepared:
    """Scaled windows per split part, with what the baselines and the report need."""

    x: dict[str, np.ndarray]  # [windows, look_back, features], scaled
    y: dict[str, np.ndarray]  # scaled targets
    label_rows: dict[str, np.ndarray]  # table rows of the labels
    hours: np.ndarray  # hour offset of every table row
    target: np.ndarray  # unscaled target series
    target_scaler: MinMax
    feature_names: list[str]
    split: Split
    dropped_for_gaps: dict[str, int]  # windows lost because an hour they need is missing


def prepare(
    table,
    target_column: str,
    features: list[str],
    look_back: int,
    split_settings: dict,
    include_target_history: bool = True,
    history: int = 0,
    seasonal_period: int = 1,
) -> Prepared:
    """Scale on the training hours, window the series on its hours, sort windows into parts.

    A label at hour t is kept when hours t-max(history, look_back) .. t-1 and t-seasonal_period
    are all present: ``history`` longer than the look-back keeps the same labels for every
    look-back compared. ``table`` has a ``time`` column of whole hours.
    """
    missing = [f for f in [target_column, *features] if f not in table.columns]
    if missing:
        raise WindowError(
            f"lstm.features: column(s) {missing} not in the consumption table ({list(table.columns)})"
        )
    columns = list(features) + ([target_column] if include_target_history else [])
    if not columns:
        raise WindowError("lstm.features is empty and include_target_history is false: no inputs")
    hours = hour_offsets(table["time"].to_numpy())
    values = table[columns].to_numpy(float)
    target = table[target_column].to_numpy(float)
    split = chronological_split(
        int(hours[-1]) + 1, split_settings["train"], split_settings["validation"]
    )
    training = hours < split.train_end
    feature_scaler = MinMax().fit(values[training])
    target_scaler = MinMax().fit(target[training, None])
    scaled_values = feature_scaler.transform(values)
    scaled_target = target_scaler.transform(target[:, None])[:, 0]
    needed = max(history, look_back)
    rows = window_rows(hours, needed, seasonal_period)
    x, y, label_rows = make_windows(scaled_values, scaled_target, look_back, rows)
    parts = split.of(hours[label_rows])
    # Windows a series with no hour missing would have had: every present hour late enough.
    late_enough = hours >= max(needed, seasonal_period)
    possible = split.of(hours[late_enough])
    return Prepared(
        x={k: x[m] for k, m in parts.items()},
        y={k: y[m] for k, m in parts.items()},
        label_rows={k: label_rows[m] for k, m in parts.items()},
        hours=hours,
        target=target,
        target_scaler=target_scaler,
        feature_names=columns,
        split=split,
        dropped_for_gaps={k: int(possible[k].sum() - parts[k].sum()) for k in parts},
    )


def windows_per_part(
    hours: np.ndarray, look_back: int, history: int, seasonal_period: int, split: Split
) -> dict[str, int]:
    """How many windows each part would get, without building them (for checks before training)."""
    rows = window_rows(hours, max(history, look_back), seasonal_period)
    return {part: int(mask.sum()) for part, mask in split.of(hours[rows]).items()}
