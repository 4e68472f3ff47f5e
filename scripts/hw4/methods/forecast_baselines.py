"""Q3: the naive forecasts any model must beat, looked up by hour (never by row offset)."""

from __future__ import annotations

import numpy as np

from hw4.methods.windows import Prepared, WindowError


def value_at_hours(target: np.ndarray, hours: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """target at the rows whose hour offset is ``wanted``; WindowError if one is missing."""
    rows = np.searchsorted(hours, wanted)
    found = (rows < len(hours)) & (hours[np.minimum(rows, len(hours) - 1)] == wanted)
    if not found.all():
        first = int(np.asarray(wanted)[~found][0])
        raise WindowError(f"hour {first} is not in the series: no forecast can use it")
    return target[rows]


def persistence(target: np.ndarray, hours: np.ndarray, label_rows: np.ndarray) -> np.ndarray:
    """The last known value: the hour before."""
    return value_at_hours(target, hours, hours[label_rows] - 1)


def seasonal_naive(
    target: np.ndarray, hours: np.ndarray, label_rows: np.ndarray, period: int = 24
) -> np.ndarray:
    """The same hour one season (a day, by default) before."""
    return value_at_hours(target, hours, hours[label_rows] - period)


def linear_regression(x_train, y_train, x_eval):
    """Least squares on the flattened window (with an intercept)."""
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(x_train.reshape(len(x_train), -1), y_train)
    return model.predict(x_eval.reshape(len(x_eval), -1))


def baselines(prepared: Prepared, part: str, period: int) -> dict[str, np.ndarray]:
    """Forecasts of the naive baselines for the windows of one split part, in the data's units."""
    rows = prepared.label_rows[part]
    linear_scaled = linear_regression(prepared.x["train"], prepared.y["train"], prepared.x[part])
    return {
        "persistence": persistence(prepared.target, prepared.hours, rows),
        "seasonal_naive": seasonal_naive(prepared.target, prepared.hours, rows, period),
        "linear_regression": prepared.target_scaler.inverse(linear_scaled[:, None])[:, 0],
    }
