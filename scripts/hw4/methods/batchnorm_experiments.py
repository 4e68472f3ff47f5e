"""Q6 checks that need Keras: the NumPy batch norm against keras.layers.BatchNormalization,
parameter counts, small batches, speed with and without BN, and folding at inference."""

from __future__ import annotations

import itertools
import logging

import keras
import numpy as np

from hw4.methods.batchnorm import (
    BatchNorm,
    fold_into_dense,
    normalise_without_eps,
    numerical_gradient,
)
from hw4.methods.gradients import gradients_of
from hw4.methods.step_timing import seconds_per_call, timing_summary

log = logging.getLogger("hw4")


def keras_gradients(layer, x, dy):
    """d sum(y * dy) / d(x, gamma, beta) through Keras' layer in training mode, on any backend.

    The layer runs statelessly with gamma and beta passed in, so that they can be differentiated
    like the input; its moving statistics are left as they were. Returns (dx, dgamma, dbeta).
    """
    gamma, beta = layer.trainable_variables
    moving = [variable.value for variable in layer.non_trainable_variables]
    upstream = keras.ops.convert_to_tensor(dy, dtype=layer.dtype)

    def weighted_output(inputs, gamma_value, beta_value):
        outputs, _ = layer.stateless_call([gamma_value, beta_value], moving, inputs, training=True)
        return outputs * upstream

    _, (dx, dgamma, dbeta) = gradients_of(
        weighted_output, [x, keras.ops.convert_to_numpy(gamma), keras.ops.convert_to_numpy(beta)]
    )
    return dx, dgamma, dbeta


def compare_with_keras(shape, seed: int, momentum=0.99, eps=1e-3) -> dict:
    """Largest absolute differences between ours and Keras', for one input shape."""
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=shape).astype("float64")
    dy = rng.normal(size=shape)
    features = shape[-1]
    gamma, beta = rng.normal(1, 0.2, features), rng.normal(0, 0.2, features)

    ours = BatchNorm.fresh(features, momentum, eps)
    ours.gamma, ours.beta = gamma.copy(), beta.copy()
    y_ours, cache = ours.forward_train(x)
    dx_ours, dgamma_ours, dbeta_ours = ours.backward(dy, cache)
    infer_ours = ours.forward_inference(x)

    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=eps, dtype="float64")
    layer.build(shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    dx_k, dgamma_k, dbeta_k = keras_gradients(layer, x, dy)
    y_k = keras.ops.convert_to_numpy(layer(x, training=True))  # also updates the moving stats
    infer_k = keras.ops.convert_to_numpy(layer(x, training=False))

    small = tuple(min(side, 3) for side in shape)  # numerical gradients on a small slice
    x_small, dy_small = (
        x[tuple(slice(0, side) for side in small)].copy(),
        dy[tuple(slice(0, side) for side in small)],
    )
    probe = BatchNorm.fresh(small[-1], momentum, eps)
    probe.gamma, probe.beta = gamma[: small[-1]], beta[: small[-1]]
    _, cache_small = probe.forward_train(x_small)
    dx_small = probe.backward(dy_small, cache_small)[0]

    def loss_small(z):
        p = BatchNorm.fresh(small[-1], momentum, eps)
        p.gamma, p.beta = gamma[: small[-1]], beta[: small[-1]]
        return float((p.forward_train(z)[0] * dy_small).sum())

    numeric = numerical_gradient(loss_small, x_small)
    return {
        "shape": list(shape),
        "output_train": float(np.abs(y_ours - y_k).max()),
        "output_inference": float(np.abs(infer_ours - infer_k).max()),
        "running_mean": float(
            np.abs(ours.running_mean - keras.ops.convert_to_numpy(layer.moving_mean)).max()
        ),
        "running_var": float(
            np.abs(ours.running_var - keras.ops.convert_to_numpy(layer.moving_variance)).max()
        ),
        "grad_x": float(np.abs(dx_ours - dx_k).max()),
        "grad_gamma": float(np.abs(dgamma_ours - dgamma_k).max()),
        "grad_beta": float(np.abs(dbeta_ours - dbeta_k).max()),
        "grad_x_numerical": float(np.abs(dx_small - numeric).max()),
    }


def epsilon_case(eps=1e-3) -> dict:
    """A feature that is constant in the batch: its variance is zero.

    Returns the batch, the NaN count of normalising without epsilon, and with epsilon the
    largest absolute output of the constant feature and whether every output is finite.
    """
    x = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]])
    without = normalise_without_eps(x)
    bn = BatchNorm.fresh(2, eps=eps)
    with_eps, _ = bn.forward_train(x)
    return {
        "batch": x.tolist(),
        "without_eps_nan_count": int(np.isnan(without).sum()),
        "with_eps_constant_feature_largest": float(np.abs(with_eps[:, 1]).max()),
        "with_eps_finite": bool(np.isfinite(with_eps).all()),
    }


def batch_of_one(shape, seed: int) -> dict:
    """Training-mode batch norm on a batch of one example of ``shape`` (without the batch axis).

    The statistics are taken over every axis but the channels: a dense feature has one value
    per batch of one (so x - mu = 0 and the output is beta), a conv channel still has H * W.
    Returns how many values each statistic saw, whether the output collapsed to beta, the
    spread of the output within each channel and the largest input and gamma gradients.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, *shape))
    features = shape[-1]
    bn = BatchNorm.fresh(features)
    bn.beta = rng.normal(size=features)
    y, cache = bn.forward_train(x)
    dx, dgamma, _ = bn.backward(rng.normal(size=x.shape), cache)
    channel_axes = tuple(range(y.ndim - 1))
    return {
        "shape": [1, *shape],
        "values_per_statistic": int(np.prod(shape[:-1], dtype=int)),
        "output_equals_beta": bool(np.allclose(y, bn.beta)),
        "largest_output_spread": float(y.std(axis=channel_axes).max()),
        "largest_grad_x": float(np.abs(dx).max()),
        "largest_grad_gamma": float(np.abs(dgamma).max()),
    }


def parameter_counts() -> dict:
    """Dense(20) on a 10-dimensional input, then BatchNormalization, as Keras counts them."""

    def counts(use_bias):
        model = keras.Sequential(
            [
                keras.Input((10,)),
                keras.layers.Dense(20, use_bias=use_bias),
                keras.layers.BatchNormalization(),
            ]
        )
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
        return {
            "dense": int(model.layers[0].count_params()),
            "batchnorm_trainable": int(
                sum(np.prod(w.shape) for w in model.layers[1].trainable_weights)
            ),
            "trainable": trainable,
            "non_trainable": frozen,
        }

    return {"with_bias": counts(True), "without_bias": counts(False)}


SMALL_CNN_MOMENTUM = 0.9


def small_cnn(batchnorm: bool, seed: int, momentum: float = SMALL_CNN_MOMENTUM):
    """Two conv blocks and a dense layer, with or without batch normalisation.

    Momentum 0.9, not Keras' 0.99: the running variance starts at 1 and with 0.99 it
    needs thousands of updates to forget that start (0.99^400 = 0.018 of it is still
    there after 400), which in these short runs would make inference mode fail for
    reasons that have nothing to do with the question asked.
    """
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((28, 28, 1))]
    for filters in (16, 32):
        layers.append(keras.layers.Conv2D(filters, 3, padding="same", use_bias=not batchnorm))
        if batchnorm:
            layers.append(keras.layers.BatchNormalization(momentum=momentum))
        layers += [keras.layers.Activation("relu"), keras.layers.MaxPooling2D(2)]
    layers += [keras.layers.Flatten(), keras.layers.Dense(64, use_bias=not batchnorm)]
    if batchnorm:
        layers.append(keras.layers.BatchNormalization(momentum=momentum))
    layers += [keras.layers.Activation("relu"), keras.layers.Dense(10, activation="softmax")]
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def small_batch_accuracy(x, y, x_test, y_test, batch_sizes, steps: int, seed: int) -> list[dict]:
    """Test accuracy (inference mode, running statistics) after the same number of updates
    with each batch size, so that the running averages have had as many steps to settle.

    Each row: ``{"batch_size", "test_accuracy", "predicted"}``, ``predicted`` the class the
    model gives each test image (a list of n ints, in ``x_test``'s order), for a paired test
    between batch sizes on the same images.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for number, batch in enumerate(batch_sizes, start=1):
        model = small_cnn(True, seed)
        repeats = -(-steps * batch // len(x))
        order = np.concatenate([rng.permutation(len(x)) for _ in range(repeats)])[: steps * batch]
        for indices in order.reshape(steps, batch):
            model.train_on_batch(x[indices], y[indices])
        _, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
        predicted = np.argmax(model.predict(x_test, batch_size=256, verbose=0), axis=1)
        rows.append(
            {
                "batch_size": batch,
                "test_accuracy": float(accuracy),
                "predicted": [int(label) for label in predicted],
            }
        )
        log.info(
            "batchnorm_checks: batch size %d (%d of %d): test accuracy %.4f after %d updates",
            batch,
            number,
            len(batch_sizes),
            accuracy,
            steps,
        )
    return rows


def training_step_seconds(model, x, y, batch_size: int, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` training steps on consecutive batches (warm-up excluded)."""
    starts = itertools.cycle(range(0, len(x) - batch_size + 1, batch_size))

    def one_step():
        start = next(starts)
        model.train_on_batch(x[start : start + batch_size], y[start : start + batch_size])

    return seconds_per_call(one_step, repeats)


def speed_and_convergence(x, y, x_val, y_val, settings: dict, seed: int) -> dict:
    """Per model ("with_bn", "without_bn"): the timing summary of a training step, the
    validation accuracy per epoch, and the first epoch that reached the target (or None)."""
    results = {}
    for name, batchnorm in (("with_bn", True), ("without_bn", False)):
        seconds = training_step_seconds(
            small_cnn(batchnorm, seed), x, y, settings["batch_size"], settings["timing_steps"]
        )
        history = small_cnn(batchnorm, seed).fit(
            x,
            y,
            validation_data=(x_val, y_val),
            batch_size=settings["batch_size"],
            epochs=settings["max_epochs"],
            verbose=0,
        )
        accuracy = [float(a) for a in history.history["val_accuracy"]]
        reached = next(
            (epoch for epoch, a in enumerate(accuracy, 1) if a >= settings["target_accuracy"]),
            None,
        )
        results[name] = {
            "step_seconds": timing_summary(seconds),
            "val_accuracy": accuracy,
            "epochs_to_target": reached,
        }
        log.info(
            "batchnorm_checks: %s: median %.4f s/step, %s",
            name,
            results[name]["step_seconds"]["median"],
            f"validation accuracy {settings['target_accuracy']} reached at epoch {reached}"
            if reached is not None
            else f"validation accuracy {settings['target_accuracy']} not reached in"
            f" {settings['max_epochs']} epochs (best {max(accuracy):.4f})",
        )
    return results


def folding_check(x, y, seed: int, repeats: int = 20) -> dict:
    """Fold the BN into the Dense before it: the same outputs, and the time of both models.

    Returns the largest output difference, whether the predicted classes agree, and the timing
    summaries (seconds to predict all of ``x``) of the model with BN and of the folded one.
    """
    keras.utils.set_random_seed(seed)
    flat = x.reshape(len(x), -1)
    model = keras.Sequential(
        [
            keras.Input((flat.shape[1],)),
            keras.layers.Dense(256, name="dense_a"),
            keras.layers.BatchNormalization(name="bn_a"),
            keras.layers.Activation("relu"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(flat, y, epochs=1, batch_size=64, verbose=0)
    dense, norm = model.get_layer("dense_a"), model.get_layer("bn_a")
    bn = BatchNorm(
        keras.ops.convert_to_numpy(norm.gamma),
        keras.ops.convert_to_numpy(norm.beta),
        keras.ops.convert_to_numpy(norm.moving_mean),
        keras.ops.convert_to_numpy(norm.moving_variance),
        eps=norm.epsilon,
    )
    kernel, bias = fold_into_dense(
        keras.ops.convert_to_numpy(dense.kernel), keras.ops.convert_to_numpy(dense.bias), bn
    )
    folded = keras.Sequential(
        [
            keras.Input((flat.shape[1],)),
            keras.layers.Dense(256, name="dense_folded"),
            keras.layers.Activation("relu"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    folded.get_layer("dense_folded").set_weights([kernel.astype("float32"), bias.astype("float32")])
    folded.get_layer("out").set_weights(model.get_layer("out").get_weights())
    unfolded_output = model.predict(flat, batch_size=512, verbose=0)
    folded_output = folded.predict(flat, batch_size=512, verbose=0)

    def prediction_seconds(network):
        return timing_summary(
            seconds_per_call(lambda: network.predict(flat, batch_size=512, verbose=0), repeats)
        )

    return {
        "max_abs_difference": float(np.abs(unfolded_output - folded_output).max()),
        "same_predictions": bool((unfolded_output.argmax(1) == folded_output.argmax(1)).all()),
        "seconds_with_bn": prediction_seconds(model),
        "seconds_folded": prediction_seconds(folded),
        "images": int(len(flat)),
    }
