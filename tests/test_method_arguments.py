"""Indices, shapes and layer names a caller hands to hw4.methods: a valid form works, anything
else is refused in one line naming the value (never maps of zeros reported as a class the
model lacks, never -1 read as the last class, never a library's shape error)."""

from __future__ import annotations

import numpy as np
import pytest

from hw4.errors import InputError
from hw4.methods.class_indices import class_indices
from hw4.methods.mnist_cnn import confusion_matrix, one_hot
from hw4.methods.windows import WindowError, make_windows

keras = pytest.importorskip("keras")

from hw4.methods.gradcam import GradCamError, gradcam_maps  # noqa: E402


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(2, 1, name="conv")(inputs)
    x = keras.layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(x))


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).normal(size=(4, 4, 4, 1)).astype("float32")


@pytest.mark.parametrize(
    ("classes", "used"),
    [
        (2, [2, 2, 2, 2]),
        (np.int64(1), [1, 1, 1, 1]),
        (2.0, [2, 2, 2, 2]),
        ([0, 1.0, 2, np.int8(1)], [0, 1, 2, 1]),
        (np.array([2.0, 0.0, 1.0, 1.0]), [2, 0, 1, 1]),
    ],
)
def test_gradcam_takes_one_class_for_all_or_one_per_image(model, images, classes, used):
    maps, got, layer = gradcam_maps(model, images, classes=classes)
    assert got.tolist() == used and got.dtype == np.int64
    assert maps.shape == (4, 4, 4) and layer == "conv"


def test_a_scalar_class_gives_the_maps_of_that_class_for_each_image(model, images):
    one, _, _ = gradcam_maps(model, images, classes=1)
    listed, _, _ = gradcam_maps(model, images, classes=[1, 1, 1, 1])
    np.testing.assert_array_equal(one, listed)


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        (3, "classes: 3 is not a class of this model \\(allowed: whole numbers 0 to 2"),
        (10, "classes: 10 is not a class of this model"),
        (-1, "classes: -1 is not a class of this model"),
        ([0, 1, 2, -1.0], "classes: -1 is not a class of this model"),
        (1.5, "classes: 1.5 is not a whole number"),
        (float("nan"), "classes: nan is not a whole number"),
        (True, "classes: True is not a whole number"),
        ([0, True, 1, 1], "classes: True is not a whole number"),
        ("2", "classes: '2' is not a class index"),
        ([0, "one", 2, 2], "classes: 'one' is not a whole number"),
        ([0, 1], r"classes: \[0, 1\] has 2 values for 4 images"),
        ([0, 1, 2, 0, 1, 2], "has 6 values for 4 images"),
        ([[0, 1], [2, 0]], r"classes: an array of shape \(2, 2\)"),
    ],
)
def test_gradcam_refuses_any_other_class_naming_the_value(model, images, classes, message):
    with pytest.raises(GradCamError, match=message) as refused:
        gradcam_maps(model, images, classes=classes)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"layer_name": 0}, "gradcam.layer: 0 is not a layer name"),
        ({"layer_name": "conv_9"}, "gradcam.layer: no layer 'conv_9' in the model"),
        ({"layer_name": "flatten"}, "gradcam.layer: 'flatten' has an output of rank 2"),
        ({"batch_size": 0}, "batch_size: 0 is not above 0"),
        ({"batch_size": 2.0}, "batch_size: 2.0 is not a whole number"),
    ],
)
def test_gradcam_refuses_a_bad_layer_or_batch_naming_it(model, images, arguments, message):
    with pytest.raises(GradCamError, match=message):
        gradcam_maps(model, images, **arguments)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((4, 4, 4), r"images: shape \(4, 4, 4\) does not fit the model's input \(n, 4, 4, 1\)"),
        ((2, 5, 5, 1), r"images: shape \(2, 5, 5, 1\) does not fit"),
        ((0, 4, 4, 1), r"images: shape \(0, 4, 4, 1\) holds no image"),
    ],
)
def test_gradcam_refuses_images_not_in_the_models_shape(model, shape, message):
    with pytest.raises(GradCamError, match=message):
        gradcam_maps(model, np.zeros(shape, "float32"))


def test_class_indices_refuse_with_the_callers_error_class():
    class Refused(InputError):
        pass

    with pytest.raises(Refused, match="labels: 10 is not a class of this model"):
        class_indices([1, 10], 2, 10, "labels", Refused)
    assert class_indices(np.array([], int), 0, 10, "labels").tolist() == []


def test_labels_outside_the_classes_are_refused_not_wrapped():
    assert one_hot(np.array([9.0]))[0, 9] == 1
    with pytest.raises(InputError, match="labels: -1 is not a class of this model"):
        one_hot(np.array([3, -1]))
    with pytest.raises(InputError, match="labels: 10 is not a class of this model"):
        one_hot(np.array([10]))
    with pytest.raises(InputError, match="predicted classes: -1 is not a class"):
        confusion_matrix(np.array([1, 2]), np.array([1, -1]))
    with pytest.raises(InputError, match="predicted classes: .* has 1 values for 2 items"):
        confusion_matrix(np.array([1, 2]), np.array([1]))


def test_window_label_rows_without_a_whole_window_are_refused():
    values, target = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    x, y, rows = make_windows(values, target, 3, np.array([3, 9]))
    assert x.shape == (2, 3, 2) and y.tolist() == [3.0, 9.0]
    with pytest.raises(
        WindowError, match=r"label row 1 has no whole window \(allowed: rows 3 to 9"
    ):
        make_windows(values, target, 3, np.array([1, 5]))
    with pytest.raises(WindowError, match="label row 10 has no whole window"):
        make_windows(values, target, 3, [10])
    with pytest.raises(WindowError, match="label_rows must be whole row numbers"):
        make_windows(values, target, 3, np.array([3.5]))
    with pytest.raises(WindowError, match="look_back must be a whole number >= 1, got True"):
        make_windows(values, target, True)
