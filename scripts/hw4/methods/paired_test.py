"""Two classifiers tested on the same images: McNemar's exact test on their disagreements.

Two accuracies measured on the SAME test images are not independent samples, so comparing
their separate intervals wastes what pairing gives: only the images on which exactly one of
the two models is right say which model is better.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest


def discordant_pairs(
    labels: np.ndarray, first_predicted: np.ndarray, second_predicted: np.ndarray
) -> tuple[int, int]:
    """``(b, c)``: images the first model gets right and the second wrong, and the reverse.

    ``labels``, ``first_predicted`` and ``second_predicted``: class indices of shape (n,),
    one per test image, in the same order. Raises ``ValueError`` when the shapes differ or
    there are no images.
    """
    labels, first, second = (np.asarray(a) for a in (labels, first_predicted, second_predicted))
    if labels.ndim != 1 or labels.shape != first.shape or labels.shape != second.shape:
        raise ValueError(
            f"labels and both predictions must be one value per image, of one length; got "
            f"shapes {labels.shape}, {first.shape} and {second.shape}"
        )
    if labels.size == 0:
        raise ValueError("no test images to compare on")
    first_right, second_right = first == labels, second == labels
    return int(np.sum(first_right & ~second_right)), int(np.sum(~first_right & second_right))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided p-value of McNemar's exact test for ``b`` and ``c`` discordant pairs.

    Under the null hypothesis (both models equally accurate) each disagreement is a fair
    coin: ``b ~ Binomial(b + c, 1/2)``; the exact test is the two-sided binomial test of that
    (McNemar, Q. 1947, "Note on the sampling error of the difference between correlated
    proportions or percentages", Psychometrika 12:153-157; the exact form: Fagerland,
    Lydersen & Laake 2013, "The McNemar test for binary matched-pairs data: mid-p and
    asymptotic are better than exact conditional", BMC Med. Res. Methodol. 13:91, eq. 2).
    With no disagreement (``b + c == 0``) nothing separates the models: p = 1.
    Raises ``ValueError`` for a negative or non-integer count.
    """
    for name, count in (("b", b), ("c", c)):
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise ValueError(f"{name} must be a whole number of images >= 0, got {count!r}")
    if b + c == 0:
        return 1.0
    return float(binomtest(int(b), int(b + c), 0.5).pvalue)


def paired_comparison(
    labels: np.ndarray, first_predicted: np.ndarray, second_predicted: np.ndarray
) -> dict:
    """Both models' accuracies on the same images and McNemar's exact test between them.

    Returns ``{"n", "first_accuracy", "second_accuracy", "b", "c", "p_value"}``: ``b`` the
    images only the first gets right, ``c`` those only the second gets right (see
    ``discordant_pairs``), ``p_value`` two-sided (``mcnemar_exact``).
    """
    b, c = discordant_pairs(labels, first_predicted, second_predicted)
    labels = np.asarray(labels)
    return {
        "n": int(labels.size),
        "first_accuracy": float(np.mean(np.asarray(first_predicted) == labels)),
        "second_accuracy": float(np.mean(np.asarray(second_predicted) == labels)),
        "b": b,
        "c": c,
        "p_value": mcnemar_exact(b, c),
    }
