"""Timing a framework call the way a reviewer would accept: threads pinned, warm-up excluded,
enough repeats for a median and a spread.

The one timer of the project (Q4's sequence models, Q6's batch-norm step and folding).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

log = logging.getLogger("hw4")

# Untimed calls before timing: they absorb tracing, compilation and memory allocation.
WARMUP_CALLS = 2


def pin_framework_threads(threads: int) -> dict:
    """Make the active Keras backend use ``threads`` CPU threads, within and between ops.

    Must run before the backend executes its first op (TensorFlow refuses the change after).
    Returns ``{"intra_op_threads": n, "inter_op_threads": n}`` as the backend reports them,
    for the provenance of a timing; on JAX, which has no thread setting (XLA sizes its CPU
    pool from the cores the process may use), both are None and ``"not_pinned"`` says so.
    Raises ``RuntimeError`` when TensorFlow is already running.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        pinned = {
            "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        }
    elif backend == "torch":
        import torch

        torch.set_num_threads(threads)
        pinned = {"intra_op_threads": torch.get_num_threads(), "inter_op_threads": threads}
    else:
        pinned = {
            "intra_op_threads": None,
            "inter_op_threads": None,
            "not_pinned": f"threads not pinned (the {backend} backend has no setting for them)",
        }
        log.info("framework %s", pinned["not_pinned"])
        return pinned
    log.info("framework threads pinned: %s", pinned)
    return pinned


def seconds_per_call(call: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``call``, after ``WARMUP_CALLS`` untimed ones."""
    for _ in range(WARMUP_CALLS):
        call()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds


def timing_summary(seconds: list[float]) -> dict:
    """Median and spread (lower and upper quartile) of repeated timings, in seconds."""
    values = np.asarray(seconds, dtype=float)
    lower, median, upper = np.percentile(values, [25, 50, 75])
    return {
        "median": float(median),
        "lower_quartile": float(lower),
        "upper_quartile": float(upper),
        "repeats": int(values.size),
    }


def compare_timings(first: dict, second: dict) -> str:
    """ "faster", "slower" or "within_noise": ``first`` against ``second`` (timing summaries).

    Called faster or slower only when the interquartile ranges do not overlap: a difference
    of medians inside the spread of the repeats is not a measured difference.
    """
    if first["upper_quartile"] < second["lower_quartile"]:
        return "faster"
    if first["lower_quartile"] > second["upper_quartile"]:
        return "slower"
    return "within_noise"


def growth_exponent(sizes: list[float], seconds: list[float], confidence: float = 0.95) -> dict:
    """The exponent b of seconds ~ size^b, by least squares on log(seconds) against log(size).

    ``sizes`` and ``seconds`` are paired, one entry per timed call (repeats included), with at
    least two distinct sizes and three points. Returns the exponent, its standard error and the
    ``confidence`` interval from Student's t with n - 2 degrees of freedom.
    """
    from scipy import stats

    x, y = np.log(np.asarray(sizes, float)), np.log(np.asarray(seconds, float))
    if np.unique(x).size < 2 or x.size < 3:
        raise ValueError("growth_exponent needs at least two distinct sizes and three timings")
    fit = stats.linregress(x, y)
    half_width = stats.t.ppf(0.5 + confidence / 2, x.size - 2) * fit.stderr
    return {
        "exponent": float(fit.slope),
        "standard_error": float(fit.stderr),
        "lower": float(fit.slope - half_width),
        "upper": float(fit.slope + half_width),
        "confidence": confidence,
        "points": int(x.size),
    }
