"""Q3: a chronological split of an hourly series, and min-max scaling fit on its training part.

The split is made on the hour axis, not on rows: with hours missing from a file, the parts still
cover the configured shares of the period from the first hour to the last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hw4.errors import InputError


class SplitError(InputError):
    """A split that leaves a part empty; the message names the ``lstm.split`` keys."""


@dataclass
class Split:
    """Hour offsets (from the series' first hour) where validation and test begin."""

    train_end: int  # first hour of validation
    validation_end: int  # first hour of test
    hours: int  # hours from the first to the last, both included

    def of(self, label_hours: np.ndarray) -> dict[str, np.ndarray]:
        """Boolean masks: which labels (hour offsets) fall in each part."""
        return {
            "train": label_hours < self.train_end,
            "validation": (label_hours >= self.train_end) & (label_hours < self.validation_end),
            "test": label_hours >= self.validation_end,
        }


def chronological_split(hours: int, train: float, validation: float) -> Split:
    """The first ``train`` share of the hours trains, the next ``validation`` share validates.

    Raises SplitError when the shares leave no test part.
    """
    if not (0 < train < 1 and 0 < validation < 1 and train + validation < 1):
        raise SplitError(
            f"lstm.split: train {train} + validation {validation} must leave a test part"
        )
    return Split(int(hours * train), int(hours * (train + validation)), hours)


class MinMax:
    """Min-max scaling to [0, 1], fit on the training rows only (as sklearn's MinMaxScaler)."""

    def __init__(self) -> None:
        self.low = self.span = None

    def fit(self, data: np.ndarray) -> MinMax:
        data = np.asarray(data, dtype=float)
        self.low = data.min(axis=0)
        span = data.max(axis=0) - self.low
        self.span = np.where(span > 0, span, 1.0)  # a constant column maps to 0, not NaN
        return self

    def transform(self, data):
        return (np.asarray(data, dtype=float) - self.low) / self.span

    def inverse(self, data):
        return np.asarray(data, dtype=float) * self.span + self.low
