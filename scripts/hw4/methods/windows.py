"""Q3: windows of the last L hours, a chronological split, scaling fit on the past only,
and the naive forecasts any model must beat. No deep-learning framework here.

Window i holds the features of steps i .. i+L-1 and is labelled with the target at
step i+L (the hour right after the window). A window belongs to the split that
holds its label; its inputs may reach back into the split before (the past is
known when the forecast is made), but never forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class WindowError(ValueError):
    pass


def make_windows(values: np.ndarray, target: np.ndarray, look_back: int):
    """(X, y, label_index): X[i] = values[i:i+L], y[i] = target[i+L]."""
    values = np.asarray(values)
    target = np.asarray(target)
    if values.ndim != 2 or values.shape[1] == 0:
        raise WindowError(
            f"features must be a 2-D table with at least one column, got shape {values.shape}"
        )
    if len(values) != len(target):
        raise WindowError(f"{len(values)} feature rows but {len(target)} target values")
    if not isinstance(look_back, (int, np.integer)) or look_back < 1:
        raise WindowError(f"look_back must be a whole number >= 1, got {look_back!r}")
    if look_back >= len(values):
        raise WindowError(
            f"look_back {look_back} is not smaller than the series ({len(values)} steps): no window fits"
        )
    n = len(values) - look_back
    index = np.arange(look_back)[None, :] + np.arange(n)[:, None]
    return values[index], target[look_back:], np.arange(look_back, len(values))


def original_windows(inputs: np.ndarray, labels: np.ndarray, look_back: int):
    """The hand-in's function, bug included: every window gets ``labels[look_back]``."""
    new_inputs, new_labels = [], []
    for i in range(len(inputs) - look_back):
        new_inputs.append(inputs[i : i + look_back, :])
        new_labels.append(labels[look_back])
    return np.array(new_inputs), np.array(new_labels)


@dataclass
class Split:
    train_end: int  # first row of validation
    val_end: int  # first row of test
    rows: int

    def of(self, label_index: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "train": label_index < self.train_end,
            "validation": (label_index >= self.train_end) & (label_index < self.val_end),
            "test": label_index >= self.val_end,
        }


def chronological_split(rows: int, train: float, validation: float) -> Split:
    if not (0 < train < 1 and 0 < validation < 1 and train + validation < 1):
        raise WindowError(
            f"lstm.split: train {train} + validation {validation} must leave a test part"
        )
    return Split(int(rows * train), int(rows * (train + validation)), rows)


class MinMax:
    """Min-max scaling to [0, 1], fit on the training rows only (as sklearn's MinMaxScaler)."""

    def __init__(self) -> None:
        self.low = self.span = None

    def fit(self, data: np.ndarray) -> MinMax:
        data = np.asarray(data, dtype=float)
        self.low = data.min(axis=0)
        span = data.max(axis=0) - self.low
        self.span = np.where(span > 0, span, 1.0)  # a constant column maps to 0, not NaN
        return self

    def transform(self, data):
        return (np.asarray(data, dtype=float) - self.low) / self.span

    def inverse(self, data):
        return np.asarray(data, dtype=float) * self.span + self.low


def metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and MAPE (%) in the data's own units."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    error = predicted - actual
    nonzero = actual != 0
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(100 * np.mean(np.abs(error[nonzero] / actual[nonzero]))),
    }


def persistence(target: np.ndarray, label_index: np.ndarray) -> np.ndarray:
    """The last known value: the hour before."""
    return target[label_index - 1]


def seasonal_naive(target: np.ndarray, label_index: np.ndarray, period: int = 24) -> np.ndarray:
    """The same hour one season (a day) before."""
    if np.any(label_index - period < 0):
        raise WindowError(f"seasonal naive needs {period} steps of history before every label")
    return target[label_index - period]


def linear_regression(x_train, y_train, x_eval):
    """Least squares on the flattened window (with an intercept)."""
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(x_train.reshape(len(x_train), -1), y_train)
    return model.predict(x_eval.reshape(len(x_eval), -1))


@dataclass
class Prepared:
    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]  # scaled targets
    label_index: dict[str, np.ndarray]
    target: np.ndarray  # unscaled target series
    target_scaler: MinMax
    feature_names: list[str]
    split: Split


def prepare(
    table,
    target_column: str,
    features: list[str],
    look_back: int,
    split_settings: dict,
    include_target_history: bool = True,
    min_history: int = 0,
) -> Prepared:
    """Scale on the training rows, window the whole series, and sort windows into splits."""
    missing = [f for f in [target_column, *features] if f not in table.columns]
    if missing:
        raise WindowError(
            f"lstm.features: column(s) {missing} not in the energy table ({list(table.columns)})"
        )
    columns = list(features) + ([target_column] if include_target_history else [])
    if not columns:
        raise WindowError("lstm.features is empty and include_target_history is false: no inputs")
    values = table[columns].to_numpy(float)
    target = table[target_column].to_numpy(float)
    split = chronological_split(len(table), split_settings["train"], split_settings["validation"])
    feature_scaler = MinMax().fit(values[: split.train_end])
    target_scaler = MinMax().fit(target[: split.train_end, None])
    scaled_values = feature_scaler.transform(values)
    scaled_target = target_scaler.transform(target[:, None])[:, 0]
    x, y, label_index = make_windows(scaled_values, scaled_target, look_back)
    keep = label_index >= max(min_history, look_back)
    x, y, label_index = x[keep], y[keep], label_index[keep]
    parts = split.of(label_index)
    return Prepared(
        x={k: x[m] for k, m in parts.items()},
        y={k: y[m] for k, m in parts.items()},
        label_index={k: label_index[m] for k, m in parts.items()},
        target=target,
        target_scaler=target_scaler,
        feature_names=columns,
        split=split,
    )


def baselines(prepared: Prepared, part: str, period: int) -> dict[str, np.ndarray]:
    """Forecasts of the naive baselines for the windows of one split, in the data's units."""
    index = prepared.label_index[part]
    linear_scaled = linear_regression(prepared.x["train"], prepared.y["train"], prepared.x[part])
    return {
        "persistence": persistence(prepared.target, index),
        "seasonal_naive": seasonal_naive(prepared.target, index, period),
        "linear_regression": prepared.target_scaler.inverse(linear_scaled[:, None])[:, 0],
    }
