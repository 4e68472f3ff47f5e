"""Q3 baselines: persistence and seasonal naive looked up by hour, linear regression."""

from __future__ import annotations

import numpy as np
import pytest

from hw4.methods.forecast_baselines import linear_regression, persistence, seasonal_naive
from hw4.methods.windows import WindowError


def test_baselines_look_up_hours_not_rows():
    target = np.arange(100, dtype=float)
    hours = np.arange(100)
    index = np.array([30, 31])
    assert persistence(target, hours, index).tolist() == [29, 30]
    assert seasonal_naive(target, hours, index, 24).tolist() == [6, 7]
    with pytest.raises(WindowError, match="not in the series"):
        seasonal_naive(target, hours, np.array([5]), 24)
    gapped = np.array([0, 1, 2, 5, 6])
    with pytest.raises(WindowError, match="hour 4 is not in the series"):
        persistence(np.arange(5.0), gapped, np.array([3]))


def test_linear_regression_recovers_a_linear_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3, 2))
    y = x[:, -1, 0] * 2 - x[:, 0, 1] + 0.5
    np.testing.assert_allclose(linear_regression(x, y, x[:5]), y[:5], atol=1e-9)
