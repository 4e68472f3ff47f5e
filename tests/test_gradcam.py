"""Grad-CAM against a hand-computed case, on Sequential and nested models, refused on layers
without spatial axes or branching models; the gradcam step on a trained Q7 model, its verdicts."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from hw4.methods.gradcam import (  # noqa: E402
    GradCamError,
    find_target_layer,
    gradcam_maps,
    normalise_maps,
    upsample,
)
from hw4.methods.gradcam_checks import (  # noqa: E402
    randomisation_check,
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


@functools.cache
def small_trained_q7():
    """The Q7 model trained briefly on real digits (the embedded MNIST subset), once a session:
    (model, data, shuffle order)."""
    from hw4.data.mnist import load_embedded, subset
    from hw4.steps import train_cnn

    data = subset(load_embedded(seed=0, test_fraction=0.2), 600, 200, seed=0)
    settings = {"epochs": 3, "batch_size": 32, "validation_fraction": 0.1, "show_digits": 10}
    keras.utils.set_random_seed(0)
    result = train_cnn.run(data, settings, 0, {"device": "CPU: test"})
    return result["model"], data, result["order"]


@pytest.mark.slow
def test_gradcam_step_on_a_trained_model():
    from hw4.steps import gradcam

    model, data, order = small_trained_q7()
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
    assert deletion["pool"] == "ink" and set(deletion["comparisons"]) == {"random", "intensity"}
    assert deletion["own_ranking"]["verdict"] in {"lower", "higher", "within_noise"}
    assert deletion["verdict"] in {
        "ranking_fails",
        "beats_every_baseline",
        "loses_to_a_baseline",
        "within_noise",
    }
    whole = metrics["deletion_whole_image"]
    assert set(whole["comparisons"]) == {"random", "random_ink", "intensity"}
    final = metrics["randomisation"]["final"]
    assert final["min"] <= final["q1"] <= final["median"] <= final["q3"] <= final["max"]
    # The same digit is compared on maps for the true digit; a correctly classified image's
    # map for its true digit is its map for the predicted class.
    first = metrics["first_images"]
    labels = [f["true"] for f in first]
    for group in metrics["first_image_pairs"]["groups"]:
        assert all(labels[i] == group["digit"] for i in group["positions"])
        assert len(group["positions"]) == labels.count(group["digit"]) > 1
    for image in first:
        if image["true"] == image["predicted"]:
            assert image["true_class_peak"]["peak_cell"] == image["peak_cell"]
    assert result["arrays"]["first_maps_true_class"].shape == (10, 7, 7)
    assert result["arrays"]["first_maps"].shape == (10, 7, 7)
    assert result["arrays"]["class_mean_maps"].shape == (10, 7, 7)
    assert all(p["region"] is None or p["region"].count("-") == 1 for p in metrics["class_peaks"])


def test_step_verdicts_flip_with_the_measurements():
    from hw4.steps.gradcam import deletion_verdict, randomisation_verdict

    def rows(*medians):
        return [{"median": 1.0}] + [{"median": v} for v in medians]

    # The median over the maps once every layer is randomised decides, against 0.3.
    assert randomisation_verdict(rows(0.6, 0.1)) == "passes"
    assert randomisation_verdict(rows(0.1, 0.35)) == "fails"
    assert randomisation_verdict(rows(0.4, None)) == "undefined"
    lower, higher, tied = ({"verdict": v} for v in ("lower", "higher", "within_noise"))
    assert deletion_verdict(lower, {"a": lower, "b": lower}) == "beats_every_baseline"
    assert deletion_verdict(lower, {"a": lower, "b": higher, "c": tied}) == "loses_to_a_baseline"
    assert deletion_verdict(lower, {"a": lower, "b": tied}) == "within_noise"
    # Most-first not clearly ahead of least-first fails, whatever the baselines say.
    assert deletion_verdict(tied, {"a": lower, "b": lower}) == "ranking_fails"
    assert deletion_verdict(higher, {"a": lower}) == "ranking_fails"
