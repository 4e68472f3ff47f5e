"""Q3: the errors of a forecast, in the data's own units."""

from __future__ import annotations

import numpy as np


def metrics(actual: np.ndarray, predicted: np.ndarray) -> dict:
    """MAE and RMSE over every hour; MAPE (%) over the hours whose actual value is not zero.

    MAPE divides by the actual value, so hours with a zero reading are left out of it and
    counted in ``mape_left_out``; with no non-zero hour at all, ``mape`` is None (never NaN).
    """
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    error = predicted - actual
    nonzero = actual != 0
    mape = float(100 * np.mean(np.abs(error[nonzero] / actual[nonzero]))) if nonzero.any() else None
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": mape,
        "mape_left_out": int((~nonzero).sum()),
    }


def hours_a_baseline_is_closer(
    hours_of_day: np.ndarray, actual: np.ndarray, forecasts: dict[str, np.ndarray]
) -> dict[str, list[int]]:
    """For each baseline (every key of ``forecasts`` but ``"model"``), the hours of the day
    (0-23) at which its mean absolute error over the test hours is below the model's: where
    an aggregate win does not hold hour by hour. ``hours_of_day``, ``actual`` and each
    forecast: shape (n,). An hour with no test row is skipped."""
    hours_of_day = np.asarray(hours_of_day)
    actual = np.asarray(actual, float)
    errors = {name: np.abs(np.asarray(f, float) - actual) for name, f in forecasts.items()}
    closer: dict[str, list[int]] = {name: [] for name in forecasts if name != "model"}
    for hour in range(24):
        rows = hours_of_day == hour
        if not rows.any():
            continue
        model = errors["model"][rows].mean()
        for name in closer:
            if errors[name][rows].mean() < model:
                closer[name].append(hour)
    return closer
