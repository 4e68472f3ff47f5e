"""Grad-CAM on the class score before softmax, without touching the trained model.

For an image, let A_k be the k-th feature map of the last conv layer and y_c the
logit (pre-softmax score) of class c. Grad-CAM weighs each map by the mean of
its gradient and keeps the positive part:

    alpha_k = mean_ij d y_c / d A_k[i, j]
    L_c     = ReLU( sum_k alpha_k A_k )

The model is split into two functional views that share its weights: images ->
A (a keras.Model on the same layers) and A -> logits (the remaining layers, the
last one applied without its softmax). Nothing is mutated. The gradient is the
one backend-specific step, in ``hw4.methods.gradients.gradient_of``.
"""

from __future__ import annotations

import logging

import keras
import numpy as np
from keras import ops

from hw4.methods.gradients import gradient_of

log = logging.getLogger("hw4")


class GradCamError(ValueError):
    pass


def find_last_conv(model, name: str | None = None):
    """The named layer, or the last layer with a 4-D output whose name or class says 'conv'."""
    if name:
        try:
            return model.get_layer(name)
        except ValueError as error:
            names = ", ".join(layer.name for layer in model.layers)
            raise GradCamError(
                f"gradcam.layer: no layer {name!r} in the model ({names})"
            ) from error
    for layer in reversed(model.layers):
        if "conv" in type(layer).__name__.lower() and len(layer.output.shape) == 4:
            return layer
    raise GradCamError("the model has no convolutional layer for Grad-CAM")


def split_model(model, conv_layer):
    """(features, head): images -> conv activations, and conv activations -> logits."""
    features = keras.Model(model.inputs, conv_layer.output, name="gradcam_features")
    index = model.layers.index(conv_layer)
    rest = model.layers[index + 1 :]
    if not rest or not hasattr(rest[-1], "kernel"):
        raise GradCamError("Grad-CAM needs the model to end in a Dense layer after the conv layer")
    *middle, last = rest

    def head(activations):
        x = activations
        for layer in middle:
            x = layer(x, training=False)
        logits = ops.matmul(x, last.kernel)
        if last.use_bias:
            logits = logits + last.bias
        return logits

    return features, head


def normalise_maps(maps: np.ndarray) -> np.ndarray:
    """Scale each map to [0, 1] by its maximum; an all-zero map stays zero (no division by zero)."""
    peak = maps.reshape(len(maps), -1).max(axis=1)
    safe = np.where(peak > 0, peak, 1.0)
    return np.where(peak[:, None, None] > 0, maps / safe[:, None, None], 0.0)


def upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    resized = ops.image.resize(maps[..., None].astype("float32"), size, interpolation="bilinear")
    return np.asarray(ops.convert_to_numpy(resized))[..., 0]


def gradcam_maps(model, images: np.ndarray, classes=None, layer_name=None, batch_size: int = 256):
    """Raw (unnormalised) Grad-CAM maps at the conv layer's resolution, plus the classes used.

    ``classes`` None means each image's predicted class.
    """
    conv = find_last_conv(model, layer_name)
    features, head = split_model(model, conv)
    maps, used = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        activations = np.asarray(ops.convert_to_numpy(features(batch, training=False)))
        if classes is None:
            logits = np.asarray(ops.convert_to_numpy(head(activations)))
            target = logits.argmax(axis=1)
        else:
            target = np.asarray(classes[start : start + batch_size])
        mask = ops.one_hot(target, model.output.shape[-1])

        def score(a, mask=mask):
            return ops.sum(head(a) * mask, axis=1)

        _, grads = gradient_of(score, activations)
        weights = grads.mean(axis=(1, 2))  # alpha_k per image
        cams = np.maximum((activations * weights[:, None, None, :]).sum(axis=-1), 0.0)
        maps.append(cams)
        used.append(target)
    return np.concatenate(maps), np.concatenate(used), conv.name


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def randomisation_check(model, images, classes, layer_name=None, seed=0):
    """Adebayo et al. (2018): re-initialise weights from the top layer down, one layer more each step.

    Returns a row per step with the mean Spearman rank correlation between the
    trained model's maps and the randomised model's maps (same images, same classes).
    """
    reference, _, _ = gradcam_maps(model, images, classes, layer_name)
    randomised = keras.models.clone_model(model)
    randomised.set_weights(model.get_weights())
    keras.utils.set_random_seed(seed)
    rows = [{"step": 0, "randomised_down_to": "none", "spearman": 1.0, "undefined": 0}]
    weighted = [layer for layer in reversed(randomised.layers) if layer.weights]
    for step, layer in enumerate(weighted, start=1):
        for attr, init in (("kernel", "kernel_initializer"), ("bias", "bias_initializer")):
            variable = getattr(layer, attr, None)
            if variable is not None:
                variable.assign(getattr(layer, init)(variable.shape))
        maps, _, _ = gradcam_maps(randomised, images, classes, layer_name)
        scores = np.array([spearman(r, m) for r, m in zip(reference, maps, strict=True)])
        rows.append(
            {
                "step": step,
                "randomised_down_to": layer.name,
                "spearman": float(np.nanmean(scores)) if np.isfinite(scores).any() else 0.0,
                "undefined": int(np.isnan(scores).sum()),
            }
        )
        log.info(
            "sanity check: randomised down to %s, mean Spearman %.3f",
            layer.name,
            rows[-1]["spearman"],
        )
    return rows


def deletion_curves(model, images, classes, saliency, fractions, seed=0, batch_size=512):
    """Probability of the class as pixels are set to 0 in three orders.

    'most' removes the most-highlighted pixels first, 'least' the least-highlighted,
    'random' a random order (the random-map baseline). A faithful map drops the
    probability fastest under 'most': its area under the curve is the smallest.
    """
    rng = np.random.default_rng(seed)
    n, h, w = saliency.shape
    flat = saliency.reshape(n, -1)
    jitter = rng.random(flat.shape) * 1e-6  # break ties at random, not by pixel position
    orders = {
        "most": np.argsort(-(flat + jitter), axis=1),
        "least": np.argsort(flat + jitter, axis=1),
        "random": np.argsort(rng.random(flat.shape), axis=1),
    }
    curves = {}
    base = images.reshape(n, -1)
    for name, order in orders.items():
        batch = []
        for fraction in fractions:
            k = int(round(fraction * h * w))
            masked = base.copy()
            rows = np.repeat(np.arange(n), k)
            masked[rows, order[:, :k].ravel()] = 0.0
            batch.append(masked.reshape(images.shape))
        stacked = np.concatenate(batch)
        probs = model.predict(stacked, batch_size=batch_size, verbose=0)
        picked = probs[np.arange(len(stacked)), np.tile(classes, len(fractions))]
        curves[name] = picked.reshape(len(fractions), n).mean(axis=1)
    span = fractions[-1] - fractions[0]
    auc = {name: float(np.trapezoid(curve, fractions) / span) for name, curve in curves.items()}
    return {name: curve.tolist() for name, curve in curves.items()}, auc


REGIONS_ROW = ("top", "middle", "bottom")
REGIONS_COL = ("left", "centre", "right")


def describe_peak(cam: np.ndarray) -> dict:
    """Where a map is brightest, in words a reader can check against the figure."""
    row, col = np.unravel_index(int(np.argmax(cam)), cam.shape)
    third_r, third_c = cam.shape[0] / 3, cam.shape[1] / 3
    total = cam.sum()
    half = cam.shape[0] // 2
    return {
        "peak_cell": [int(row), int(col)],
        "region": f"{REGIONS_ROW[min(int(row // third_r), 2)]} {REGIONS_COL[min(int(col // third_c), 2)]}",
        "top_half_share": float(cam[:half].sum() / total) if total > 0 else 0.0,
    }


def within_class_agreement(
    maps: np.ndarray, labels: np.ndarray, per_class: int = 30, seed: int = 0
):
    """Mean Spearman correlation between maps of the same digit and of different digits."""
    rng = np.random.default_rng(seed)
    same, other = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))[:per_class]
        rest = rng.permutation(np.flatnonzero(labels != c))[:per_class]
        for i in range(len(idx)):
            for j in range(i + 1, len(idx)):
                same.append(spearman(maps[idx[i]], maps[idx[j]]))
            for j in range(min(len(rest), len(idx))):
                other.append(spearman(maps[idx[i]], maps[rest[j]]))
    return float(np.nanmean(same)), float(np.nanmean(other))
