"""Rule lookback_sweep: train the LSTM at each configured look-back; choose on validation error only."""

import pandas as pd

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import write_csv, write_json
from hw4.io.logs import setup_logging
from hw4.io.provenance import framework_versions, provenance

log = setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed, snakemake.params.mixed_precision)

from hw4.methods.lstm import evaluate, fit_lstm  # noqa: E402
from hw4.methods.windows import prepare  # noqa: E402

s = snakemake.params.settings
sweep = snakemake.params.sweep
table = pd.read_csv(snakemake.input.table, parse_dates=["time"])
# Every look-back is scored on the same windows: those with the longest history available.
history_needed = max(max(sweep["look_backs"]), s["seasonal_period"])
rows = []
for k, look_back in enumerate(sweep["look_backs"], start=1):
    log.info("lookback_sweep: trial %d of %d, look_back=%d", k, len(sweep["look_backs"]), look_back)
    prepared = prepare(
        table,
        snakemake.params.target,
        s["features"],
        look_back,
        s["split"],
        s["include_target_history"],
        min_history=history_needed,
    )
    model, history = fit_lstm(prepared, s, f"look_back {look_back}", epochs=sweep["epochs"])
    result = evaluate(model, prepared, s["seasonal_period"])
    rows.append(
        {
            "look_back": look_back,
            "val_rmse": result["validation"]["model"]["rmse"],
            "val_mae": result["validation"]["model"]["mae"],
            "test_rmse": result["test"]["model"]["rmse"],
            "test_mae": result["test"]["model"]["mae"],
            "epochs_run": len(history),
            "seconds": sum(r["seconds"] for r in history),
        }
    )
best = min(
    rows, key=lambda r: r["val_rmse"]
)  # validation only: the test column is reported, never used
for row in rows:
    row["chosen"] = row is best
write_csv(snakemake.output.table, rows, list(rows[0]))
write_json(
    snakemake.output.summary,
    {
        "chosen_look_back": best["look_back"],
        "criterion": "lowest validation RMSE",
        "unit": snakemake.params.unit,
        "rows": rows,
        "provenance": provenance(versions=framework_versions(), **device),
    },
)
figures.lookback_plot(rows, snakemake.params.unit, snakemake.output.plot)
