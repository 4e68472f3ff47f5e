"""A share measured on a finite test set (an accuracy on n test images), with its 95 % interval.

Framework-free (the standard library only), so the report stack imports it without TensorFlow.
"""

from __future__ import annotations

import math

# The standard normal quantile for a two-sided 95 % interval: NormalDist().inv_cdf(0.975).
Z_95 = 1.959963984540054


def wilson_interval(share: float, trials: int) -> list[float]:
    """Wilson's score interval at 95 % for a binomial proportion, ``[low, high]`` in [0, 1].

    ``share`` is the observed proportion (an accuracy, successes / ``trials``), ``trials`` the
    number of independent draws (test images). With z = 1.96:
    centre = (p + z²/2n) / (1 + z²/n), half-width = z / (1 + z²/n) · sqrt(p(1 − p)/n + z²/4n²)
    (Wilson, E. B. 1927, "Probable inference, the law of succession, and statistical
    inference", JASA 22:209-212; Brown, Cai & DasGupta 2001, Statistical Science 16:101, eq. 4).
    Unlike the normal approximation it stays inside [0, 1] and is not empty at p = 0 or 1.
    Raises ``ValueError`` for a share outside [0, 1] or fewer than one trial.
    """
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"an interval needs a whole number of trials >= 1, got {trials!r}")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"a proportion lies in [0, 1], got {share!r}")
    z2 = Z_95 * Z_95
    scale = 1 + z2 / trials
    centre = (share + z2 / (2 * trials)) / scale
    half = Z_95 / scale * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    return [max(0.0, centre - half), min(1.0, centre + half)]


def compare_shares(first: float, first_trials: int, second: float, second_trials: int) -> dict:
    """Two measured shares (accuracies) side by side: which is higher, by how much, and whether
    their 95 % Wilson intervals overlap, in which case the test sets cannot tell them apart.

    Returns ``{"difference": first - second, "higher": "first" | "second" | "equal",
    "overlap": bool, "verdict": "higher" | "lower" | "within_noise"}``, the verdict being
    ``first`` against ``second``. Overlapping intervals are a conservative criterion: a
    difference called beyond the noise here is one a two-proportion test would also find.
    """
    low_first, high_first = wilson_interval(first, first_trials)
    low_second, high_second = wilson_interval(second, second_trials)
    overlap = low_first <= high_second and low_second <= high_first
    higher = "first" if first > second else "second" if second > first else "equal"
    if overlap:
        verdict = "within_noise"
    else:
        verdict = "higher" if higher == "first" else "lower"
    return {"difference": first - second, "higher": higher, "overlap": overlap, "verdict": verdict}
