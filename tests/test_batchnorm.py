"""Q6: the NumPy batch norm against Keras (property-based), parameter counts, folding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hw4.methods.batchnorm import (
    BatchNorm,
    fold_into_dense,
    normalise_without_eps,
    numerical_gradient,
    running_stats_drift,
)

keras = pytest.importorskip("keras")
from hw4.methods import batchnorm_experiments as bn_checks  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.lists(st.integers(1, 5), min_size=2, max_size=4).map(tuple),
    seed=st.integers(0, 10_000),
    momentum=st.floats(0.5, 0.999),
    eps=st.sampled_from([1e-5, 1e-3, 1e-1]),
)
def test_numpy_bn_matches_keras(shape, seed, momentum, eps):
    if np.prod(shape[:-1]) < 2:
        shape = (2, *shape[1:])
    diffs = bn_checks.compare_with_keras(shape, seed, momentum, eps)
    for key, value in diffs.items():
        if key != "shape":
            assert value < 1e-6, (key, value, shape)


def test_backward_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    x, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    bn = BatchNorm.fresh(3)
    bn.gamma = rng.normal(size=3)
    _, cache = bn.forward_train(x)
    dx, dgamma, dbeta = bn.backward(dy, cache)

    def loss_x(z):
        return float(
            (BatchNorm(bn.gamma, bn.beta, np.zeros(3), np.ones(3)).forward_train(z)[0] * dy).sum()
        )

    def loss_gamma(g):
        return float(
            (BatchNorm(g, bn.beta, np.zeros(3), np.ones(3)).forward_train(x)[0] * dy).sum()
        )

    np.testing.assert_allclose(dx, numerical_gradient(loss_x, x.copy()), atol=1e-6)
    np.testing.assert_allclose(dgamma, numerical_gradient(loss_gamma, bn.gamma.copy()), atol=1e-6)
    np.testing.assert_allclose(dbeta, dy.sum(axis=0))


def test_epsilon_and_batch_of_one():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    assert np.isnan(normalise_without_eps(x)[:, 1]).all()
    y, cache = BatchNorm.fresh(2).forward_train(x)
    assert np.isfinite(y).all() and np.allclose(y[:, 1], 0)
    dense = bn_checks.batch_of_one((5,), 0)
    assert dense["output_equals_beta"] and dense["values_per_statistic"] == 1
    assert dense["largest_grad_x"] == 0 and dense["largest_grad_gamma"] == 0


def test_batch_of_one_breaks_dense_but_not_conv_batch_norm():
    conv = bn_checks.batch_of_one((6, 6, 4), 0)
    assert conv["values_per_statistic"] == 36
    assert not conv["output_equals_beta"]
    assert conv["largest_output_spread"] > 0.5 and conv["largest_grad_x"] > 0


def test_running_statistics_with_tiny_batches():
    mean1, var1 = running_stats_drift(1, 800, 3.0, 2.0, seed=0)
    mean32, var32 = running_stats_drift(32, 800, 3.0, 2.0, seed=0)
    # A batch of one has no variance: the running variance decays from 1 towards zero (0.99^800).
    assert var1 < 1e-3
    assert abs(var32 - 4.0 * 31 / 32) < 0.6 and abs(mean32 - 3.0) < 0.3


def test_parameter_counts_as_keras_reports_them():
    counts = bn_checks.parameter_counts()
    assert counts["with_bias"] == {
        "dense": 220,
        "batchnorm_trainable": 40,
        "trainable": 260,
        "non_trainable": 40,
    }
    assert counts["without_bias"]["trainable"] == 240


def test_folding_identity():
    rng = np.random.default_rng(1)
    kernel, bias, x = rng.normal(size=(5, 4)), rng.normal(size=4), rng.normal(size=(7, 5))
    bn = BatchNorm(rng.normal(size=4), rng.normal(size=4), rng.normal(size=4), rng.random(4) + 0.5)
    folded_kernel, folded_bias = fold_into_dense(kernel, bias, bn)
    np.testing.assert_allclose(
        x @ folded_kernel + folded_bias, bn.forward_inference(x @ kernel + bias), atol=1e-12
    )


def test_keras_folding_check_on_tiny_data():
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 64)
    result = bn_checks.folding_check(x, y, seed=0, repeats=3)
    assert result["max_abs_difference"] < 1e-5 and result["same_predictions"]
    assert result["seconds_folded"]["repeats"] == 3


def test_gradients_of_several_arrays_match_the_numpy_backward():
    rng = np.random.default_rng(3)
    x, dy = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    layer = keras.layers.BatchNormalization(dtype="float64")
    layer.build(x.shape)
    layer.gamma.assign(rng.normal(1, 0.2, 3))
    dx, dgamma, dbeta = bn_checks.keras_gradients(layer, x, dy)
    ours = BatchNorm.fresh(3)
    ours.gamma = keras.ops.convert_to_numpy(layer.gamma)
    _, cache = ours.forward_train(x)
    for theirs, mine in zip((dx, dgamma, dbeta), ours.backward(dy, cache), strict=True):
        np.testing.assert_allclose(theirs, mine, atol=1e-10)
    # Stateless: the moving statistics are untouched by taking gradients.
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.moving_mean), np.zeros(3))


def test_gradient_of_one_array_still_gives_per_sample_scores():
    from hw4.methods.gradients import gradient_of

    x = np.arange(6, dtype="float64").reshape(3, 2)
    scores, grad = gradient_of(lambda a: keras.ops.sum(a**2, axis=1), x)
    np.testing.assert_allclose(scores, (x**2).sum(axis=1))
    np.testing.assert_allclose(grad, 2 * x)


def flipped_speed(with_bn_seconds, without_bn_seconds, with_bn_epoch, without_bn_epoch):
    from hw4.methods.step_timing import timing_summary

    return {
        "with_bn": {
            "step_seconds": timing_summary(with_bn_seconds),
            "epochs_to_target": with_bn_epoch,
        },
        "without_bn": {
            "step_seconds": timing_summary(without_bn_seconds),
            "epochs_to_target": without_bn_epoch,
        },
    }


def test_verdicts_follow_the_measurements():
    from hw4.methods.step_timing import timing_summary
    from hw4.steps.batchnorm_checks import verdicts

    slow, fast = [2.0, 2.1, 2.2, 2.3], [1.0, 1.1, 1.2, 1.3]
    one = {"dense": {"output_equals_beta": True}, "conv": {"output_equals_beta": False}}
    folding = {"seconds_folded": timing_summary(slow), "seconds_with_bn": timing_summary(fast)}
    measured = verdicts(flipped_speed(slow, fast, 2, None), folding, one)
    assert measured == {
        "training_step": "slower",
        "folded_prediction": "slower",
        "convergence": "with_bn",
        "collapses_at_batch_of_one": ["dense"],
    }
    folding = {"seconds_folded": timing_summary(fast), "seconds_with_bn": timing_summary(slow)}
    flipped = verdicts(flipped_speed(fast, slow, 3, 1), folding, one)
    assert flipped["training_step"] == "faster" and flipped["folded_prediction"] == "faster"
    assert flipped["convergence"] == "without_bn"
    assert verdicts(flipped_speed(fast, fast, None, None), folding, one)["training_step"] == (
        "within_noise"
    )
    assert verdicts(flipped_speed(fast, fast, None, None), folding, one)["convergence"] == "neither"


def test_training_subset_is_seeded_and_disjoint():
    from hw4.steps.batchnorm_checks import VALIDATION_IMAGES, training_subset

    rng = np.random.default_rng(0)
    data = {
        "x_train": rng.integers(0, 256, (700, 28, 28), dtype=np.uint8),
        "y_train": np.arange(700) % 10,
        "x_test": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "y_test": np.arange(30) % 10,
    }
    subset = training_subset(data, 1500, seed=1)
    assert len(subset["y"]) == 700 - VALIDATION_IMAGES and len(subset["y_val"]) == VALIDATION_IMAGES
    assert subset["x"].max() <= 1.0 and subset["x"].shape[-1] == 1
    again = training_subset(data, 1500, seed=1)
    np.testing.assert_array_equal(subset["y"], again["y"])


def test_drift_rows_and_largest_difference():
    from hw4.steps.batchnorm_checks import DRIFT_MEAN, drift_rows, largest_difference

    rows = drift_rows([1, 32], 400, seed=0)
    assert [row["batch_size"] for row in rows] == [1, 32]
    assert rows[0]["running_var"] < rows[1]["running_var"]
    assert abs(rows[1]["running_mean"] - DRIFT_MEAN) < 0.3
    comparisons = [{"shape": [2, 3], "grad_x": 1e-9, "output_train": 3e-12}, {"grad_beta": 2e-8}]
    assert largest_difference(comparisons) == 2e-8


def test_the_batch_sizes_are_compared_on_the_same_images_by_mcnemar():
    from scipy.stats import binomtest

    from hw4.steps.batchnorm_checks import best_versus_worst

    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    rows = [
        {"batch_size": 1, "test_accuracy": 0.25, "predicted": [0, 1, 9, 9, 9, 9, 9, 9]},
        {"batch_size": 32, "test_accuracy": 0.75, "predicted": [0, 9, 2, 3, 4, 5, 6, 9]},
    ]
    found = best_versus_worst(rows, np.eye(8)[labels])  # one-hot labels as the step has them
    assert (found["best_batch"], found["worst_batch"]) == (32, 1)
    assert (found["b"], found["c"]) == (5, 1)
    assert found["p_value"] == pytest.approx(binomtest(5, 6, 0.5).pvalue)
    assert found["first_accuracy"] == 0.75 and found["second_accuracy"] == 0.25
