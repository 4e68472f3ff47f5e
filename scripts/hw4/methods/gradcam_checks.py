"""Whether saliency maps mean something: the model-randomisation check, deletion curves against
baselines that discriminate on MNIST, agreement between maps, and where a map peaks.

A map that is zero everywhere has no ranking: its correlation with any map is undefined. Such
pairs are counted and left out of means, and a mean over no defined pair is None, never NaN.
"""

from __future__ import annotations

import logging

import keras
import numpy as np

from hw4.methods.gradcam import gradcam_maps, leaf_layers

log = logging.getLogger("hw4")


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman rank correlation of two maps; None when either is constant (e.g. all zero)."""
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def mean_defined(values: list[float | None]) -> tuple[float | None, int]:
    """(mean of the defined values or None, how many were undefined)."""
    defined = [v for v in values if v is not None]
    return (float(np.mean(defined)) if defined else None), len(values) - len(defined)


def spread(values: list[float | None]) -> dict:
    """Median, quartiles and range of the defined values (None each when none is defined):
    ``{"median", "q1", "q3", "min", "max"}``, so that a summary over maps shows how far the
    maps disagree, not only their mean."""
    defined = np.array([v for v in values if v is not None], dtype=float)
    if not len(defined):
        return {"median": None, "q1": None, "q3": None, "min": None, "max": None}
    q1, median, q3 = np.percentile(defined, [25, 50, 75])
    return {
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(defined.min()),
        "max": float(defined.max()),
    }


def randomisation_check(model, images, classes, layer_name=None, seed=0) -> list[dict]:
    """Adebayo et al. (2018): re-initialise weights from the top layer down, one layer more each
    step, on a clone (the model is not touched).

    Returns a row per step: the layer randomised down to, the Spearman rank correlation
    between each image's map from the trained model and from the randomised one (same images,
    same classes), summarised over the images as its mean (``spearman``) and its ``median``,
    quartiles ``q1``/``q3`` and range ``min``/``max`` (None when no pair is defined), and how
    many pairs were undefined (an all-zero map).
    """
    reference, _, _ = gradcam_maps(model, images, classes, layer_name)
    randomised = keras.models.clone_model(model)
    randomised.set_weights(model.get_weights())
    keras.utils.set_random_seed(seed)
    identical = {"median": 1.0, "q1": 1.0, "q3": 1.0, "min": 1.0, "max": 1.0}
    rows = [{"step": 0, "randomised_down_to": "none", "spearman": 1.0, **identical, "undefined": 0}]
    weighted = [layer for layer in reversed(leaf_layers(randomised)) if layer.weights]
    for step, layer in enumerate(weighted, start=1):
        for attribute, initializer in (
            ("kernel", "kernel_initializer"),
            ("bias", "bias_initializer"),
        ):
            variable = getattr(layer, attribute, None)
            if variable is not None:
                variable.assign(getattr(layer, initializer)(variable.shape))
        maps, _, _ = gradcam_maps(randomised, images, classes, layer_name)
        correlations = [spearman(r, m) for r, m in zip(reference, maps, strict=True)]
        mean, undefined = mean_defined(correlations)
        rows.append(
            {
                "step": step,
                "randomised_down_to": layer.name,
                "spearman": mean,
                **spread(correlations),
                "undefined": undefined,
            }
        )
        log.info(
            "randomisation check: down to %s, mean Spearman %s, %d undefined",
            layer.name,
            "undefined" if mean is None else f"{mean:.3f}",
            undefined,
        )
    return rows


# The orders in which pixels are deleted. 'most' and 'least' follow the Grad-CAM map; the
# others are baselines: 'random', and 'intensity', which uses the image itself as the map
# (brightest first). On MNIST about 80% of the pixels are already 0: an order over the whole
# image spends most of its deletions on background that is already 0, while an order that
# deletes ink removes a stroke at every step, so orders over different pools are not
# comparable. The verdict therefore compares every order over the same POOL: each image's ink
# (pixels > 0), a fraction of which is deleted at each step. Over the whole image ('image'),
# 'random_ink' (ink first, in random order) is added, to show how much of a whole-image
# difference the pool alone makes.
DELETION_POOLS = ("ink", "image")
DELETION_ORDERS = {
    "ink": ("most", "least", "random", "intensity"),
    "image": ("most", "least", "random", "random_ink", "intensity"),
}
BASELINES = {"ink": ("random", "intensity"), "image": ("random", "random_ink", "intensity")}


def deletion_orders(
    images: np.ndarray, saliency: np.ndarray, seed: int, pool: str = "ink"
) -> dict[str, np.ndarray]:
    """Per order in DELETION_ORDERS[pool], each image's pixel indices (n, h*w), first deleted
    first. With ``pool="ink"`` every order lists the image's ink pixels (> 0) first, in its
    own order, and the background after them (never deleted: see ``pool_sizes``).
    Raises ``ValueError`` for a pool not in DELETION_POOLS."""
    if pool not in DELETION_POOLS:
        raise ValueError(f"deletion pool {pool!r}: expected one of {DELETION_POOLS}")
    rng = np.random.default_rng(seed)
    n = len(saliency)
    flat = saliency.reshape(n, -1)
    pixels = images.reshape(n, -1)
    jitter = rng.random(flat.shape) * 1e-6  # break ties at random, not by pixel position
    ink = (pixels > 0).astype(float)
    # Keys sorted ascending; outside the pool a key of +inf sorts last.
    outside = np.where(ink > 0, 0.0, np.inf) if pool == "ink" else np.zeros(flat.shape)
    keys = {
        "most": -(flat + jitter),
        "least": flat + jitter,
        "random": rng.random(flat.shape),
        "random_ink": -(ink + 0.5 * rng.random(flat.shape)),
        "intensity": -(pixels + jitter),
    }
    return {
        name: np.argsort(keys[name] + outside, axis=1, kind="stable")
        for name in DELETION_ORDERS[pool]
    }


def pool_sizes(images: np.ndarray, pool: str = "ink") -> np.ndarray:
    """Per image (n,), how many pixels the pool holds: its ink pixels (> 0) or all of them."""
    pixels = images.reshape(len(images), -1)
    if pool == "ink":
        return (pixels > 0).sum(axis=1)
    return np.full(len(images), pixels.shape[1])


def deletion_curves(
    model, images, classes, saliency, fractions, seed=0, batch_size=512, pool="ink"
):
    """Probability of each image's class as a growing fraction of its pool is set to 0.

    ``images`` (n, h, w, 1) in [0, 1], ``classes`` (n,), ``saliency`` (n, h, w), ``fractions``
    (m,) from 0, of each image's pool (``pool="ink"``: its ink pixels; ``"image"``: all its
    pixels). Returns ``{order: (m, n) probabilities}`` for each of DELETION_ORDERS[pool].
    A faithful map drops the probability fastest under 'most' (Petsiuk et al., 2018).
    """
    n = len(saliency)
    base = images.reshape(n, -1)
    sizes = pool_sizes(images, pool)
    probabilities = {}
    for name, order in deletion_orders(images, saliency, seed, pool).items():
        # Each pixel's place in the order: a pixel is deleted when its place < the count.
        place = np.empty_like(order)
        np.put_along_axis(place, order, np.arange(order.shape[1])[None, :], axis=1)
        batch = []
        for fraction in fractions:
            counts = np.round(fraction * sizes).astype(int)
            masked = np.where(place < counts[:, None], 0.0, base)
            batch.append(masked.reshape(images.shape).astype(images.dtype))
        predicted = model.predict(np.concatenate(batch), batch_size=batch_size, verbose=0)
        picked = predicted[np.arange(len(predicted)), np.tile(classes, len(fractions))]
        probabilities[name] = picked.reshape(len(fractions), n)
    return probabilities


def area_under(probabilities: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Per image (n,), the area under its deletion curve, divided by the fractions' span."""
    span = fractions[-1] - fractions[0]
    return np.trapezoid(probabilities, fractions, axis=0) / span


def compare_to_baseline(most: np.ndarray, baseline: np.ndarray) -> dict:
    """Paired comparison of per-image areas (n,): the mean difference most - baseline, its 95%
    interval (normal approximation, 1.96 standard errors) and the verdict: 'lower' (the map
    deletes the deciding pixels faster), 'higher', or 'within_noise' when the interval holds 0."""
    difference = most - baseline
    mean = float(difference.mean())
    half_width = float(1.96 * difference.std(ddof=1) / np.sqrt(len(difference)))
    if mean + half_width < 0:
        verdict = "lower"
    elif mean - half_width > 0:
        verdict = "higher"
    else:
        verdict = "within_noise"
    return {
        "difference": mean,
        "low": mean - half_width,
        "high": mean + half_width,
        "verdict": verdict,
    }


def describe_peak(cam: np.ndarray) -> dict:
    """Where a map (h, w) is brightest: its cell, the third of the image that holds the cell's centre as ``row-column`` (rows
    top/middle/bottom, columns left/centre/right; the report names them in each language) and
    the share of the map's weight in the top half. An all-zero map has no peak: None each."""
    total = float(cam.sum())
    if total <= 0:
        return {"peak_cell": None, "region": None, "top_half_share": None}
    row, column = np.unravel_index(int(np.argmax(cam)), cam.shape)
    # The third that holds the cell's centre: on a 7x7 map rows 0-1 are the top, 2-4 the
    # middle and 5-6 the bottom (row 2 spans 2/7 to 3/7 of the image, mostly the middle).
    third_row = min(int(3 * (row + 0.5) / cam.shape[0]), 2)
    third_column = min(int(3 * (column + 0.5) / cam.shape[1]), 2)
    return {
        "peak_cell": [int(row), int(column)],
        "region": f"{('top', 'middle', 'bottom')[third_row]}-"
        f"{('left', 'centre', 'right')[third_column]}",
        "top_half_share": float(cam[: cam.shape[0] // 2].sum() / total),
    }


def same_digit_pairs(maps: np.ndarray, labels: np.ndarray) -> dict:
    """The maps of a few images (n, h, w) compared pair by pair: the same digit in other
    handwriting, against different digits among the same images.

    Returns ``{"groups": [{"digit", "positions", "pairs": [{"first", "second", "spearman"}]}],
    "other_digit": spread of the Spearman correlations of pairs of different digits, with
    "pairs" and "undefined" counts}``; positions index ``maps``; a digit shown once has no
    group; a pair with an all-zero map has ``spearman`` None.
    """
    labels = np.asarray(labels)
    groups = []
    for digit in np.unique(labels):
        positions = np.flatnonzero(labels == digit).tolist()
        if len(positions) < 2:
            continue
        pairs = [
            {"first": i, "second": j, "spearman": spearman(maps[i], maps[j])}
            for k, i in enumerate(positions)
            for j in positions[k + 1 :]
        ]
        groups.append({"digit": int(digit), "positions": positions, "pairs": pairs})
    other = [
        spearman(maps[i], maps[j])
        for i in range(len(labels))
        for j in range(i + 1, len(labels))
        if labels[i] != labels[j]
    ]
    return {
        "groups": groups,
        "other_digit": {
            **spread(other),
            "pairs": len(other),
            "undefined": sum(v is None for v in other),
        },
    }


def within_class_agreement(
    maps: np.ndarray, labels: np.ndarray, per_class: int = 30, seed: int = 0
) -> dict:
    """Mean Spearman correlation between maps of the same digit and of different digits.

    Up to ``per_class`` maps of each digit are paired with each other and with as many maps of
    other digits. Returns ``{"same_digit", "other_digit"}`` (None when no pair is defined) and
    ``"undefined_pairs"`` (pairs with an all-zero map).
    """
    rng = np.random.default_rng(seed)
    same, other = [], []
    for digit in np.unique(labels):
        chosen = rng.permutation(np.flatnonzero(labels == digit))[:per_class]
        rest = rng.permutation(np.flatnonzero(labels != digit))[:per_class]
        for i in range(len(chosen)):
            for j in range(i + 1, len(chosen)):
                same.append(spearman(maps[chosen[i]], maps[chosen[j]]))
            for j in range(min(len(rest), len(chosen))):
                other.append(spearman(maps[chosen[i]], maps[rest[j]]))
    same_mean, same_undefined = mean_defined(same)
    other_mean, other_undefined = mean_defined(other)
    return {
        "same_digit": same_mean,
        "other_digit": other_mean,
        "undefined_pairs": same_undefined + other_undefined,
    }
