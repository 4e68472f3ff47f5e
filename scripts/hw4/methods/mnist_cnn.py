"""Q7: the fixed MNIST CNN, trained as the homework describes.

Conv(32)-pool-Conv(64)-pool-Conv(64)-pool-Flatten-Dense(128)-Dense(128)-Dense(10,
softmax), 3x3 'same' convolutions and 2x2 max pooling, Adam, categorical
cross-entropy, 15 epochs at batch 64.
"""

from __future__ import annotations

import numpy as np

from hw4.methods.class_indices import class_indices


def shuffle_training(
    x: np.ndarray, y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One permutation for images and labels, so every label stays with its image.

    Drawn as the original hand-in drew it (``np.random.seed(0); np.random.permutation(60000)``),
    from a ``RandomState`` of ``seed``: on full MNIST with seed 0 the order, and so the first
    digits shown, are the hand-in's. Returns (x shuffled, y shuffled, the order).
    """
    order = np.random.RandomState(seed).permutation(len(y))
    return x[order], y[order], order


def scale_images(x: np.ndarray) -> np.ndarray:
    """uint8 pixels to float32 in [0, 1], with a channel axis: the network's input."""
    return (x.astype("float32") / 255.0)[..., None]


def one_hot(y: np.ndarray, classes: int = 10) -> np.ndarray:
    """Labels (n,) to rows of a (n, classes) float32 identity: what categorical cross-entropy
    compares. Raises ``hw4.errors.InputError`` naming a label outside 0..classes-1 (NumPy
    would read -1 as the last class)."""
    labels = class_indices(y, len(y), classes, "labels")
    out = np.zeros((len(y), classes), dtype="float32")
    out[np.arange(len(y)), labels] = 1.0
    return out


def build_q7_model(input_shape=(28, 28, 1), classes: int = 10):
    """The homework's network, compiled (Adam, categorical cross-entropy, accuracy)."""
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
    outputs = layers.Dense(
        classes, activation="softmax", name="class_probabilities", dtype="float32"
    )(x)
    model = keras.Model(inputs, outputs, name="q7_cnn")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def hold_out_last(x, y, fraction: float):
    """((x, y) to fit, (x, y) to validate): the last ``fraction`` of the (already shuffled)
    training split is held out, as Keras' ``validation_split`` does. Raises ``ValueError``
    naming ``cnn.validation_fraction`` when either part would be empty."""
    n_val = int(round(len(y) * fraction))
    if n_val < 1 or n_val >= len(y):
        raise ValueError(
            f"cnn.validation_fraction {fraction} leaves no training or no validation images"
        )
    return (x[:-n_val], y[:-n_val]), (x[-n_val:], y[-n_val:])


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    """(classes, classes) counts: row = true digit, column = predicted digit. Raises
    ``hw4.errors.InputError`` naming a label or prediction outside 0..classes-1, or
    predictions of another length than the labels."""
    true_indices = class_indices(true, len(true), classes, "true labels")
    predicted_indices = class_indices(predicted, len(true), classes, "predicted classes")
    matrix = np.zeros((classes, classes), dtype=int)
    np.add.at(matrix, (true_indices, predicted_indices), 1)
    return matrix
