"""Q4 measurements: parameter counts as Keras reports them, and the time of a training step
as the sequence grows, for a Conv1D stack and an LSTM of matched parameter count."""

from __future__ import annotations

import keras
import numpy as np

from hw4.methods.sequence_costs import FORMULAS, stack_dilations
from hw4.methods.step_timing import seconds_per_call

LAYERS = {
    "Conv1D": lambda width, kernel: keras.layers.Conv1D(width, kernel, padding="causal"),
    "SimpleRNN": lambda width, kernel: keras.layers.SimpleRNN(width),
    "LSTM": lambda width, kernel: keras.layers.LSTM(width),
    "GRU": lambda width, kernel: keras.layers.GRU(width),
}


def parameter_table(channels: int, widths: list[int], kernel: int) -> list[dict]:
    """Each layer kind at each width: its parameters by formula and as Keras counts them."""
    rows = []
    for kind, make in LAYERS.items():
        for width in widths:
            layer = make(width, kernel)
            layer.build((None, None, channels))
            rows.append(
                {
                    "layer": kind,
                    "width": width,
                    "formula": FORMULAS[kind](channels, width, kernel),
                    "keras": int(layer.count_params()),
                }
            )
    return rows


def conv_stack(channels: int, width: int, layers: int, kernel: int):
    """Causal Conv1D layers with dilations 1, 2, 4, ... (WaveNet/TCN), averaged, then Dense(1)."""
    model = keras.Sequential([keras.Input((None, channels))])
    for dilation in stack_dilations(layers):
        model.add(
            keras.layers.Conv1D(
                width, kernel, padding="causal", dilation_rate=dilation, activation="relu"
            )
        )
    model.add(keras.layers.GlobalAveragePooling1D())
    model.add(keras.layers.Dense(1))
    model.compile(optimizer="adam", loss="mse")
    return model


def lstm_model(channels: int, units: int):
    """One LSTM layer, then Dense(1)."""
    model = keras.Sequential(
        [keras.Input((None, channels)), keras.layers.LSTM(units), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def training_step_seconds(
    model, length: int, channels: int, batch_size: int, repeats: int, seed: int
) -> list[float]:
    """Seconds of ``repeats`` training steps on one random batch of sequences of ``length``
    (warm-up steps excluded, see ``seconds_per_call``)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, length, channels)).astype("float32")
    y = rng.normal(size=(batch_size, 1)).astype("float32")
    return seconds_per_call(lambda: model.train_on_batch(x, y), repeats)
