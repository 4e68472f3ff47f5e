"""Class indices a caller hands in (labels, a Grad-CAM target), checked before any use.

NumPy reads index -1 as the last class and a one-hot of 10 over ten classes as a row of
zeros: either gives an answer about a class that was never asked for. Each index must be
a whole number in 0..classes-1 (a float such as 3.0 is taken as 3); anything else is
refused in one line naming the value.
"""

from __future__ import annotations

import numbers

import numpy as np

from hw4.errors import InputError


def _shown(value) -> str:
    text = repr(value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value)
    return text if len(text) <= 40 else text[:37] + "..."


def class_indices(
    values,
    count: int,
    classes: int,
    name: str,
    error: type[InputError] = InputError,
    items: str = "items",
) -> np.ndarray:
    """``values`` as ``count`` int64 class indices: one index for all, or one per item.

    ``values``: a whole number (int, NumPy integer or whole-number float) or a sequence /
    1-D array of ``count`` of them, each in 0..``classes``-1. ``name`` is the argument or
    setting named in the message, ``items`` what the indices are for (``images``). Raises ``error`` (an ``InputError``) naming the value for
    a bool, a fraction, NaN, text, an index outside the range, a nested list, or a list of
    another length.
    """
    allowed = f"allowed: whole numbers 0 to {classes - 1}, one for all {count} {items} or one each"
    if isinstance(values, (str, bytes)) or values is None:
        raise error(f"{name}: {_shown(values)} is not a class index ({allowed})")
    array = np.asarray(values)
    if array.ndim > 1:
        raise error(f"{name}: an array of shape {array.shape} ({allowed})")
    if array.ndim == 1 and len(array) != count:
        raise error(
            f"{name}: {_shown(values)} has {len(array)} values for {count} {items} ({allowed})"
        )
    flat = array.reshape(-1)
    # np.asarray([1, True]) is [1, 1]: a bool among numbers is looked for before it is lost.
    listed = values if isinstance(values, (list, tuple)) else flat
    if array.dtype.kind == "b" or any(isinstance(v, (bool, np.bool_)) for v in listed):
        first = next(v for v in listed if isinstance(v, (bool, np.bool_)))
        raise error(f"{name}: {_shown(first)} is not a whole number ({allowed})")
    if array.dtype.kind not in "iuf":  # text or mixed kinds: each value as it was given
        flat = np.array([_whole(v, name, allowed, error) for v in listed], dtype=np.int64)
    elif array.dtype.kind == "f":
        fractional = ~np.isfinite(flat) | (flat != np.round(flat))
        if fractional.any():
            raise error(f"{name}: {_shown(flat[fractional][0])} is not a whole number ({allowed})")
    outside = (flat < 0) | (flat >= classes)
    if outside.any():
        value = flat[outside][0]
        shown = _shown(int(value) if array.dtype.kind == "f" else value)
        raise error(f"{name}: {shown} is not a class of this model ({allowed})")
    indices = flat.astype(np.int64)
    return np.full(count, indices[0]) if array.ndim == 0 else indices


def _whole(value, name: str, allowed: str, error: type[InputError]) -> int:
    if isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and float(value).is_integer()
    ):
        return int(value)
    raise error(f"{name}: {_shown(value)} is not a whole number ({allowed})")
