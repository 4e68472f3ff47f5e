"""Grad-CAM on the class score before softmax, without touching the trained model.

For an image, let A_k be the k-th feature map of the target conv layer and y_c the
logit (pre-softmax score) of class c. Grad-CAM (Selvaraju et al., 2017) weighs each map
by the mean of its gradient and keeps the positive part:

    alpha_k = mean_ij d y_c / d A_k[i, j]
    L_c     = ReLU( sum_k alpha_k A_k )

The model is read as one chain of layers, nested models opened up (a ``keras.Sequential``,
a functional model, or a conv layer inside a model inside the model). The chain is cut into
two functions that share the model's weights: images -> A (the layers up to the target) and
A -> logits (the remaining layers, the last Dense applied without its activation). Nothing
is mutated. The gradient is the one backend-specific step, in
``hw4.methods.gradients.gradient_of``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from hw4.errors import InputError
from hw4.methods.class_indices import class_indices
from hw4.methods.gradients import gradient_of


class GradCamError(InputError):
    """A model, target layer, class or image batch Grad-CAM cannot use; the message names
    ``gradcam.layer`` where the layer is at fault, and the argument otherwise."""


def leaf_layers(model) -> list:
    """The model's layers in order, nested models opened up and input layers left out."""
    leaves = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if hasattr(layer, "layers"):
            leaves.extend(leaf_layers(layer))
        else:
            leaves.append(layer)
    return leaves


def apply_chain(layers, x):
    """The layers applied one after the other in inference mode (dropout off, BN frozen)."""
    for layer in layers:
        x = layer(x, training=False)
    return x


def find_target_layer(model, images: np.ndarray, name: str | None = None) -> int:
    """Index in ``leaf_layers(model)`` of the named layer, or of the last convolution.

    The target must have spatial axes (an output of shape (n, h, w, channels)): a Dense or
    Flatten layer is refused with ``GradCamError`` naming ``gradcam.layer``. ``images`` (at
    least one) are used to find each layer's output rank.
    """
    if name is not None and not isinstance(name, str):
        raise GradCamError(f"gradcam.layer: {name!r} is not a layer name (allowed: text)")
    leaves = leaf_layers(model)
    ranks = []
    x = images[:1]
    for layer in leaves:
        try:
            x = layer(x, training=False)
        except (ValueError, TypeError) as error:  # a merge or multi-input layer: not one chain
            raise GradCamError(
                f"Grad-CAM reads the model as one chain of layers; layer {layer.name!r}"
                " does not take the previous layer's output alone"
            ) from error
        ranks.append(len(x.shape))
    spatial = [layer.name for layer, rank in zip(leaves, ranks, strict=True) if rank == 4]
    if name:
        names = [layer.name for layer in leaves]
        if name not in names:
            raise GradCamError(
                f"gradcam.layer: no layer {name!r} in the model ({', '.join(names)})"
            )
        index = names.index(name)
        if ranks[index] != 4:
            raise GradCamError(
                f"gradcam.layer: {name!r} has an output of rank {ranks[index]}, without spatial"
                f" axes; Grad-CAM needs a layer with (height, width, channels) output:"
                f" {', '.join(spatial) or 'the model has none'}"
            )
        return index
    for index in reversed(range(len(leaves))):
        if "conv" in type(leaves[index]).__name__.lower() and ranks[index] == 4:
            return index
    raise GradCamError("gradcam.layer: the model has no convolutional layer for Grad-CAM")


def split_model(model, target: int):
    """(features, head, classes): images -> target activations, activations -> logits.

    The last layer must be a Dense layer (its activation, softmax in Q7, is left out: the
    head returns logits). The chain is checked against the model itself on the way, in
    ``gradcam_maps``: a model whose layers do not form one chain is refused there.
    """
    leaves = leaf_layers(model)
    *middle, last = leaves[target + 1 :] or [None]
    if last is None or not isinstance(last, keras.layers.Dense):
        raise GradCamError(
            "Grad-CAM needs the model to end in a Dense layer after the target layer"
        )

    def features(images):
        return apply_chain(leaves[: target + 1], images)

    def head(activations):
        logits = ops.matmul(apply_chain(middle, activations), last.kernel)
        return logits + last.bias if last.use_bias else logits

    return features, head, last


def normalise_maps(maps: np.ndarray) -> np.ndarray:
    """Scale each map (n, h, w) to [0, 1] by its maximum; an all-zero map stays zero."""
    peak = maps.reshape(len(maps), -1).max(axis=1)
    safe = np.where(peak > 0, peak, 1.0)
    return np.where(peak[:, None, None] > 0, maps / safe[:, None, None], 0.0)


def upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Maps (n, h, w) resized bilinearly to (n, *size), as drawn over the images."""
    resized = ops.image.resize(maps[..., None].astype("float32"), size, interpolation="bilinear")
    return np.asarray(ops.convert_to_numpy(resized))[..., 0]


def checked_images(model, images) -> np.ndarray:
    """``images`` as a float32 array of at least one image in the model's input shape.

    Raises ``GradCamError`` naming the shape when the images are none, or do not have the
    model's input shape (a missing channel axis, say), before any layer runs."""
    array = np.asarray(images)
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):  # a Sequential model not built yet: no shape to hold to
        shape = None
    # A model of several inputs is refused later, as not one chain of layers.
    expected = tuple(shape[1:]) if isinstance(shape, tuple) else None
    if array.ndim == 0 or len(array) == 0:
        raise GradCamError(f"images: shape {array.shape} holds no image")
    if expected is not None and (
        array.ndim != len(expected) + 1
        or any(e is not None and e != a for e, a in zip(expected, array.shape[1:], strict=True))
    ):
        shown = "(n, " + ", ".join("any" if e is None else str(e) for e in expected) + ")"
        raise GradCamError(f"images: shape {array.shape} does not fit the model's input {shown}")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise GradCamError(f"images: dtype {array.dtype} is not a real number type")
    return array.astype("float32", copy=False)


def gradcam_maps(model, images: np.ndarray, classes=None, layer_name=None, batch_size: int = 256):
    """Raw (unnormalised) Grad-CAM maps (n, h, w) at the target layer's resolution, the classes
    used (n,) and the target layer's name.

    ``classes``: None for each image's predicted class, one class for every image, or one per
    image; a class is a whole number in 0..outputs-1 (3.0 is taken as 3). ``layer_name``:
    None or "" for the last convolution. Raises ``GradCamError`` in one line naming the value
    for any other ``classes`` (a class the model does not have, a fraction, a list of another
    length), a ``batch_size`` that is not a whole number above 0, images not in the model's
    input shape, a layer name that is not in the model or has no spatial axes, or a model
    whose layers do not form one chain (the chain's output differs from the model's).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise GradCamError(f"batch_size: {batch_size!r} is not a whole number")
    if batch_size < 1:
        raise GradCamError(f"batch_size: {batch_size} is not above 0")
    images = checked_images(model, images)
    target = find_target_layer(model, images, layer_name)
    features, head, last = split_model(model, target)
    if classes is not None:
        classes = class_indices(
            classes, len(images), last.units, "classes", GradCamError, items="images"
        )
    maps, used = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        activations = np.asarray(ops.convert_to_numpy(features(batch)))
        logits = np.asarray(ops.convert_to_numpy(head(activations)))
        if start == 0:
            expected = np.asarray(ops.convert_to_numpy(model(batch, training=False)))
            rebuilt = np.asarray(ops.convert_to_numpy(last.activation(logits)))
            if not np.allclose(rebuilt, expected, rtol=1e-3, atol=1e-4):
                raise GradCamError(
                    "Grad-CAM reads the model as one chain of layers; this model branches"
                )
        target_classes = (
            logits.argmax(axis=1)
            if classes is None
            else np.asarray(classes[start : start + batch_size])
        )
        mask = ops.one_hot(target_classes, logits.shape[-1])

        def score(a, mask=mask):
            return ops.sum(head(a) * mask, axis=1)

        _, grads = gradient_of(score, activations)
        weights = grads.mean(axis=(1, 2))  # alpha_k per image
        maps.append(np.maximum((activations * weights[:, None, None, :]).sum(axis=-1), 0.0))
        used.append(target_classes)
    return np.concatenate(maps), np.concatenate(used), leaf_layers(model)[target].name
