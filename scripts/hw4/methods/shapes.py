"""Output sizes and parameter counts of conv, dilated conv and pooling layers (Q5).

The one formula behind every case, with padding P per side, dilation D, kernel K
and stride S (PyTorch's documented formula for ``nn.Conv2d`` and ``nn.MaxPool2d``;
``nn.AvgPool2d`` is the case D = 1):

    W_out = floor((W_in + 2P - D(K - 1) - 1) / S) + 1

'valid' is P = 0. 'same' (as Keras and TensorFlow define it) pads just enough
that W_out = ceil(W_in / S): a total of max((W_out - 1) S + D(K - 1) + 1 - W_in, 0)
pixels, the smaller half before and the larger half after.

A layer's keys are honoured as PyTorch reads them or refused (``layer_key_errors``):
a pooling window may be given as ``pool`` (Keras' name) or ``kernel`` (PyTorch's),
max pooling takes a dilation, average pooling does not, and pooling has no filters or bias.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

POOLING = ("maxpool", "avgpool")
# Keras' MaxPooling2D and AveragePooling2D default: a 2x2 window (PyTorch requires one).
DEFAULT_POOL_WINDOW = 2


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span a dilated kernel covers: D(K - 1) + 1."""
    return dilation * (kernel - 1) + 1


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of 'same' for one axis, as TensorFlow computes it."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def output_size(size: int, kernel: int, stride: int = 1, padding="valid", dilation: int = 1) -> int:
    """Output length along one axis; zero or negative when the kernel does not fit.

    ``padding`` is 'same', 'valid' or a whole number of cells per side; anything else raises
    ``ValueError``.
    """
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
    """Weights K * K * C_in per filter, plus one bias per filter when ``bias``."""
    return filters * (kernel * kernel * in_channels + (1 if bias else 0))


def layer_key_errors(layers: list[dict]) -> list[str]:
    """One message per key that the shapes table could not honour, naming ``shapes.layers[i].key``.

    Run on layers the schema has accepted (types and ranges already checked). A key is refused
    when no framework reads it for that layer type, or when two keys contradict each other.
    """
    errors = []
    for number, layer in enumerate(layers):
        where = f"shapes.layers[{number}]"
        kind = layer.get("type")
        if kind == "conv":
            if "pool" in layer:
                errors.append(f"{where}.pool: a conv layer has no pooling window; give kernel")
            continue
        for key in ("filters", "bias"):
            if key in layer:
                errors.append(f"{where}.{key}: a {kind} layer has no {key}; remove it")
        if "pool" in layer and "kernel" in layer and layer["pool"] != layer["kernel"]:
            errors.append(
                f"{where}.kernel: {layer['kernel']} contradicts pool {layer['pool']}; "
                "give the pooling window once"
            )
        if kind == "avgpool" and layer.get("dilation", 1) != 1:
            errors.append(
                f"{where}.dilation: average pooling takes no dilation (neither PyTorch's "
                "AvgPool2d nor Keras' AveragePooling2D has one); remove it or use maxpool"
            )
        window = layer.get("kernel", layer.get("pool", DEFAULT_POOL_WINDOW))
        padding = layer.get("padding", "valid")
        if isinstance(padding, int) and padding > window // 2:
            errors.append(
                f"{where}.padding: {padding} is more than half the {window}x{window} pooling "
                "window, which PyTorch refuses"
            )
    return errors


@dataclass
class LayerSettings:
    """A layer's keys with every default resolved, as the table computes them."""

    kind: str
    kernel: int
    stride: int
    dilation: int
    padding: str | int
    filters: int | None
    bias: bool
    name: str


def resolve(layer: dict) -> LayerSettings:
    """The settings a layer entry stands for (pooling: window from ``kernel`` or ``pool``,
    stride defaulting to the window, as in Keras and PyTorch)."""
    kind = layer["type"]
    if kind == "conv":
        kernel, default_stride = layer["kernel"], 1
    else:
        kernel = layer.get("kernel", layer.get("pool", DEFAULT_POOL_WINDOW))
        default_stride = kernel
    settings = LayerSettings(
        kind=kind,
        kernel=kernel,
        stride=layer.get("stride", default_stride),
        dilation=layer.get("dilation", 1),
        padding=layer.get("padding", "valid"),
        filters=layer.get("filters"),
        bias=layer.get("bias", True),
        name="",
    )
    settings.name = layer.get("name") or describe(settings)
    return settings


def describe(layer: LayerSettings) -> str:
    """The label of a layer, built from the values the table computed with."""
    window = f"{layer.kernel}x{layer.kernel}, stride {layer.stride}"
    dilation = f", dilation {layer.dilation}" if layer.dilation > 1 else ""
    if layer.kind == "conv":
        name = "Dilated conv" if layer.dilation > 1 else "Conv"
        return f"{name}({layer.filters}, {window}{dilation}, {layer.padding})"
    name = "MaxPool" if layer.kind == "maxpool" else "AvgPool"
    padding = "" if layer.padding == "valid" else f", {layer.padding}"
    return f"{name}({window}{dilation}{padding})"


def keras_support(layer: LayerSettings) -> str:
    """Why Keras cannot build the layer, or "" when it can."""
    if layer.kind == "conv" and layer.stride > 1 and layer.dilation > 1:
        return "Keras/TensorFlow refuse strides > 1 together with dilation_rate > 1"
    if layer.kind != "conv" and layer.dilation > 1:
        return "Keras pooling layers take no dilation"
    if layer.kind != "conv" and not isinstance(layer.padding, str):
        return "Keras pooling takes only 'same' or 'valid' padding"
    return ""


def pytorch_support(layer: LayerSettings) -> str:
    """Why PyTorch's ``nn.Conv2d``/``nn.MaxPool2d``/``nn.AvgPool2d`` refuses the layer's
    settings, or "" when it builds them (a kernel too large for its input is a separate case)."""
    if layer.padding == "same" and layer.kind != "conv":
        return "PyTorch pooling has no 'same' padding"
    if layer.padding == "same" and layer.stride > 1:
        return "PyTorch refuses padding='same' for strided convolutions"
    return ""


@dataclass
class LayerRow:
    index: int
    layer: str
    input_shape: tuple[int, int, int] | None
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
    pytorch_buildable: bool
    pytorch_note: str
    output_channels: int

    def as_dict(self) -> dict:
        row = asdict(self)
        for key in ("input_shape", "output_shape"):
            row[key] = "x".join(str(side) for side in row[key]) if row[key] else ""
        return row


COLUMNS = list(LayerRow.__dataclass_fields__)


def network_table(input_shape: list[int], layers: list[dict]) -> list[LayerRow]:
    """One row per layer: output shape, parameters, and whether the layer can exist.

    ``input_shape`` is (height, width, channels) with height == width. Raises ``ValueError``
    naming ``shapes.input_shape`` or the first layer key that is not honoured.
    """
    height, width, channels = input_shape
    if height != width:
        raise ValueError("shapes.input_shape: only square inputs are supported (height == width)")
    errors = layer_key_errors(layers)
    if errors:
        raise ValueError(errors[0])
    rows: list[LayerRow] = []
    size, in_channels, broken_at = height, channels, None
    for index, entry in enumerate(layers, start=1):
        layer = resolve(entry)
        out_channels = layer.filters if layer.kind == "conv" else in_channels
        params = (
            conv_params(layer.kernel, in_channels, out_channels, layer.bias)
            if layer.kind == "conv"
            else 0
        )
        span = effective_kernel(layer.kernel, layer.dilation)
        if broken_at is None:
            raw = output_size(size, layer.kernel, layer.stride, layer.padding, layer.dilation)
            if layer.padding == "same":
                before, after = same_padding(size, layer.kernel, layer.stride, layer.dilation)
            elif isinstance(layer.padding, int):
                before, after = layer.padding, layer.padding
            else:
                before, after = 0, 0
        else:
            raw, before, after = 0, 0, 0
        keras_note, pytorch_note = keras_support(layer), pytorch_support(layer)
        input_here = (size, size, in_channels) if broken_at is None else None
        if broken_at is not None:
            valid, reason, out_shape = False, f"follows invalid layer {broken_at}", None
        elif raw <= 0:
            broken_at = index
            padded = size + before + after
            valid, out_shape = False, None
            reason = (
                f"output size {raw}: the effective kernel {span} exceeds the padded input {padded}"
            )
            pytorch_note = pytorch_note or "PyTorch refuses a kernel larger than its input"
        else:
            valid, reason, out_shape = True, "", (raw, raw, out_channels)
        rows.append(
            LayerRow(
                index=index,
                layer=layer.name,
                input_shape=input_here,
                output_shape=out_shape,
                raw_output_size=raw,
                params=params,
                valid=valid,
                reason=reason,
                effective_kernel=span,
                padding=str(layer.padding),
                pad_before=before,
                pad_after=after,
                keras_buildable=not keras_note,
                keras_note=keras_note,
                pytorch_buildable=not pytorch_note,
                pytorch_note=pytorch_note,
                output_channels=out_channels,
            )
        )
        if valid:
            size, in_channels = raw, out_channels
    return rows


def padding_rule_table(
    kernels=(1, 2, 3, 4, 5, 7), sizes=(28, 27), strides=(1, 2), dilations=(1, 2)
):
    """The 'same' padding for odd and even kernels, stride > 1 and dilation: one row per case."""
    rows = []
    for kernel in kernels:
        for stride in strides:
            for dilation in dilations:
                for size in sizes:
                    before, after = same_padding(size, kernel, stride, dilation)
                    rows.append(
                        {
                            "kernel": kernel,
                            "stride": stride,
                            "dilation": dilation,
                            "input": size,
                            "effective_kernel": effective_kernel(kernel, dilation),
                            "output": math.ceil(size / stride),
                            "pad_total": before + after,
                            "pad_before": before,
                            "pad_after": after,
                        }
                    )
    return rows
