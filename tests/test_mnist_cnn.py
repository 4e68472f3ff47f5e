"""The Q7 network and its preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

from hw4.methods.mnist_cnn import (
    confusion_matrix,
    one_hot,
    scale_images,
    shuffle_training,
    split_validation,
)


def test_shuffle_keeps_pairs_and_is_seeded():
    x = np.arange(20).reshape(20, 1, 1).repeat(28, 1).repeat(28, 2).astype(np.uint8)
    y = np.arange(20) % 10
    xs, ys, order = shuffle_training(x, y, seed=0)
    assert np.array_equal(xs[:, 0, 0] % 10, ys)
    assert not np.array_equal(order, np.arange(20))
    assert np.array_equal(shuffle_training(x, y, seed=0)[2], order)


def test_scale_and_one_hot():
    x = np.array([[[0, 255]]], dtype=np.uint8)
    scaled = scale_images(x)
    assert scaled.dtype == np.float32 and scaled.shape == (1, 1, 2, 1)
    assert scaled.min() == 0 and scaled.max() == 1
    assert one_hot(np.array([3, 0])).tolist()[0] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_validation_split_and_confusion():
    x, y = np.zeros((10, 2)), np.arange(10)
    (xf, yf), (xv, yv) = split_validation(x, y, 0.2)
    assert len(yf) == 8 and yv.tolist() == [8, 9]
    with pytest.raises(ValueError, match="validation_fraction"):
        split_validation(x, y, 0.01)
    matrix = confusion_matrix(np.array([1, 1, 2]), np.array([1, 2, 2]))
    assert matrix[1, 1] == 1 and matrix[1, 2] == 1 and matrix.sum() == 3


def test_q7_architecture():
    pytest.importorskip("keras")
    from hw4.methods.mnist_cnn import build_q7_model

    model = build_q7_model()
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
