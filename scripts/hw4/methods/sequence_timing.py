"""Q4 measurements: parameter counts as Keras reports them, and the time of a training
step as the sequence grows, for a Conv1D stack and an LSTM of similar size."""

from __future__ import annotations

import logging
import time

import keras
import numpy as np

from hw4.methods.sequence_costs import FORMULAS, receptive_field, sequential_steps

log = logging.getLogger("hw4")

LAYERS = {
    "Conv1D": lambda w, k: keras.layers.Conv1D(w, k, padding="causal"),
    "SimpleRNN": lambda w, k: keras.layers.SimpleRNN(w),
    "LSTM": lambda w, k: keras.layers.LSTM(w),
    "GRU": lambda w, k: keras.layers.GRU(w),
}


def parameter_table(channels: int, widths: list[int], kernel: int) -> list[dict]:
    rows = []
    for kind, make in LAYERS.items():
        for width in widths:
            layer = make(width, kernel)
            layer.build((None, None, channels))
            rows.append(
                {
                    "layer": kind,
                    "width": width,
                    "channels": channels,
                    "kernel": kernel if kind == "Conv1D" else "",
                    "formula": FORMULAS[kind](channels, width, kernel),
                    "keras": int(layer.count_params()),
                }
            )
    return rows


def conv_stack(channels: int, width: int, layers: int, kernel: int):
    model = keras.Sequential([keras.Input((None, channels))])
    for i in range(layers):
        # Dilations 1, 2, 4, ...: the receptive field grows with depth, as in WaveNet/TCN.
        model.add(
            keras.layers.Conv1D(
                width, kernel, padding="causal", dilation_rate=2**i, activation="relu"
            )
        )
    model.add(keras.layers.GlobalAveragePooling1D())
    model.add(keras.layers.Dense(1))
    model.compile(optimizer="adam", loss="mse")
    return model


def lstm_model(channels: int, width: int):
    model = keras.Sequential(
        [keras.Input((None, channels)), keras.layers.LSTM(width), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def step_seconds(model, x, y, repeats: int) -> float:
    model.train_on_batch(x, y)  # warm-up: tracing and allocation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def timing_table(settings: dict, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    c, w, k, depth = (
        settings["channels"],
        settings["width"],
        settings["kernel"],
        settings["conv_layers"],
    )
    models = {"Conv1D stack": conv_stack(c, w, depth, k), "LSTM": lstm_model(c, w)}
    rows = []
    lengths = settings["lengths"]
    for i, length in enumerate(lengths, start=1):
        x = rng.normal(size=(settings["batch_size"], length, c)).astype("float32")
        y = rng.normal(size=(settings["batch_size"], 1)).astype("float32")
        for name, model in models.items():
            seconds = step_seconds(model, x, y, settings["repeats"])
            kind = "LSTM" if name == "LSTM" else "Conv1D"
            rows.append(
                {
                    "model": name,
                    "length": length,
                    "seconds_per_step": seconds,
                    "sequential_steps": sequential_steps(
                        kind, length, 1 if kind == "LSTM" else depth, k
                    ),
                    "params": int(model.count_params()),
                }
            )
        log.info(
            "rnn_vs_cnn: length %d (%d of %d): conv %.4f s, lstm %.4f s",
            length,
            i,
            len(lengths),
            rows[-2]["seconds_per_step"],
            rows[-1]["seconds_per_step"],
        )
    return rows, receptive_field(depth, k, [2**i for i in range(depth)])


def loglog_slope(lengths, seconds) -> float:
    """Growth exponent b in time ~ length^b, fit on the longer half of the lengths."""
    lengths, seconds = np.asarray(lengths, float), np.asarray(seconds, float)
    half = len(lengths) // 2
    return float(np.polyfit(np.log(lengths[half:]), np.log(seconds[half:]), 1)[0])
