"""Step of rule train_lstm: the Q3 LSTM at the look-back chosen on validation by the sweep,
against persistence, seasonal naive and linear regression, on the same test windows.

The model is the one the sweep trained at the chosen look-back (same settings, epochs, seed
and windows), loaded, not trained again: this step evaluates it on the test part.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from hw4.io.provenance import framework_versions, provenance
from hw4.methods.forecast_metrics import hours_a_baseline_is_closer
from hw4.methods.lstm import evaluate
from hw4.methods.windows import original_windows, prepare

log = logging.getLogger("hw4")

ARCHITECTURE = ("units", "layers", "dropout", "batch_size", "patience")


def scaling_summary(target: np.ndarray, training: np.ndarray) -> dict:
    """The target's range in the training hours and after them (what the scaler never saw)."""
    train, later = target[training], target[~training]
    return {
        "train_min": float(train.min()),
        "train_max": float(train.max()),
        "later_min": float(later.min()),
        "later_max": float(later.max()),
        "later_outside_train_range": float(np.mean((later < train.min()) | (later > train.max()))),
    }


def original_bug(table: pd.DataFrame, prepared, target: str, look_back: int) -> dict:
    """The hand-in's windowing on the same training rows: how many distinct labels it gives."""
    training_rows = table[prepared.hours < prepared.split.train_end]
    _, buggy_labels = original_windows(
        training_rows[prepared.feature_names].to_numpy(),
        training_rows[target].to_numpy(),
        look_back,
    )
    return {
        "windows": int(len(buggy_labels)),
        "distinct_labels": int(len(np.unique(buggy_labels))),
        "fixed_distinct_labels": int(len(np.unique(prepared.y["train"]))),
    }


def run(
    table: pd.DataFrame,
    sweep_summary: dict,
    model,
    settings: dict,
    target: str,
    unit: str,
    device: dict,
) -> dict:
    """Evaluate the sweep's model at ``sweep_summary["chosen_look_back"]`` against the baselines.

    ``table``: the consumption rule's hourly table; ``model``: the sweep's chosen model;
    ``settings``: the ``lstm`` config section (its ``look_back`` is the homework's, reported
    beside the chosen one). The windows are the sweep's (label hours after
    ``sweep_summary["label_history"]`` hours), so the test figures are the sweep's chosen row's.
    Returns the metrics payload (with provenance) and the data of the two figures.
    """
    look_back = int(sweep_summary["chosen_look_back"])
    chosen = next(row for row in sweep_summary["rows"] if row["look_back"] == look_back)
    log.info(
        "train_lstm: the sweep's model at look-back %d hours (chosen on validation; the"
        " homework's is %d), trained for %d epochs, evaluated on the test part",
        look_back,
        settings["look_back"],
        chosen["epochs_run"],
    )
    prepared = prepare(
        table,
        target,
        settings["features"],
        look_back,
        settings["split"],
        settings["include_target_history"],
        history=sweep_summary["label_history"],
        seasonal_period=settings["seasonal_period"],
    )
    result = evaluate(model, prepared, settings["seasonal_period"])
    test = result["test"]
    baselines = {name: values for name, values in test.items() if name != "model"}
    in_part = prepared.split.of(prepared.hours)
    times = table["time"]
    metrics = {
        "target": target,
        "unit": unit,
        "model": test["model"],
        "baselines": baselines,
        "validation": result["validation"],
        "beats_every_baseline": all(
            test["model"]["rmse"] < values["rmse"] for values in baselines.values()
        ),
        "input_shape": {part: list(prepared.x[part].shape) for part in prepared.x},
        "features": prepared.feature_names,
        "look_back": look_back,
        "homework_look_back": settings["look_back"],
        "seasonal_period": settings["seasonal_period"],
        "epochs_run": chosen["epochs_run"],
        "best_epoch": chosen["best_epoch"],
        "params": int(model.count_params()),
        "architecture": {key: settings[key] for key in ARCHITECTURE},
        "rows": {part: int(mask.sum()) for part, mask in in_part.items()},
        "windows_dropped_for_gaps": prepared.dropped_for_gaps,
        "periods": {
            part: [str(times.iloc[rows[0]]), str(times.iloc[rows[-1]])]
            for part, rows in prepared.label_rows.items()
        },
        "original_bug": original_bug(table, prepared, target, look_back),
        "scaling": scaling_summary(prepared.target, in_part["train"]),
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    }
    test_times = times.iloc[prepared.label_rows["test"]]
    forecasts = result["test_forecasts"]
    # The error-by-hour figure's MAE, hour by hour: where a baseline beats the model.
    metrics["hours_a_baseline_is_closer"] = hours_a_baseline_is_closer(
        test_times.dt.hour.to_numpy(), result["test_actual"], forecasts
    )
    return {
        "metrics": metrics,
        "forecast_week": {
            "times": test_times.to_numpy(),
            "actual": result["test_actual"],
            "forecasts": forecasts,
            "target": target,
            "unit": unit,
        },
        "error_by_hour": {
            "hours_of_day": test_times.dt.hour.to_numpy(),
            "actual": result["test_actual"],
            "forecasts": forecasts,
            "unit": unit,
        },
    }
