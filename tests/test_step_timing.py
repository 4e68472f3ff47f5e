"""The project's one timer: summaries, comparisons inside the noise, the growth exponent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hw4.methods.step_timing import (
    WARMUP_CALLS,
    compare_timings,
    growth_exponent,
    seconds_per_call,
    timing_summary,
)

REPO = Path(__file__).resolve().parents[1]


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


def test_threads_are_pinned_in_the_framework():
    pytest.importorskip("keras")
    code = (
        "from hw4.methods.step_timing import pin_framework_threads\n"
        "print(pin_framework_threads(1))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "scripts"), "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "'intra_op_threads': 1, 'inter_op_threads': 1" in result.stdout


def test_jax_has_no_thread_setting_and_the_timing_says_so():
    """On JAX nothing is pinned: the record says so instead of claiming a thread count."""
    pytest.importorskip("jax")
    code = (
        "from hw4.methods.step_timing import pin_framework_threads\n"
        "print(pin_framework_threads(1))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "scripts"), "KERAS_BACKEND": "jax"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "'intra_op_threads': None" in result.stdout
    assert "threads not pinned (the jax backend has no setting for them)" in result.stdout
