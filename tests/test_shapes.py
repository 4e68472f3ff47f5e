"""Q5 arithmetic against Keras: output shapes, parameter counts and 'same' padding."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hw4.methods.shapes import (
    conv_params,
    effective_kernel,
    network_table,
    output_size,
    padding_rule_table,
    same_padding,
)

HOMEWORK = [
    {"type": "conv", "filters": 64, "kernel": 3, "stride": 1, "padding": "same"},
    {"type": "conv", "filters": 32, "kernel": 5, "stride": 2, "dilation": 2, "padding": "valid"},
    {"type": "maxpool", "pool": 2, "stride": 2},
    {"type": "conv", "filters": 128, "kernel": 3, "stride": 1, "padding": "same"},
    {"type": "conv", "filters": 64, "kernel": 5, "stride": 2, "dilation": 4, "padding": "valid"},
    {"type": "maxpool", "pool": 2, "stride": 2},
    {"type": "conv", "filters": 256, "kernel": 3, "stride": 1, "padding": "same"},
    {"type": "conv", "filters": 128, "kernel": 5, "stride": 2, "dilation": 8, "padding": "valid"},
    {"type": "maxpool", "pool": 2, "stride": 2},
]


def test_homework_network():
    rows = [r.as_dict() for r in network_table([256, 256, 3], HOMEWORK)]
    shapes = [r["output_shape"] for r in rows]
    params = [r["params"] for r in rows]
    assert shapes[:7] == [
        "256x256x64",
        "124x124x32",
        "62x62x32",
        "62x62x128",
        "23x23x64",
        "11x11x64",
        "11x11x256",
    ]
    assert params == [1792, 51232, 0, 36992, 204864, 0, 147712, 819328, 0]
    assert rows[7]["valid"] is False and rows[7]["raw_output_size"] == -10
    assert "effective kernel 33" in rows[7]["reason"]
    assert rows[8]["valid"] is False and "follows invalid layer 8" in rows[8]["reason"]
    assert [r["index"] for r in rows if not r["keras_buildable"]] == [2, 5, 8]


def test_same_padding_rule():
    assert same_padding(28, 3) == (1, 1)  # odd kernel: floor(K/2) each side
    assert same_padding(28, 4) == (1, 2)  # even kernel: K-1 in all, the extra after
    assert same_padding(28, 3, stride=2) == (0, 1)
    assert same_padding(27, 3, stride=2) == (1, 1)
    assert same_padding(28, 3, dilation=2) == (2, 2)  # effective kernel 5
    for row in padding_rule_table():
        n, k, s, d = row["input"], row["kernel"], row["stride"], row["dilation"]
        padded = n + row["pad_total"]
        assert output_size(padded, k, s, "valid", d) == math.ceil(n / s)


def keras_layer(layer, keras):
    kind = layer["type"]
    if kind == "conv":
        pad = layer.get("padding", "valid")
        conv = keras.layers.Conv2D(
            layer["filters"],
            layer["kernel"],
            strides=layer.get("stride", 1),
            dilation_rate=layer.get("dilation", 1),
            padding=pad if isinstance(pad, str) else "valid",
        )
        if isinstance(pad, int):
            return [keras.layers.ZeroPadding2D(pad), conv]
        return [conv]
    cls = keras.layers.MaxPooling2D if kind == "maxpool" else keras.layers.AveragePooling2D
    return [cls(layer["pool"], strides=layer.get("stride"), padding=layer.get("padding", "valid"))]


layers_strategy = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("conv"),
            "filters": st.integers(1, 8),
            "kernel": st.integers(1, 6),
            "stride": st.integers(1, 3),
            "dilation": st.integers(1, 3),
            "padding": st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 3)),
        }
    ).filter(lambda c: c["stride"] == 1 or c["dilation"] == 1),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["maxpool", "avgpool"]),
            "pool": st.integers(1, 3),
            "stride": st.integers(1, 3),
            "padding": st.sampled_from(["same", "valid"]),
        }
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(4, 40),
    channels=st.integers(1, 4),
    layers=st.lists(layers_strategy, min_size=1, max_size=4),
)
def test_formula_matches_keras(size, channels, layers):
    keras = pytest.importorskip("keras")
    rows = network_table([size, size, channels], layers)
    x = keras.Input((size, size, channels))
    for layer, row in zip(layers, rows, strict=True):
        if not row.valid:
            break
        model_layers = keras_layer(layer, keras)
        for piece in model_layers:
            x = piece(x)
        assert tuple(x.shape[1:]) == row.output_shape, (layer, row)
        assert sum(p.count_params() for p in model_layers) == row.params


def test_keras_refuses_stride_with_dilation():
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError):
        layer = keras.layers.Conv2D(4, 5, strides=2, dilation_rate=2)
        layer(keras.Input((64, 64, 3)))


def direct_conv(image, kernel, stride, dilation):
    """Strided, dilated 'valid' convolution (cross-correlation), written out with loops."""
    k = kernel.shape[0]
    out = output_size(image.shape[0], k, stride, "valid", dilation)
    result = np.zeros((out, out, kernel.shape[3]))
    for i in range(out):
        for j in range(out):
            rows = i * stride + dilation * np.arange(k)
            cols = j * stride + dilation * np.arange(k)
            patch = image[np.ix_(rows, cols)]
            result[i, j] = np.tensordot(patch, kernel, axes=([0, 1, 2], [0, 1, 2]))
    return result


@pytest.mark.parametrize(
    "size, kernel, stride, dilation", [(40, 5, 2, 2), (62, 5, 2, 4), (37, 3, 3, 2)]
)
def test_strided_dilated_conv_equals_subsampled_stride_one(size, kernel, stride, dilation):
    """Layers 2, 5 and 8 cannot be built in Keras; check them another honest way."""
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    image = rng.normal(size=(size, size, 2)).astype("float32")
    conv = keras.layers.Conv2D(3, kernel, dilation_rate=dilation, use_bias=False)
    dense_out = np.asarray(conv(image[None]))[0]
    sampled = dense_out[::stride, ::stride]
    expected_size = output_size(size, kernel, stride, "valid", dilation)
    assert sampled.shape[:2] == (expected_size, expected_size)
    weights = np.asarray(conv.kernel)
    np.testing.assert_allclose(sampled, direct_conv(image, weights, stride, dilation), atol=1e-4)


def test_small_helpers():
    assert effective_kernel(5, 8) == 33
    assert conv_params(3, 3, 64) == 1792
    assert conv_params(3, 3, 64, bias=False) == 1728
    with pytest.raises(ValueError, match="padding"):
        output_size(10, 3, 1, "full")
