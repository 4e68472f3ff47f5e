"""Q5 arithmetic against Keras: output shapes, parameter counts and 'same' padding."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hw4.methods.dilated_conv import dilated_conv, subsample_equivalence
from hw4.methods.shapes import (
    conv_params,
    effective_kernel,
    layer_key_errors,
    network_table,
    output_size,
    padding_rule_table,
    same_padding,
)
from hw4.steps import q5_shapes

CASES = Path("/work/shared/cases")
REPO = Path(__file__).resolve().parents[1]

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
    window = layer.get("kernel", layer.get("pool"))
    return [cls(window, strides=layer.get("stride"), padding=layer.get("padding", "valid"))]


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
    # The same window given under PyTorch's name, and the stride left to its default.
    st.fixed_dictionaries(
        {"type": st.sampled_from(["maxpool", "avgpool"]), "kernel": st.integers(1, 3)}
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


def test_total_counts_only_the_layers_that_can_exist():
    result = q5_shapes.run([256, 256, 3], HOMEWORK, seed=0)
    summary = result["summary"]
    assert summary["total_params"] == 1792 + 51232 + 36992 + 204864 + 147712
    assert summary["invalid_params"] == [{"index": 8, "params": 819328}]
    assert [r["index"] for r in result["layers"] if not r["keras_buildable"]] == [2, 5, 8]
    assert [r["index"] for r in result["layers"] if not r["pytorch_buildable"]] == [8]


def test_subsample_equivalence_is_an_artifact():
    summary = q5_shapes.run([256, 256, 3], HOMEWORK, seed=0)["summary"]
    checks = summary["subsample_equivalence"]
    assert [c["index"] for c in checks] == [2, 5]  # layer 8 has no output to compare
    assert checks[0]["direct_shape"] == [124, 124, 32] == checks[0]["subsampled_shape"]
    assert checks[0]["stride_one_shape"] == [248, 248, 32]
    assert all(c["max_abs_difference"] < 1e-9 for c in checks)


def test_dilated_conv_matches_keras_and_the_loops():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    image = rng.normal(size=(21, 21, 2))
    conv = keras.layers.Conv2D(3, 3, dilation_rate=2, use_bias=False, dtype="float64")
    expected = keras.ops.convert_to_numpy(conv(image[None]))[0]
    weights = keras.ops.convert_to_numpy(conv.kernel)
    np.testing.assert_allclose(dilated_conv(image, weights, 1, 2), expected, atol=1e-10)
    np.testing.assert_allclose(
        dilated_conv(image, weights, 3, 2), direct_conv(image, weights, 3, 2), atol=1e-10
    )
    padded = subsample_equivalence(
        (9, 9, 2),
        {"type": "conv", "filters": 2, "kernel": 3, "stride": 2, "dilation": 2, "padding": 1},
        seed=0,
    )
    assert padded["direct_shape"] == [4, 4, 2] and padded["max_abs_difference"] < 1e-9


def dilated_max_pool(image, window, stride, dilation):
    """Max pooling written out: every window position that fits, counted without the formula."""
    starts = [
        s for s in range(0, image.shape[0], stride) if s + dilation * (window - 1) < len(image)
    ]
    taps = dilation * np.arange(window)
    return np.array(
        [[image[np.ix_(r + taps, c + taps)].max(axis=(0, 1)) for c in starts] for r in starts]
    )


def test_pooling_keys_are_honoured_as_pytorch_computes_them():
    """The case shapes_pool_keys.yaml: a pooling kernel and a dilation, neither dropped."""
    config = yaml.safe_load((CASES / "shapes_pool_keys.yaml").read_text())["shapes"]
    rows = [r.as_dict() for r in network_table(config["input_shape"], config["layers"])]
    assert rows[1]["layer"] == "MaxPool(3x3, stride 2)" and rows[1]["output_shape"] == "15x15x8"
    assert rows[2]["layer"] == "MaxPool(2x2, stride 1, dilation 2)"
    assert rows[2]["output_shape"] == "13x13x8" and rows[2]["effective_kernel"] == 3
    assert not rows[2]["keras_buildable"] and "dilation" in rows[2]["keras_note"]
    image = np.random.default_rng(0).normal(size=(32, 32, 8))
    pooled = dilated_max_pool(image, 3, 2, 1)
    assert pooled.shape == (15, 15, 8)
    assert dilated_max_pool(pooled, 2, 1, 2).shape == (13, 13, 8)


@pytest.mark.parametrize(
    "layer, message",
    [
        ({"type": "avgpool", "pool": 2, "dilation": 2}, "shapes.layers[0].dilation: average"),
        ({"type": "maxpool", "pool": 2, "kernel": 3}, "shapes.layers[0].kernel: 3 contradicts"),
        ({"type": "maxpool", "pool": 2, "filters": 4}, "shapes.layers[0].filters: a maxpool"),
        ({"type": "avgpool", "bias": False}, "shapes.layers[0].bias: a avgpool"),
        ({"type": "conv", "filters": 2, "kernel": 3, "pool": 2}, "shapes.layers[0].pool: a conv"),
        ({"type": "maxpool", "pool": 2, "padding": 2}, "shapes.layers[0].padding: 2 is more"),
    ],
)
def test_keys_that_cannot_be_honoured_are_refused(layer, message):
    assert layer_key_errors([layer])[0].startswith(message)
    with pytest.raises(ValueError, match=re.escape(message)):
        network_table([16, 16, 1], [layer])
    from hw4.config_check import ConfigError, check_config

    with pytest.raises(ConfigError, match=r"^shapes\.layers\[0\]"):
        check_config({"shapes": {"layers": [layer]}}, REPO / "workflow/schemas/config.schema.yaml")


def test_pytorch_builds_what_the_table_says():
    torch = pytest.importorskip("torch")
    rows = network_table([256, 256, 3], HOMEWORK)
    x = torch.zeros(1, 3, 256, 256)
    for layer, row in zip(HOMEWORK, rows, strict=True):
        if not row.valid:
            break
        if layer["type"] == "conv":
            padding = layer["padding"] if layer["padding"] == "valid" else layer["kernel"] // 2
            module = torch.nn.Conv2d(
                x.shape[1],
                layer["filters"],
                layer["kernel"],
                stride=layer["stride"],
                dilation=layer.get("dilation", 1),
                padding=padding,
            )
            assert sum(p.numel() for p in module.parameters()) == row.params
        else:
            module = torch.nn.MaxPool2d(layer["pool"], stride=layer["stride"])
        x = module(x)
        assert (x.shape[2], x.shape[3], x.shape[1]) == row.output_shape
    config = yaml.safe_load((CASES / "shapes_pool_keys.yaml").read_text())["shapes"]
    pooled = torch.nn.MaxPool2d(2, stride=1, dilation=2)(torch.zeros(1, 8, 15, 15))
    assert tuple(pooled.shape[2:]) == (13, 13)
    assert network_table(config["input_shape"], config["layers"])[2].output_shape == (13, 13, 8)


def test_snakemake_refuses_an_unhonoured_pooling_key_before_any_job(tmp_path):
    from conftest import run_snakemake

    config = yaml.safe_load((CASES / "shapes_pool_keys.yaml").read_text())
    config["shapes"]["layers"].append({"type": "avgpool", "pool": 2, "dilation": 2})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    result = run_snakemake(tmp_path, "-n", configfile=bad, timeout=300)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("config error:")]
    assert len(lines) == 1 and lines[0].startswith("config error: shapes.layers[3].dilation:")
    assert not (tmp_path / "results").exists()
