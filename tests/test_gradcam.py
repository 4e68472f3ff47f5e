"""Grad-CAM against a hand-computed case, on Sequential and nested models, refused on layers
without spatial axes; the checks (randomisation, deletion against baselines that can fail), never
NaN for all-zero maps; the gradcam step on a trained Q7 model."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import json  # noqa: E402

from hw4.methods.gradcam import (  # noqa: E402
    GradCamError,
    find_target_layer,
    gradcam_maps,
    normalise_maps,
    upsample,
)
from hw4.methods.gradcam_checks import (  # noqa: E402
    DELETION_ORDERS,
    area_under,
    compare_to_baseline,
    deletion_curves,
    describe_peak,
    mean_defined,
    randomisation_check,
    spearman,
    within_class_agreement,
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
    with pytest.raises(GradCamError, match="gradcam.layer: no layer 'nope'"):
        find_target_layer(model, images, "nope")


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
    curves = deletion_curves(model, images, classes, saliency, fractions)
    assert set(curves) == set(DELETION_ORDERS)
    assert all(c.shape == (5, 6) for c in curves.values())
    # With everything removed, every order sees the same (blank) image.
    np.testing.assert_allclose(curves["most"][-1], curves["least"][-1], rtol=1e-5)
    np.testing.assert_allclose(curves["most"][0], curves["random"][0], rtol=1e-5)
    # A map equal to the image deletes in the intensity baseline's order.
    np.testing.assert_allclose(curves["most"], curves["intensity"], rtol=1e-5)
    areas = {name: area_under(c, fractions) for name, c in curves.items()}
    assert all(a.shape == (6,) and (0 <= a).all() and (a <= 1).all() for a in areas.values())


def test_random_ink_deletes_ink_before_background():
    from hw4.methods.gradcam_checks import deletion_orders

    images = np.zeros((2, 4, 4, 1), "float32")
    images[:, 1:3, 1:3] = 0.5  # four ink pixels each
    orders = deletion_orders(images, np.zeros((2, 4, 4)), seed=0)
    ink = {5, 6, 9, 10}
    for row in orders["random_ink"]:
        assert set(row[:4].tolist()) == ink
    assert not all(set(row[:4].tolist()) == ink for row in orders["random"])


def test_comparison_verdicts_flip_with_the_measurements():
    rng = np.random.default_rng(0)
    baseline = rng.random(50)
    assert compare_to_baseline(baseline - 0.2, baseline)["verdict"] == "lower"
    assert compare_to_baseline(baseline + 0.2, baseline)["verdict"] == "higher"
    noisy = baseline + rng.normal(0, 0.2, 50)
    noisy += baseline.mean() - noisy.mean()
    comparison = compare_to_baseline(noisy, baseline)
    assert comparison["verdict"] == "within_noise" and comparison["low"] < 0 < comparison["high"]


def test_all_zero_maps_give_no_nan():
    zeros, ramp = np.zeros((3, 3)), np.arange(9.0).reshape(3, 3)
    assert spearman(zeros, ramp) is None
    assert mean_defined([None, None]) == (None, 2)
    assert describe_peak(zeros) == {"peak_cell": None, "region": None, "top_half_share": None}
    agreement = within_class_agreement(np.zeros((6, 3, 3)), np.array([0, 0, 0, 1, 1, 1]))
    assert agreement["same_digit"] is None and agreement["undefined_pairs"] > 0
    # A model whose maps are all zero (blank images, no bias): the check says undefined, no NaN.
    rows = randomisation_check(tiny_model(), np.zeros((4, 4, 4, 1), "float32"), np.zeros(4, int))
    assert rows[-1]["spearman"] is None and rows[-1]["undefined"] == 4
    json.dumps(rows, allow_nan=False)


def test_describe_peak():
    cam = np.zeros((7, 7))
    cam[0, 6] = 1
    assert describe_peak(cam)["region"] == "top-right"
    assert describe_peak(cam)["top_half_share"] == 1.0
    cam = np.zeros((7, 7))
    cam[3, 3] = 1
    assert describe_peak(cam)["region"] == "middle-centre"


def layers_like_tiny(seed=0):
    keras.utils.set_random_seed(seed)
    return (
        keras.layers.Conv2D(2, 1, use_bias=False, name="conv"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(3, activation="softmax", name="out"),
    )


def test_sequential_and_nested_models_give_the_functional_maps():
    functional = tiny_model()
    images = np.random.default_rng(5).normal(size=(4, 4, 4, 1)).astype("float32")
    expected, expected_classes, _ = gradcam_maps(functional, images)

    sequential = keras.Sequential([keras.Input((4, 4, 1)), *layers_like_tiny()])
    sequential.set_weights(functional.get_weights())
    maps, classes, layer = gradcam_maps(sequential, images)
    assert layer == "conv"
    np.testing.assert_allclose(maps, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(classes, expected_classes)

    # The conv layer inside a functional model inside a Sequential one, named by the user.
    conv, flatten, out = layers_like_tiny()
    inner_input = keras.Input((4, 4, 1))
    backbone = keras.Model(inner_input, conv(inner_input), name="backbone")
    nested = keras.Sequential([keras.Input((4, 4, 1)), backbone, flatten, out])
    nested.set_weights(functional.get_weights())
    maps, _, layer = gradcam_maps(nested, images, layer_name="conv")
    assert layer == "conv"
    np.testing.assert_allclose(maps, expected, rtol=1e-5, atol=1e-6)
    rows = randomisation_check(nested, images, expected_classes, "conv", seed=1)
    assert [r["randomised_down_to"] for r in rows] == ["none", "out", "conv"]


def test_a_layer_without_spatial_axes_is_refused_naming_the_key():
    model = tiny_model()
    images = np.ones((2, 4, 4, 1), "float32")
    for name in ("out", "flatten"):
        with pytest.raises(GradCamError) as caught:
            gradcam_maps(
                model,
                images,
                layer_name=model.layers[-1].name if name == "out" else model.layers[2].name,
            )
        message = str(caught.value)
        assert message.startswith("gradcam.layer:") and "spatial" in message and "conv" in message
        assert "\n" not in message


def test_a_branching_model_is_refused():
    inputs = keras.Input((4, 4, 1))
    conv = keras.layers.Conv2D(2, 1, name="conv")(inputs)
    skip = keras.layers.Flatten()(inputs)
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(conv), skip])
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(joined))
    with pytest.raises(GradCamError, match="one chain"):
        gradcam_maps(model, np.ones((2, 4, 4, 1), "float32"))


@pytest.fixture(scope="module")
def trained():
    """The Q7 model trained briefly on real digits (the embedded MNIST subset)."""
    from hw4.data.mnist import load_embedded, subset
    from hw4.steps import train_cnn

    data = subset(load_embedded(seed=0, test_fraction=0.2), 600, 200, seed=0)
    settings = {"epochs": 3, "batch_size": 32, "validation_fraction": 0.1, "show_digits": 10}
    keras.utils.set_random_seed(0)
    result = train_cnn.run(data, settings, 0, {"device": "CPU: test"})
    return result["model"], data, result["order"]


@pytest.mark.slow
def test_the_deletion_check_can_fail(trained):
    """A map that points at the background loses to the ink baselines; the image itself ties."""
    from hw4.methods.mnist_cnn import scale_images
    from hw4.steps.gradcam import deletion_verdict

    model, data, _ = trained
    images = scale_images(data["x_test"][:60])
    classes = model.predict(images, verbose=0).argmax(axis=1)
    fractions = np.linspace(0, 0.5, 6)
    verdicts = {}
    for name, saliency in {
        "background": 1 - images[..., 0],
        "intensity": images[..., 0],
    }.items():
        curves = deletion_curves(model, images, classes, saliency, fractions, seed=0)
        areas = {order: area_under(c, fractions) for order, c in curves.items()}
        comparisons = {
            b: compare_to_baseline(areas["most"], areas[b]) for b in ("random_ink", "intensity")
        }
        verdicts[name] = deletion_verdict(comparisons)
    assert verdicts["background"] == "loses_to_a_baseline"
    assert verdicts["intensity"] != "beats_every_baseline"


@pytest.mark.slow
def test_gradcam_step_on_a_trained_model(trained):
    from hw4.steps import gradcam

    model, data, order = trained
    settings = {
        "layer": "",
        "first_images": 10,
        "check_images": 20,
        "deletion_max_fraction": 0.5,
        "deletion_steps": 4,
    }
    result = gradcam.run(model, data, order, settings, 0, {"device": "CPU: test"})
    metrics = result["metrics"]
    json.dumps(metrics, allow_nan=False)  # never NaN in the artifact
    assert metrics["layer"] == "conv_3" and metrics["model_unchanged"]
    assert not metrics["layer_configured"]
    assert [f["index"] for f in metrics["first_images"]] == order[:10].tolist()
    assert metrics["randomisation"]["verdict"] in {"passes", "fails", "undefined"}
    deletion = metrics["deletion"]
    assert set(deletion["comparisons"]) == {"random", "random_ink", "intensity"}
    assert deletion["verdict"] in {"beats_every_baseline", "loses_to_a_baseline", "within_noise"}
    assert result["arrays"]["first_maps"].shape == (10, 7, 7)
    assert result["arrays"]["class_mean_maps"].shape == (10, 7, 7)
    assert all(p["region"] is None or p["region"].count("-") == 1 for p in metrics["class_peaks"])
