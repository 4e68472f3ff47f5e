"""Grad-CAM against a hand-computed case, model invariance, the sanity check, output ranges."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from hw4.methods.gradcam import (  # noqa: E402
    GradCamError,
    deletion_curves,
    describe_peak,
    find_last_conv,
    gradcam_maps,
    normalise_maps,
    randomisation_check,
    upsample,
)


def tiny_model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4, 4, 1))
    a = keras.layers.Conv2D(2, 1, use_bias=False, name="conv")(inputs)
    x = keras.layers.Flatten()(a)
    out = keras.layers.Dense(3, activation="softmax", name="out")(x)
    return keras.Model(inputs, out)


def test_matches_hand_computed_gradcam():
    model = tiny_model()
    rng = np.random.default_rng(1)
    images = rng.normal(size=(5, 4, 4, 1)).astype("float32")
    conv_w = np.asarray(model.get_layer("conv").kernel)[0, 0, 0]  # (2,)
    dense_w = np.asarray(model.get_layer("out").kernel)  # (32, 3)
    dense_b = np.asarray(model.get_layer("out").bias)
    activations = images[..., 0][..., None] * conv_w  # (5, 4, 4, 2)
    logits = activations.reshape(5, -1) @ dense_w + dense_b
    classes = logits.argmax(axis=1)
    # The logit is linear in A: d y_c / d A[i, j, k] = dense_w[(i*4 + j)*2 + k, c].
    expected = []
    for n in range(5):
        grads = dense_w[:, classes[n]].reshape(4, 4, 2)
        alpha = grads.mean(axis=(0, 1))
        expected.append(np.maximum((activations[n] * alpha).sum(axis=-1), 0))
    maps, used, layer = gradcam_maps(model, images)
    assert layer == "conv"
    np.testing.assert_array_equal(used, classes)
    np.testing.assert_allclose(maps, np.stack(expected), rtol=1e-4, atol=1e-5)


def test_explicit_classes_and_layer_name():
    model = tiny_model()
    images = np.ones((2, 4, 4, 1), "float32")
    maps_a, used, _ = gradcam_maps(model, images, classes=np.array([2, 2]), layer_name="conv")
    assert used.tolist() == [2, 2] and maps_a.shape == (2, 4, 4)
    with pytest.raises(GradCamError, match="no layer 'nope'"):
        find_last_conv(model, "nope")


def test_model_is_not_mutated():
    model = tiny_model()
    before = [w.copy() for w in model.get_weights()]
    activation = model.get_layer("out").activation
    gradcam_maps(model, np.ones((3, 4, 4, 1), "float32"))
    assert model.get_layer("out").activation is activation
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # The model still outputs probabilities.
    probs = model.predict(np.ones((1, 4, 4, 1), "float32"), verbose=0)
    assert probs.sum() == pytest.approx(1, abs=1e-5)


def test_normalisation_is_safe_for_all_zero_maps():
    maps = np.stack([np.zeros((3, 3)), np.arange(9.0).reshape(3, 3)])
    out = normalise_maps(maps)
    assert np.all(out[0] == 0) and out[1].max() == 1 and np.isfinite(out).all()


def test_upsample_shape_and_range():
    maps = normalise_maps(np.random.default_rng(0).random((4, 7, 7)))
    big = upsample(maps, (28, 28))
    assert big.shape == (4, 28, 28)
    assert big.min() >= -1e-6 and big.max() <= 1 + 1e-6


def test_randomisation_check_on_a_tiny_model():
    model = tiny_model()
    images = np.random.default_rng(2).normal(size=(8, 4, 4, 1)).astype("float32")
    classes = np.zeros(8, int)
    rows = randomisation_check(model, images, classes, seed=3)
    assert [r["randomised_down_to"] for r in rows] == ["none", "out", "conv"]
    assert rows[0]["spearman"] == 1.0
    assert all(-1 <= r["spearman"] <= 1 for r in rows)
    # The original model's weights are untouched by the check (it works on a clone).
    maps_after, _, _ = gradcam_maps(model, images, classes)
    maps_before, _, _ = gradcam_maps(tiny_model(), images, classes)
    np.testing.assert_allclose(maps_after, maps_before)


def test_deletion_curves_shapes_and_order():
    model = tiny_model()
    images = np.random.default_rng(4).random((6, 4, 4, 1)).astype("float32")
    classes = np.zeros(6, int)
    saliency = images[..., 0]  # brightest pixels first
    fractions = np.linspace(0, 1, 5)
    curves, auc = deletion_curves(model, images, classes, saliency, fractions)
    assert set(curves) == {"most", "random", "least"}
    assert all(len(c) == 5 for c in curves.values())
    # With everything removed, every order sees the same (blank) image.
    assert curves["most"][-1] == pytest.approx(curves["least"][-1])
    assert curves["most"][0] == pytest.approx(curves["random"][0])
    assert all(0 <= v <= 1 for v in auc.values())


def test_describe_peak():
    cam = np.zeros((7, 7))
    cam[0, 6] = 1
    assert describe_peak(cam)["region"] == "top right"
    assert describe_peak(cam)["top_half_share"] == 1.0
