"""Q7: the fixed MNIST CNN, trained as the homework describes.

Conv(32)-pool-Conv(64)-pool-Conv(64)-pool-Flatten-Dense(128)-Dense(128)-Dense(10,
softmax), 3x3 'same' convolutions and 2x2 max pooling, Adam, categorical
cross-entropy, 15 epochs at batch 64.
"""

from __future__ import annotations

import logging
import time

import numpy as np

log = logging.getLogger("hw4")


def shuffle_training(
    x: np.ndarray, y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One permutation for images and labels, so every label stays with its image."""
    order = np.random.default_rng(seed).permutation(len(y))
    return x[order], y[order], order


def scale_images(x: np.ndarray) -> np.ndarray:
    """uint8 pixels to float32 in [0, 1], with a channel axis: the network's input."""
    return (x.astype("float32") / 255.0)[..., None]


def one_hot(y: np.ndarray, classes: int = 10) -> np.ndarray:
    out = np.zeros((len(y), classes), dtype="float32")
    out[np.arange(len(y)), y.astype(int)] = 1.0
    return out


def build_q7_model(input_shape=(28, 28, 1), classes: int = 10):
    import keras
    from keras import layers

    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_1")(inputs)
    x = layers.MaxPooling2D(2, name="pool_1")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_2")(x)
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_3")(x)
    x = layers.MaxPooling2D(2, name="pool_3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="dense_1")(x)
    x = layers.Dense(128, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="class_probabilities", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name="q7_cnn")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def split_validation(x, y, fraction: float):
    """The last ``fraction`` of the (already shuffled) training split is held out for validation."""
    n_val = int(round(len(y) * fraction))
    if n_val < 1 or n_val >= len(y):
        raise ValueError(
            f"cnn.validation_fraction {fraction} leaves no training or no validation images"
        )
    return (x[:-n_val], y[:-n_val]), (x[-n_val:], y[-n_val:])


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype=int)
    np.add.at(matrix, (true.astype(int), predicted.astype(int)), 1)
    return matrix


def train_q7(data: dict, settings: dict, seed: int):
    """Shuffle, scale, one-hot, fit, evaluate. Returns (model, history rows, metrics, shuffled order)."""
    import keras

    from hw4.methods.training_log import EpochLog, history_rows

    x_train, y_train, order = shuffle_training(data["x_train"], data["y_train"], seed)
    (x_fit, y_fit), (x_val, y_val) = split_validation(
        x_train, y_train, settings["validation_fraction"]
    )
    model = build_q7_model()
    epochs, batch = settings["epochs"], settings["batch_size"]
    progress = EpochLog("train_cnn", epochs)
    start = time.perf_counter()
    history = model.fit(
        scale_images(x_fit),
        one_hot(y_fit),
        validation_data=(scale_images(x_val), one_hot(y_val)),
        epochs=epochs,
        batch_size=batch,
        shuffle=True,
        verbose=0,
        callbacks=[progress],
    )
    fit_seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(
        scale_images(data["x_test"]), one_hot(data["y_test"]), batch_size=256, verbose=0
    )
    predicted = np.argmax(
        model.predict(scale_images(data["x_test"]), batch_size=256, verbose=0), axis=1
    )
    seconds_per_epoch = float(np.mean(progress.seconds))
    metrics = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "train_accuracy": float(history.history["accuracy"][-1]),
        "train_loss": float(history.history["loss"][-1]),
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "val_loss": float(history.history["val_loss"][-1]),
        "epochs": epochs,
        "batch_size": batch,
        "train_images": int(len(y_fit)),
        "val_images": int(len(y_val)),
        "test_images": int(len(data["y_test"])),
        "seconds_per_epoch": seconds_per_epoch,
        "first_epoch_seconds": float(progress.seconds[0]),
        "images_per_second": float(len(y_fit) / np.mean(progress.seconds[1:] or progress.seconds)),
        "fit_seconds": fit_seconds,
        "params": int(model.count_params()),
        "layers": [
            {
                "name": layer.name,
                "output_shape": list(layer.output.shape[1:]),
                "params": int(layer.count_params()),
            }
            for layer in model.layers
        ],
        "confusion_matrix": confusion_matrix(data["y_test"], predicted).tolist(),
        "keras_backend": keras.backend.backend(),
    }
    log.info("train_cnn: test accuracy %.4f after %d epochs", test_accuracy, epochs)
    return model, history_rows(history.history, progress.seconds), metrics, order
