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
    one = bn_checks.batch_of_one(0)
    assert (
        one["output_equals_beta"] and one["max_abs_grad_x"] == 0 and one["max_abs_grad_gamma"] == 0
    )


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
    result = bn_checks.folding_check(x, y, seed=0, repeats=1)
    assert result["max_abs_difference"] < 1e-5 and result["same_predictions"]
