"""Rule train_lstm: the Q3 LSTM against persistence, seasonal naive and linear regression."""

import numpy as np
import pandas as pd

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import save_model, write_csv, write_json
from hw4.io.logs import setup_logging
from hw4.io.provenance import framework_versions, provenance

log = setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed, snakemake.params.mixed_precision)

from hw4.methods.lstm import evaluate, fit_lstm  # noqa: E402
from hw4.methods.windows import original_windows, prepare  # noqa: E402

s = snakemake.params.settings
table = pd.read_csv(snakemake.input.table, parse_dates=["time"])
prepared = prepare(
    table,
    snakemake.params.target,
    s["features"],
    s["look_back"],
    s["split"],
    s["include_target_history"],
    min_history=s["seasonal_period"],
)
model, history = fit_lstm(prepared, s, "train_lstm")
result = evaluate(model, prepared, s["seasonal_period"])
save_model(model, snakemake.output.model)
write_csv(snakemake.output.history, history, list(history[0]))

# The original's windowing, run on the same training rows, to show its bug in numbers.
train_rows = table.iloc[: prepared.split.train_end]
_, buggy_labels = original_windows(
    train_rows[prepared.feature_names].to_numpy(),
    train_rows[snakemake.params.target].to_numpy(),
    s["look_back"],
)
test_times = table["time"].iloc[prepared.label_index["test"]]
target_train = prepared.target[: prepared.split.train_end]
target_rest = prepared.target[prepared.split.train_end :]
write_json(
    snakemake.output.metrics,
    {
        "target": snakemake.params.target,
        "unit": snakemake.params.unit,
        "model": result["test"]["model"],
        "baselines": {k: v for k, v in result["test"].items() if k != "model"},
        "validation": result["validation"],
        "beats_every_baseline": all(
            result["test"]["model"]["rmse"] < v["rmse"]
            for k, v in result["test"].items()
            if k != "model"
        ),
        "input_shape": {
            part: list(prepared.x[part].shape) for part in ("train", "validation", "test")
        },
        "features": prepared.feature_names,
        "look_back": s["look_back"],
        "epochs_run": len(history),
        "best_epoch": int(np.argmin([r["val_loss"] for r in history]) + 1),
        "params": int(model.count_params()),
        "architecture": {k: s[k] for k in ("units", "layers", "dropout", "batch_size", "patience")},
        "rows": {
            "train": prepared.split.train_end,
            "validation": prepared.split.val_end - prepared.split.train_end,
            "test": prepared.split.rows - prepared.split.val_end,
        },
        "periods": {
            part: [str(table["time"].iloc[idx[0]]), str(table["time"].iloc[idx[-1]])]
            for part, idx in prepared.label_index.items()
        },
        "original_bug": {
            "windows": int(len(buggy_labels)),
            "distinct_labels": int(len(np.unique(buggy_labels))),
            "fixed_distinct_labels": int(len(np.unique(prepared.y["train"]))),
        },
        "scaling": {
            "train_min": float(target_train.min()),
            "train_max": float(target_train.max()),
            "later_min": float(target_rest.min()),
            "later_max": float(target_rest.max()),
            "later_outside_train_range": float(
                np.mean((target_rest < target_train.min()) | (target_rest > target_train.max()))
            ),
        },
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    },
)
forecasts = result["test_forecasts"]
figures.forecast_week(
    test_times.to_numpy(),
    result["test_actual"],
    forecasts,
    snakemake.params.unit,
    snakemake.output.week,
)
figures.error_by_hour(
    test_times.dt.hour.to_numpy(),
    result["test_actual"],
    forecasts,
    snakemake.params.unit,
    snakemake.output.by_hour,
)
figures.learning_curves(history, snakemake.output.curves, metric="loss")
