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
