"""Keras pieces shared by the training rules: progress lines and timings per epoch."""

from __future__ import annotations

import logging
import time

import keras

log = logging.getLogger("hw4")


class EpochLog(keras.callbacks.Callback):
    """One log line per epoch (so a tailed log or a Slurm output shows how far it got)."""

    def __init__(self, label: str, total_epochs: int) -> None:
        super().__init__()
        self.label = label
        self.total = total_epochs
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        self.seconds.append(elapsed)
        metrics = " ".join(f"{k}={v:.4f}" for k, v in sorted((logs or {}).items()))
        log.info(
            "%s: epoch %d of %d, %.1f s, %s", self.label, epoch + 1, self.total, elapsed, metrics
        )


def history_rows(history: dict, seconds: list[float]) -> list[dict]:
    rows = []
    for epoch in range(len(seconds)):
        row = {"epoch": epoch + 1, "seconds": seconds[epoch]}
        row.update({k: float(v[epoch]) for k, v in history.items()})
        rows.append(row)
    return rows
