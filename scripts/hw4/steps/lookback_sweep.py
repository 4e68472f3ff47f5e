"""Step of rule lookback_sweep: the LSTM at each look-back, the choice made on validation only.

Every look-back trains with the main model's settings and epoch budget (``lstm``), on the
same label hours, so the chosen look-back's model is the Q3 model itself: the sweep returns
it, and rule train_lstm evaluates it instead of training the same model a second time.
"""

from __future__ import annotations

import logging

import pandas as pd

from hw4.io.provenance import framework_versions, provenance
from hw4.methods.lstm import evaluate, fit_lstm
from hw4.methods.windows import prepare

log = logging.getLogger("hw4")

COLUMNS = [
    "look_back",
    "val_rmse",
    "val_mae",
    "test_rmse",
    "test_mae",
    "epochs_run",
    "best_epoch",
    "seconds",
    "homework",
    "chosen",
]


def best_epoch(history: list[dict]) -> int:
    """The epoch (from 1) of the lowest validation loss: the weights early stopping kept."""
    return min(range(len(history)), key=lambda index: history[index]["val_loss"]) + 1


def look_backs_compared(configured: list[int], homework: int) -> list[int]:
    """The configured look-backs and the homework's, in increasing order."""
    return sorted({*configured, homework})


def run(
    table: pd.DataFrame,
    settings: dict,
    look_backs_configured: list[int],
    target: str,
    unit: str,
    seed: int,
    device: dict,
) -> dict:
    """Train the LSTM at every look-back and choose the lowest validation RMSE.

    ``settings``: the ``lstm`` config section (units, layers, epochs, patience, ...), used
    for every look-back; ``look_backs_configured``: ``lookback_sweep.look_backs`` (the
    homework's ``settings["look_back"]`` is added). Every look-back is scored on the same
    label hours (those with the longest look-back's history present, recorded as the
    summary's ``label_history``) and starts from the same seed, so its result does not
    depend on the look-backs trained before it. The test columns are reported, never used to
    choose. Returns ``{"rows", "columns", "summary", "model", "history", "history_columns"}``:
    ``model`` and ``history`` are the chosen look-back's.
    """
    look_backs = look_backs_compared(look_backs_configured, settings["look_back"])
    rows = []
    trained = {}
    for trial, look_back in enumerate(look_backs, start=1):
        log.info("lookback_sweep: trial %d of %d, look_back=%d", trial, len(look_backs), look_back)
        prepared = prepare(
            table,
            target,
            settings["features"],
            look_back,
            settings["split"],
            settings["include_target_history"],
            history=max(look_backs),
            seasonal_period=settings["seasonal_period"],
        )
        model, history = fit_lstm(
            prepared, settings, f"look_back {look_back}", settings["epochs"], seed
        )
        trained[look_back] = (model, history)
        result = evaluate(model, prepared, settings["seasonal_period"])
        rows.append(
            {
                "look_back": look_back,
                "val_rmse": result["validation"]["model"]["rmse"],
                "val_mae": result["validation"]["model"]["mae"],
                "test_rmse": result["test"]["model"]["rmse"],
                "test_mae": result["test"]["model"]["mae"],
                "epochs_run": len(history),
                "best_epoch": best_epoch(history),
                "seconds": sum(row["seconds"] for row in history),
                "homework": look_back == settings["look_back"],
            }
        )
    best = min(rows, key=lambda row: row["val_rmse"])
    for row in rows:
        row["chosen"] = row is best
    summary = {
        "chosen_look_back": best["look_back"],
        "homework_look_back": settings["look_back"],
        "criterion": "lowest validation RMSE",
        "epochs": settings["epochs"],
        "label_history": max(look_backs),
        "unit": unit,
        "rows": rows,
        "provenance": provenance(versions=framework_versions(), **device),
    }
    model, history = trained[best["look_back"]]
    return {
        "rows": rows,
        "columns": COLUMNS,
        "summary": summary,
        "model": model,
        "history": history,
        "history_columns": list(history[0]),
    }
