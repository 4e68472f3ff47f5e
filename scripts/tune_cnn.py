"""Rule tune_cnn: KerasTuner search over the corrected space, then the best model trained
once more on the whole training split and tested once. The search state lives in
results/tuning/search/: a rerun after a kill continues from the finished trials."""

from pathlib import Path

import numpy as np

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import read_json, save_model, write_csv, write_json
from hw4.io.logs import setup_logging
from hw4.io.provenance import framework_versions, provenance

log = setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed, snakemake.params.mixed_precision)

from hw4.methods.keras_search import final_training, run_search, trial_counts, write_trials  # noqa: E402
from hw4.methods.search_space import (  # noqa: E402
    block_sizes,
    full_mnist_target,
    hyperband_schedule,
    planned_trials,
    sampled_values,
    schedule_totals,
)

s, seed = snakemake.params.settings, snakemake.params.seed
with np.load(snakemake.input.data) as loaded:
    data = {k: loaded[k] for k in loaded.files}
log.info("tune_cnn: %s search, %d trials planned", s["tuner"], planned_trials(s))
tuner, rows, search_seconds, depth_used, depth_bound = run_search(
    data, s, Path(snakemake.params.search_dir), seed, corrected=s["search_space"] == "corrected"
)
model, best_trial, epochs, history, test_loss, test_accuracy = final_training(tuner, data, s, seed)
save_model(model, snakemake.output.model)

write_trials(snakemake.output.trials, rows)
write_csv(snakemake.output.history, history, list(history[0]))
target = full_mnist_target(
    s, read_json(snakemake.input.data_provenance), snakemake.params.mnist_sha256, test_accuracy
)
log.info("accuracy target %s: %s", target["target"], target["detail"] or f"met: {target['met']}")
schedule = (
    hyperband_schedule(s["max_epochs"], s["factor"], s["hyperband_iterations"])
    if s["tuner"] == "hyperband"
    else []
)
write_json(
    snakemake.output.best,
    {
        "tuner": s["tuner"],
        "search_space": s["search_space"],
        "hyperparameters": sampled_values(best_trial.hyperparameters.values, keep_tuner_keys=False),
        "best_trial": best_trial.trial_id,
        "val_accuracy": float(best_trial.score),
        "final_epochs": epochs,
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
        "target": target,
        **trial_counts(rows),
        "trials_planned": planned_trials(s),
        "seconds": search_seconds,
        "trial_seconds_total": sum(r["seconds"] or 0 for r in rows),
        "depth_bound": depth_bound,
        "block_sizes": {
            padding: block_sizes(28, s["space"]["conv_layers"][1], padding)
            for padding in ("valid", "same")
        },
        "conv_layers_searched": [s["space"]["conv_layers"][0], depth_used],
        "schedule": schedule,
        "schedule_totals": schedule_totals(schedule) if schedule else {},
        "params": int(model.count_params()),
        "train_images": int(len(data["y_train"])),
        "test_images": int(len(data["y_test"])),
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    },
)
figures.trial_scores(rows, snakemake.output.trial_plot)
figures.explored_space(rows, snakemake.output.space_plot)
figures.learning_curves(history, snakemake.output.curves)
