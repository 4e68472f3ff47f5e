"""Q6 checks that need Keras: the NumPy batch norm against keras.layers.BatchNormalization,
parameter counts, small batches, speed with and without BN, and folding at inference."""

from __future__ import annotations

import logging
import time

import keras
import numpy as np

from hw4.methods.batchnorm import (
    BatchNorm,
    fold_into_dense,
    normalise_without_eps,
    numerical_gradient,
)

log = logging.getLogger("hw4")


def keras_gradients(layer, x, dy):
    """d sum(y * dy) / d(x, gamma, beta) through Keras' layer in training mode."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        loss = tf.reduce_sum(y * dy)
    dx, dgamma, dbeta = tape.gradient(loss, [x, layer.gamma, layer.beta])
    return np.asarray(y), np.asarray(dx), np.asarray(dgamma), np.asarray(dbeta)


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
    y_k, dx_k, dgamma_k, dbeta_k = keras_gradients(layer, x, dy)
    infer_k = np.asarray(layer(x, training=False))

    small = tuple(min(s, 3) for s in shape)  # numerical gradients on a small slice
    x_small, dy_small = (
        x[tuple(slice(0, s) for s in small)].copy(),
        dy[tuple(slice(0, s) for s in small)],
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
        "running_mean": float(np.abs(ours.running_mean - np.asarray(layer.moving_mean)).max()),
        "running_var": float(np.abs(ours.running_var - np.asarray(layer.moving_variance)).max()),
        "grad_x": float(np.abs(dx_ours - dx_k).max()),
        "grad_gamma": float(np.abs(dgamma_ours - dgamma_k).max()),
        "grad_beta": float(np.abs(dbeta_ours - dbeta_k).max()),
        "grad_x_numerical": float(np.abs(dx_small - numeric).max()),
    }


def epsilon_case(eps=1e-3) -> dict:
    """A feature that is constant in the batch: its variance is zero."""
    x = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]])
    without = normalise_without_eps(x)
    bn = BatchNorm.fresh(2, eps=eps)
    with_eps, _ = bn.forward_train(x)
    return {
        "batch": x.tolist(),
        "variance": x.var(axis=0).tolist(),
        "without_eps_constant_feature": [None if np.isnan(v) else float(v) for v in without[:, 1]],
        "without_eps_nan_count": int(np.isnan(without).sum()),
        "with_eps_constant_feature": with_eps[:, 1].tolist(),
        "with_eps_finite": bool(np.isfinite(with_eps).all()),
    }


def batch_of_one(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, 5))
    bn = BatchNorm.fresh(5)
    bn.beta = rng.normal(size=5)
    y, cache = bn.forward_train(x)
    dx, dgamma, dbeta = bn.backward(rng.normal(size=(1, 5)), cache)
    return {
        "input": x[0].tolist(),
        "output": y[0].tolist(),
        "beta": bn.beta.tolist(),
        "output_equals_beta": bool(np.allclose(y[0], bn.beta)),
        "max_abs_grad_x": float(np.abs(dx).max()),
        "max_abs_grad_gamma": float(np.abs(dgamma).max()),
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
    with each batch size, so that the running averages have had as many steps to settle."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, batch in enumerate(batch_sizes, start=1):
        model = small_cnn(True, seed)
        repeats = -(-steps * batch // len(x))
        order = np.concatenate([rng.permutation(len(x)) for _ in range(repeats)])[: steps * batch]
        start = time.perf_counter()
        for idx in order.reshape(steps, batch):
            model.train_on_batch(x[idx], y[idx])
        loss, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
        rows.append(
            {
                "batch_size": batch,
                "steps": steps,
                "test_accuracy": float(accuracy),
                "test_loss": float(loss),
                "seconds": time.perf_counter() - start,
            }
        )
        log.info(
            "batchnorm_checks: batch size %d (%d of %d): test accuracy %.4f after %d updates",
            batch,
            k,
            len(batch_sizes),
            accuracy,
            steps,
        )
    return rows


def step_time(model, x, y, batch: int, steps: int) -> float:
    """Median seconds of one training step (after a warm-up step)."""
    model.train_on_batch(x[:batch], y[:batch])
    times = []
    for i in range(steps):
        sl = slice((i * batch) % (len(x) - batch), (i * batch) % (len(x) - batch) + batch)
        start = time.perf_counter()
        model.train_on_batch(x[sl], y[sl])
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def speed_and_convergence(x, y, x_val, y_val, settings: dict, seed: int) -> dict:
    out = {}
    for name, bn in (("with_bn", True), ("without_bn", False)):
        model = small_cnn(bn, seed)
        out[name] = {
            "seconds_per_step": step_time(
                model, x, y, settings["batch_size"], settings["timing_steps"]
            )
        }
        model = small_cnn(bn, seed)
        history = model.fit(
            x,
            y,
            validation_data=(x_val, y_val),
            batch_size=settings["batch_size"],
            epochs=settings["max_epochs"],
            verbose=0,
        )
        acc = history.history["val_accuracy"]
        reached = next((i + 1 for i, a in enumerate(acc) if a >= settings["target_accuracy"]), None)
        out[name].update({"val_accuracy": [float(a) for a in acc], "epochs_to_target": reached})
        log.info(
            "batchnorm_checks: %s: %.4f s/step, target reached at epoch %s",
            name,
            out[name]["seconds_per_step"],
            reached,
        )
    return out


def folding_check(x, y, seed: int, repeats: int = 20) -> dict:
    """Fold each BN into the Dense before it; same outputs, less work at inference."""
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
        np.asarray(norm.gamma),
        np.asarray(norm.beta),
        np.asarray(norm.moving_mean),
        np.asarray(norm.moving_variance),
        eps=norm.epsilon,
    )
    kernel, bias = fold_into_dense(np.asarray(dense.kernel), np.asarray(dense.bias), bn)
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
    a = model.predict(flat, batch_size=512, verbose=0)
    b = folded.predict(flat, batch_size=512, verbose=0)

    def timed(m):
        m.predict(flat[:512], batch_size=512, verbose=0)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            m.predict(flat, batch_size=512, verbose=0)
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    return {
        "max_abs_difference": float(np.abs(a - b).max()),
        "same_predictions": bool((a.argmax(1) == b.argmax(1)).all()),
        "seconds_with_bn": timed(model),
        "seconds_folded": timed(folded),
        "images": int(len(flat)),
    }
