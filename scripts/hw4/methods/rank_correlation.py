"""Spearman's rank correlation with a permutation p-value, in NumPy alone.

The report stack reads it (no SciPy there): it says whether a search's score rises or falls
with a sampled hyperparameter over the configurations the search tried.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

# Up to this many points every ordering is enumerated (8! = 40,320); above, a seeded sample.
EXACT_UP_TO = 8
SAMPLED_PERMUTATIONS = 20_000


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values`` (shape (n,)), ties sharing the mean of their ranks."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r of two (n,) arrays; ``None`` when either is constant (r undefined)."""
    x, y = x - x.mean(), y - y.mean()
    scale = math.sqrt(float(np.sum(x * x) * np.sum(y * y)))
    return None if scale == 0 else float(np.sum(x * y) / scale)


def spearman(x, y, seed: int = 0) -> dict:
    """Spearman's rho of paired samples ``x`` and ``y`` (same length n) and its two-sided
    permutation p-value: the share of reorderings of ``y`` whose |rho| is at least the
    observed one (every reordering for n <= ``EXACT_UP_TO``, else ``SAMPLED_PERMUTATIONS``
    seeded draws, counted with the observed one as (k + 1) / (m + 1)).

    Returns ``{"rho", "p_value", "n"}``; ``rho`` and ``p_value`` are ``None`` when n < 3 or
    either sample is constant (no ordering to test). Raises ``ValueError`` when the lengths
    differ.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be paired (n,) samples, got {x.shape} and {y.shape}")
    n = len(x)
    rank_x, rank_y = average_ranks(x), average_ranks(y)
    rho = pearson(rank_x, rank_y) if n >= 3 else None
    if rho is None:
        return {"rho": None, "p_value": None, "n": n}
    observed = abs(rho) - 1e-12  # a reordering as extreme as the data counts, despite rounding
    if n <= EXACT_UP_TO:
        shuffled = [rank_y[list(order)] for order in itertools.permutations(range(n))]
        extreme = sum(abs(pearson(rank_x, ys)) >= observed for ys in shuffled)
        p_value = extreme / len(shuffled)
    else:
        generator = np.random.default_rng(seed)
        extreme = sum(
            abs(pearson(rank_x, generator.permutation(rank_y))) >= observed
            for _ in range(SAMPLED_PERMUTATIONS)
        )
        p_value = (extreme + 1) / (SAMPLED_PERMUTATIONS + 1)
    return {"rho": rho, "p_value": float(p_value), "n": n}
