"""A strided, dilated convolution computed directly in NumPy, and its stride-1-then-subsample twin.

Keras refuses strides > 1 together with dilation > 1 (Q5's layer 5); these show the layer
can still be computed, and how (``subsample_equivalence``). Float64, no framework.
"""

from __future__ import annotations

import numpy as np

from hw4.methods.shapes import output_size, resolve, same_padding


def dilated_conv(image: np.ndarray, kernel: np.ndarray, stride: int, dilation: int) -> np.ndarray:
    """'Valid' strided, dilated cross-correlation (what Conv2D computes), without bias.

    ``image`` is (H, W, C_in), ``kernel`` (K, K, C_in, C_out); output (W_out, W_out, C_out)
    with W_out from ``output_size``. Computed as a sum over the K * K kernel taps, each a
    strided slice of the image times that tap's weights.
    """
    taps = kernel.shape[0]
    out = output_size(image.shape[0], taps, stride, "valid", dilation)
    result = np.zeros((out, out, kernel.shape[3]))
    reach = stride * (out - 1) + 1
    for row in range(taps):
        for column in range(taps):
            patch = image[
                row * dilation : row * dilation + reach : stride,
                column * dilation : column * dilation + reach : stride,
            ]
            result += patch @ kernel[row, column]
    return result


def subsample_equivalence(input_shape: tuple[int, int, int], layer: dict, seed: int) -> dict:
    """Check on random data that a conv with stride S and dilation D equals the stride-1 conv
    with dilation D sampled at every S-th row and column (the layer's padding applied first).

    This is how a layer Keras refuses (stride > 1 with dilation > 1) can still be computed.
    Returns the three output shapes and the largest absolute difference.
    """
    settings = resolve(layer)
    rng = np.random.default_rng(seed)
    image = rng.normal(size=input_shape)
    if settings.padding == "same":
        before, after = same_padding(
            input_shape[0], settings.kernel, settings.stride, settings.dilation
        )
    elif isinstance(settings.padding, int):
        before = after = settings.padding
    else:
        before = after = 0
    image = np.pad(image, ((before, after), (before, after), (0, 0)))
    weights = rng.normal(size=(settings.kernel, settings.kernel, input_shape[2], settings.filters))
    direct = dilated_conv(image, weights, settings.stride, settings.dilation)
    stride_one = dilated_conv(image, weights, 1, settings.dilation)
    # floor((W - span) / S) + 1 == ceil((W - span + 1) / S): the shapes always agree.
    subsampled = stride_one[:: settings.stride, :: settings.stride]
    return {
        "stride": settings.stride,
        "dilation": settings.dilation,
        "direct_shape": list(direct.shape),
        "stride_one_shape": list(stride_one.shape),
        "subsampled_shape": list(subsampled.shape),
        "max_abs_difference": float(np.abs(direct - subsampled).max()),
    }
