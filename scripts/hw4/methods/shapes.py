"""Output sizes and parameter counts of conv, dilated conv and pooling layers (Q5).

The one formula behind every case, with padding P per side, dilation D, kernel K
and stride S:

    W_out = floor((W_in + 2P - D(K - 1) - 1) / S) + 1

'valid' is P = 0. 'same' (as Keras and TensorFlow define it) pads just enough
that W_out = ceil(W_in / S): a total of max((W_out - 1) S + D(K - 1) + 1 - W_in, 0)
pixels, the smaller half before and the larger half after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LAYER_TYPES = ("conv", "maxpool", "avgpool")
PADDINGS = ("same", "valid")


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span a dilated kernel covers: D(K - 1) + 1."""
    return dilation * (kernel - 1) + 1


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of 'same' for one axis, as TensorFlow computes it."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def output_size(size: int, kernel: int, stride: int = 1, padding="valid", dilation: int = 1) -> int:
    """Output length along one axis; zero or negative when the kernel does not fit."""
    if padding == "same":
        return math.ceil(size / stride)
    if padding == "valid":
        pad_total = 0
    elif isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        pad_total = 2 * padding
    else:
        raise ValueError(f"padding {padding!r} is not 'same', 'valid' or a whole number >= 0")
    return math.floor((size + pad_total - effective_kernel(kernel, dilation)) / stride) + 1


def conv_params(kernel: int, in_channels: int, filters: int, bias: bool = True) -> int:
    return filters * (kernel * kernel * in_channels + (1 if bias else 0))


@dataclass
class LayerRow:
    index: int
    layer: str
    type: str
    input_shape: tuple[int, int, int]
    output_shape: tuple[int, int, int] | None
    raw_output_size: int
    params: int
    valid: bool
    reason: str
    effective_kernel: int
    padding: str
    pad_before: int
    pad_after: int
    keras_buildable: bool
    keras_note: str
    output_channels: int

    def as_dict(self) -> dict:
        fmt = lambda s: "x".join(str(v) for v in s) if s else ""  # noqa: E731
        return {
            "index": self.index,
            "layer": self.layer,
            "type": self.type,
            "input_shape": fmt(self.input_shape),
            "output_shape": fmt(self.output_shape),
            "raw_output_size": self.raw_output_size,
            "params": self.params,
            "valid": self.valid,
            "reason": self.reason,
            "effective_kernel": self.effective_kernel,
            "padding": self.padding,
            "pad_before": self.pad_before,
            "pad_after": self.pad_after,
            "keras_buildable": self.keras_buildable,
            "keras_note": self.keras_note,
            "output_channels": self.output_channels,
        }


COLUMNS = list(LayerRow.__dataclass_fields__)


def describe(layer: dict) -> str:
    kind = layer["type"]
    k, s = layer.get("kernel", layer.get("pool")), layer.get("stride", 1)
    if kind == "conv":
        d = layer.get("dilation", 1)
        name = "Dilated conv" if d > 1 else "Conv"
        extra = f", dilation {d}" if d > 1 else ""
        return f"{name}({layer['filters']}, {k}x{k}, stride {s}{extra}, {layer.get('padding', 'valid')})"
    return f"{'MaxPool' if kind == 'maxpool' else 'AvgPool'}({k}x{k}, stride {s})"


def network_table(input_shape: list[int], layers: list[dict]) -> list[LayerRow]:
    """One row per layer: output shape, parameters, and whether the layer can exist."""
    height, width, channels = input_shape
    if height != width:
        raise ValueError("input_shape: only square inputs are supported (height == width)")
    rows: list[LayerRow] = []
    size, chans, broken_at = height, channels, None
    for i, layer in enumerate(layers, start=1):
        kind = layer["type"]
        if kind not in LAYER_TYPES:
            raise ValueError(
                f"shapes.layers[{i - 1}].type: {kind!r} is not one of {', '.join(LAYER_TYPES)}"
            )
        padding = layer.get("padding", "valid")
        stride = layer.get("stride", 1 if kind == "conv" else layer.get("pool", 2))
        dilation = layer.get("dilation", 1) if kind == "conv" else 1
        kernel = layer["kernel"] if kind == "conv" else layer.get("pool", 2)
        out_chans = layer["filters"] if kind == "conv" else chans
        params = (
            conv_params(kernel, chans, out_chans, layer.get("bias", True)) if kind == "conv" else 0
        )
        eff = effective_kernel(kernel, dilation)
        if broken_at is None:
            raw = output_size(size, kernel, stride, padding, dilation)
            before, after = (
                same_padding(size, kernel, stride, dilation)
                if padding == "same"
                else ((padding, padding) if isinstance(padding, int) else (0, 0))
            )
        else:
            raw, before, after = 0, 0, 0
        keras_ok = not (kind == "conv" and stride > 1 and dilation > 1)
        keras_note = (
            ""
            if keras_ok
            else "Keras/TensorFlow refuse strides > 1 together with dilation_rate > 1"
        )
        if kind != "conv" and not isinstance(padding, str):
            keras_ok, keras_note = False, "Keras pooling takes only 'same' or 'valid' padding"
        if broken_at is not None:
            valid, reason, out_shape = False, f"follows invalid layer {broken_at}", None
        elif raw <= 0:
            broken_at = i
            padded = size + before + after
            valid = False
            reason = (
                f"output size {raw}: the effective kernel {eff} exceeds the padded input {padded}"
            )
            out_shape = None
        else:
            valid, reason, out_shape = True, "", (raw, raw, out_chans)
        rows.append(
            LayerRow(
                index=i,
                layer=layer.get("name") or describe(layer),
                type=kind,
                input_shape=(size, size, chans) if broken_at in (None, i) else None,
                output_shape=out_shape,
                raw_output_size=raw,
                params=params,
                valid=valid,
                reason=reason,
                effective_kernel=eff,
                padding=str(padding),
                pad_before=before,
                pad_after=after,
                keras_buildable=keras_ok,
                keras_note=keras_note,
                output_channels=out_chans,
            )
        )
        if valid:
            size, chans = raw, out_chans
    return rows


def padding_rule_table(
    kernels=(1, 2, 3, 4, 5, 7), sizes=(28, 27), strides=(1, 2), dilations=(1, 2)
):
    """The 'same' padding for odd and even kernels, stride > 1 and dilation: one row per case."""
    rows = []
    for k in kernels:
        for s in strides:
            for d in dilations:
                for n in sizes:
                    before, after = same_padding(n, k, s, d)
                    rows.append(
                        {
                            "kernel": k,
                            "stride": s,
                            "dilation": d,
                            "input": n,
                            "effective_kernel": effective_kernel(k, d),
                            "output": math.ceil(n / s),
                            "pad_total": before + after,
                            "pad_before": before,
                            "pad_after": after,
                        }
                    )
    return rows
