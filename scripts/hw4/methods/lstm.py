"""Q3: the homework's stacked LSTM, corrected, trained with early stopping."""

from __future__ import annotations

import logging

import numpy as np

from hw4.methods.forecast_baselines import baselines
from hw4.methods.forecast_metrics import metrics
from hw4.methods.windows import Prepared

log = logging.getLogger("hw4")


def build_lstm(
    look_back: int, n_features: int, units: int = 50, layers: int = 3, dropout: float = 0.0
):
    """LSTM layers stacked; all but the last return sequences, the last returns one vector."""
    import keras

    model = keras.Sequential(name="q3_lstm")
    model.add(keras.Input((look_back, n_features), name="window"))
    for i in range(layers):
        last = i == layers - 1
        model.add(
            keras.layers.LSTM(
                units, return_sequences=not last, dropout=dropout, name=f"lstm_{i + 1}"
            )
        )
    model.add(keras.layers.Dense(1, name="next_hour", dtype="float32"))
    model.compile(optimizer="adam", loss="mse")
    return model


def fit_lstm(prepared: Prepared, settings: dict, label: str, epochs: int, seed: int):
    """Build and fit the LSTM on ``prepared``'s training windows, early-stopped on validation.

    The seed is set right before the weights are drawn, so a model's result does not depend
    on the models trained before it in the same process. Returns (model, history rows).
    """
    import keras

    from hw4.methods.training_log import EpochLog, history_rows

    keras.utils.set_random_seed(seed)
    model = build_lstm(
        prepared.x["train"].shape[1],
        prepared.x["train"].shape[2],
        settings["units"],
        settings["layers"],
        settings["dropout"],
    )
    progress = EpochLog(label, epochs)
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=settings["patience"], restore_best_weights=True
    )
    history = model.fit(
        prepared.x["train"],
        prepared.y["train"],
        validation_data=(prepared.x["validation"], prepared.y["validation"]),
        epochs=epochs,
        batch_size=settings["batch_size"],
        shuffle=True,
        verbose=0,
        callbacks=[progress, stop],
    )
    return model, history_rows(history.history, progress.seconds)


def predict(model, prepared: Prepared, part: str) -> np.ndarray:
    scaled = model.predict(prepared.x[part], batch_size=1024, verbose=0)
    return prepared.target_scaler.inverse(scaled.reshape(-1, 1))[:, 0]


def evaluate(model, prepared: Prepared, period: int) -> dict:
    """Model and baselines on the validation and test windows, in the data's own units."""
    out = {}
    for part in ("validation", "test"):
        actual = prepared.target[prepared.label_rows[part]]
        forecasts = {"model": predict(model, prepared, part), **baselines(prepared, part, period)}
        out[part] = {name: metrics(actual, f) for name, f in forecasts.items()}
        out[part + "_forecasts"] = forecasts
        out[part + "_actual"] = actual
    return out
