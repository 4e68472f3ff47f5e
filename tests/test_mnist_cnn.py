"""The Q7 network, its preprocessing, and the train_cnn step on real digits."""

from __future__ import annotations

import numpy as np
import pytest

from hw4.methods.mnist_cnn import (
    confusion_matrix,
    hold_out_last,
    one_hot,
    scale_images,
    shuffle_training,
)


def test_shuffle_keeps_pairs_and_is_seeded():
    x = np.arange(20).reshape(20, 1, 1).repeat(28, 1).repeat(28, 2).astype(np.uint8)
    y = np.arange(20) % 10
    xs, ys, order = shuffle_training(x, y, seed=0)
    assert np.array_equal(xs[:, 0, 0] % 10, ys)
    assert not np.array_equal(order, np.arange(20))
    assert np.array_equal(shuffle_training(x, y, seed=0)[2], order)


def test_shuffle_is_the_original_handins():
    """np.random.seed(0); np.random.permutation(60000): the hand-in's first digits on full MNIST."""
    labels = np.arange(60000)
    _, _, order = shuffle_training(labels, labels, seed=0)
    np.random.seed(0)
    np.testing.assert_array_equal(order, np.random.permutation(60000))
    _, _, other = shuffle_training(labels[:500], labels[:500], seed=7)
    np.testing.assert_array_equal(other, np.random.RandomState(7).permutation(500))


def test_scale_and_one_hot():
    x = np.array([[[0, 255]]], dtype=np.uint8)
    scaled = scale_images(x)
    assert scaled.dtype == np.float32 and scaled.shape == (1, 1, 2, 1)
    assert scaled.min() == 0 and scaled.max() == 1
    assert one_hot(np.array([3, 0])).tolist()[0] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_validation_split_and_confusion():
    x, y = np.zeros((10, 2)), np.arange(10)
    (xf, yf), (xv, yv) = hold_out_last(x, y, 0.2)
    assert len(yf) == 8 and yv.tolist() == [8, 9]
    with pytest.raises(ValueError, match="validation_fraction"):
        hold_out_last(x, y, 0.01)
    matrix = confusion_matrix(np.array([1, 1, 2]), np.array([1, 2, 2]))
    assert matrix[1, 1] == 1 and matrix[1, 2] == 1 and matrix.sum() == 3


def test_q7_architecture():
    pytest.importorskip("keras")
    from hw4.methods.mnist_cnn import build_q7_model
    from hw4.methods.q7_layers import Q7_OUTPUT_SHAPES

    model = build_q7_model()
    assert {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers[1:]} == (
        Q7_OUTPUT_SHAPES
    )
    shapes = [tuple(layer.output.shape[1:]) for layer in model.layers[1:]]
    assert shapes == [
        (28, 28, 32),
        (14, 14, 32),
        (14, 14, 64),
        (7, 7, 64),
        (7, 7, 64),
        (3, 3, 64),
        (576,),
        (128,),
        (128,),
        (10,),
    ]
    # 320 + 18,496 + 36,928 + 73,856 + 16,512 + 1,290
    assert model.count_params() == 147_402
    assert model.layers[-1].activation.__name__ == "softmax"


@pytest.mark.slow
def test_train_cnn_step_on_real_digits():
    keras = pytest.importorskip("keras")
    from hw4.data.mnist import load_embedded, subset
    from hw4.steps import train_cnn

    data = subset(load_embedded(seed=0, test_fraction=0.2), 300, 100, seed=0)
    settings = {"epochs": 2, "batch_size": 32, "validation_fraction": 0.1, "show_digits": 10}
    keras.utils.set_random_seed(0)
    result = train_cnn.run(data, settings, 0, {"device": "CPU: test"})
    metrics = result["metrics"]
    assert metrics["train_images"] == 270 and metrics["val_images"] == 30
    assert metrics["test_images"] == 100
    assert result["confusion_matrix"].shape == (10, 10)
    assert result["confusion_matrix"].sum() == 100
    assert 0 <= metrics["test_accuracy"] <= 1 and metrics["params"] == 147_402
    assert metrics["shuffle_seed"] == 0 and not metrics["handin_order"]  # 300 images, not 60,000
    assert metrics["device"] == "CPU: test" and "created" in metrics["provenance"]
    assert [row["epoch"] for row in result["history"]] == [1, 2]
    assert set(result["history_columns"]) >= {"epoch", "seconds", "accuracy", "val_accuracy"}
    order = np.random.RandomState(0).permutation(300)
    np.testing.assert_array_equal(result["order"], order)
    np.testing.assert_array_equal(result["digits"]["images"], data["x_train"][order[:10]])
    np.testing.assert_array_equal(result["digits"]["labels"], data["y_train"][order[:10]])
    # Learning happened: better than chance on the test digits after two epochs.
    assert metrics["test_accuracy"] > 0.2
