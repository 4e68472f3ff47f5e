"""Keras pieces shared by the training rules: progress lines and timings per epoch."""

from __future__ import annotations

import logging
import time

import keras

from hw4.methods.time_left import format_duration

log = logging.getLogger("hw4")


class EpochLog(keras.callbacks.Callback):
    """One log line per epoch (so a tailed log or a Slurm output shows how far it got),
    with the time left: the epochs still planned at the mean epoch time so far (an upper
    bound when early stopping may end the fit sooner). ``search``: the ``SearchProgress``
    of a search whose best configuration this fit retrains; the line then gives the whole
    rule's time left instead."""

    def __init__(self, label: str, total_epochs: int, search=None) -> None:
        super().__init__()
        self.label = label
        self.total = total_epochs
        self.search = search
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        self.seconds.append(elapsed)
        metrics = " ".join(f"{k}={v:.4f}" for k, v in sorted((logs or {}).items()))
        if self.search is not None:
            self.search.final_epoch(elapsed)
            left = self.search.seconds_left()
        else:
            left = fit_time_left(self.seconds, self.total)
        log.info(
            "%s: epoch %d of %d, %.1f s, %s; about %s left",
            self.label,
            epoch + 1,
            self.total,
            elapsed,
            metrics,
            format_duration(left),
        )


def fit_time_left(epoch_seconds: list[float], total_epochs: int) -> float:
    """Seconds a fit has left: its epochs not yet run at the mean time of those timed
    (each epoch trains on the same images, so this is the seconds per image times the
    images left)."""
    if not epoch_seconds:
        raise ValueError("no epoch timed yet")
    left = max(total_epochs - len(epoch_seconds), 0)
    return left * sum(epoch_seconds) / len(epoch_seconds)


def history_rows(history: dict, seconds: list[float]) -> list[dict]:
    rows = []
    for epoch in range(len(seconds)):
        row = {"epoch": epoch + 1, "seconds": seconds[epoch]}
        row.update({k: float(v[epoch]) for k, v in history.items()})
        rows.append(row)
    return rows
