"""Q3 forecast errors: MAE, RMSE, and MAPE that is never NaN."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hw4.methods.forecast_metrics import metrics


def test_metrics():
    m = metrics(np.array([1.0, 2.0]), np.array([2.0, 2.0]))
    assert m["mae"] == 0.5 and m["rmse"] == pytest.approx(np.sqrt(0.5)) and m["mape"] == 50
    assert m["mape_left_out"] == 0


def test_zero_readings_are_left_out_of_mape_and_counted():
    m = metrics(np.array([0.0, 0.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0, 4.0]))
    assert m["mape"] == pytest.approx(25.0)  # (50% + 0%) / 2, over the two non-zero hours
    assert m["mape_left_out"] == 2
    assert m["mae"] == pytest.approx(0.5)


def test_all_zero_readings_give_no_mape_and_no_nan():
    m = metrics(np.zeros(5), np.ones(5))
    assert m["mape"] is None and m["mape_left_out"] == 5
    assert "NaN" not in json.dumps(m)
