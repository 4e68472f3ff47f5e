"""The project's one timer: summaries, comparisons inside the noise, the growth exponent."""

from __future__ import annotations

import numpy as np
import pytest

from hw4.methods.step_timing import (
    WARMUP_CALLS,
    compare_timings,
    growth_exponent,
    seconds_per_call,
    timing_summary,
)


def test_warmup_calls_are_not_timed():
    calls = []
    seconds = seconds_per_call(lambda: calls.append(1), repeats=5)
    assert len(seconds) == 5 and len(calls) == 5 + WARMUP_CALLS


def test_summary_and_comparison():
    summary = timing_summary([1.0, 2.0, 3.0, 4.0, 100.0])
    assert summary["median"] == 3.0 and summary["repeats"] == 5
    assert summary["lower_quartile"] == 2.0 and summary["upper_quartile"] == 4.0
    fast = timing_summary([1.0, 1.1, 1.2])
    slow = timing_summary([2.0, 2.1, 2.2])
    overlapping = timing_summary([0.9, 1.1, 1.3])
    assert compare_timings(fast, slow) == "faster"
    assert compare_timings(slow, fast) == "slower"
    assert compare_timings(fast, overlapping) == "within_noise"


def test_growth_exponent_recovers_a_known_power_with_its_interval():
    rng = np.random.default_rng(0)
    sizes = np.repeat([128, 256, 512, 1024], 10)
    seconds = 1e-6 * sizes**1.5 * np.exp(rng.normal(0, 0.05, sizes.size))
    fit = growth_exponent(sizes, seconds)
    assert fit["lower"] < 1.5 < fit["upper"]
    assert fit["standard_error"] > 0 and fit["points"] == 40
    noisier = growth_exponent(sizes, 1e-6 * sizes**1.5 * np.exp(rng.normal(0, 0.5, sizes.size)))
    assert noisier["upper"] - noisier["lower"] > fit["upper"] - fit["lower"]
    with pytest.raises(ValueError, match="two distinct sizes"):
        growth_exponent([8, 8, 8], [1.0, 2.0, 3.0])
