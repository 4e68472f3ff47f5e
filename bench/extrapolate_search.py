"""The homework's full-size search, extrapolated from the trials it ran and a finished
reference search with the same seed, with the extrapolation's error on the trials it ran.

    .venv/bin/python bench/extrapolate_search.py \
        --partial bench/out/full_size/workflow_full/results/tuning/search \
        --reference bench/out/full_size/workflow_6000/results/tuning

--partial: the state folder of a search that was stopped before its end (the homework's
search on every training image, through the workflow's rule: ``bench/full_size.sh search``,
stopped when the sitting ran out; rerunning it continues). --reference: the ``results/tuning`` folder of a
finished run of the workflow with the same seed and tuning settings but fewer search images
(``tuning.search_images``).

Why the reference predicts the rest: KerasTuner's Hyperband draws each fresh configuration
from the oracle's seeded random state in a fixed order, so a trial id that starts a bracket
holds the same configuration at any data size (checked here, trial by trial); only which
trials a round promotes depends on the scores.

The method, per trial: its pace (wall seconds per image-epoch: seconds / (epochs x fit
images)) at full size is its pace in the reference times a ratio r, the median over the
trials run in both of (full-size pace / reference pace). The error said beside the result
is leave-one-out: each trial run at full size predicted with r taken from the others, and
their sum against the measured sum. The trials the full search has not run are the
reference search's trials whose ids it has not finished, each at its reference seconds x
(full fit images / reference fit images) x r.

Assumptions, stated with the result: one ratio for every trial (a trial's fixed costs,
building and tracing the model, weigh more at the reference's size, and the trials run in
both are the short first-round ones, so longer later trials may be underestimated); the
reference's promotions stand in for the full search's (which configurations a round promotes
depends on the scores, and so on the data's size); the leave-one-out error measures only
the first of these. The retraining on every image is the reference's own, measured at full size (every
run retrains on all the training images; the full search's best configuration may differ).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

# Hyperparameters KerasTuner adds to a Hyperband trial (its bracket, round, epochs and the
# trial it continues): not part of the configuration itself.
TUNER_KEYS = "tuner/"


def configuration(values: dict) -> dict:
    """A trial's sampled hyperparameters, without Hyperband's bookkeeping ones."""
    return {k: v for k, v in values.items() if not k.startswith(TUNER_KEYS) and v not in ("", None)}


def partial_trials(state: Path) -> dict[str, dict]:
    """The finished trials of a search state folder: ``{id: {seconds, epochs, config}}``.

    Reads KerasTuner's ``mnist_cnn/trial_*/trial.json`` (status, hyperparameters) and the
    workflow's ``trial_runs.json`` (wall seconds and epochs of each trial)."""
    from hw4.methods.search_files import PROJECT, RUNS_FILE

    runs = json.loads((state / RUNS_FILE).read_text())
    trials = {}
    for trial_file in sorted((state / PROJECT).glob("trial_*/trial.json")):
        trial = json.loads(trial_file.read_text())
        trial_id = trial["trial_id"]
        if trial["status"] != "COMPLETED" or trial_id not in runs:
            continue
        trials[trial_id] = {
            "seconds": runs[trial_id]["seconds"],
            "epochs": runs[trial_id]["epochs"],
            "config": configuration(trial["hyperparameters"]["values"]),
        }
    return trials


def number(text: str):
    """A trials.csv cell as the number KerasTuner stored (int when whole)."""
    value = float(text)
    return int(value) if value.is_integer() else value


def reference_trials(tuning: Path) -> dict[str, dict]:
    """The trials of a finished workflow search (``trials.csv``), as ``partial_trials``."""
    trials = {}
    with open(tuning / "trials.csv") as handle:
        for row in csv.DictReader(handle):
            if row["status"] != "COMPLETED":
                continue
            fixed = {"trial", "status", "epochs_run", "tuner", "best_step", "epochs_to_best"}
            fixed |= {"continued_from", "best_val_accuracy", "seconds"}
            values = {k: number(v) for k, v in row.items() if k not in fixed and v != ""}
            trials[row["trial"]] = {
                "seconds": float(row["seconds"]),
                "epochs": int(row["epochs_run"]),
                "config": configuration(values),
            }
    return trials


def same_configuration(a: dict, b: dict) -> bool:
    """Equal hyperparameters (floats to a relative 1e-9: trials.csv keeps 12 significant
    digits)."""
    if a.keys() != b.keys():
        return False
    return all(
        abs(float(a[k]) - float(b[k])) <= 1e-9 * max(1.0, abs(float(a[k])))
        if isinstance(a[k], (int, float))
        else a[k] == b[k]
        for k in a
    )


def extrapolate(partial: dict, reference: dict, fit_full: int, fit_reference: int) -> dict:
    """The full search's seconds: measured for the trials run, predicted for the rest.

    ``partial``, ``reference``: trials as ``partial_trials`` returns them; ``fit_full`` and
    ``fit_reference``: the images each search trains a trial's epoch on. Raises
    ``ValueError`` when fewer than two trials ran in both with the same configuration
    (no leave-one-out error can be given)."""

    def pace(trial: dict, fit: int) -> float:
        return trial["seconds"] / (trial["epochs"] * fit)

    matched = sorted(
        trial_id
        for trial_id in partial
        if trial_id in reference
        and same_configuration(partial[trial_id]["config"], reference[trial_id]["config"])
        and partial[trial_id]["epochs"] == reference[trial_id]["epochs"]
    )
    if len(matched) < 2:
        raise ValueError(
            f"{len(matched)} trial(s) ran in both searches with the same configuration: at"
            " least 2 are needed for a ratio and its leave-one-out error"
        )
    ratios = {t: pace(partial[t], fit_full) / pace(reference[t], fit_reference) for t in matched}
    ratio = statistics.median(ratios.values())
    scale = fit_full / fit_reference
    errors = {}
    for t in matched:
        others = statistics.median(r for u, r in ratios.items() if u != t)
        predicted = reference[t]["seconds"] * scale * others
        errors[t] = predicted / partial[t]["seconds"] - 1
    # The sum's error out of sample too: each trial predicted with the others' ratio.
    predicted_of_run = sum(partial[t]["seconds"] * (1 + errors[t]) for t in matched)
    measured_of_run = sum(partial[t]["seconds"] for t in matched)
    # Every id the full search has not finished is a slot of the schedule still to run,
    # at the configuration the reference ran in it.
    remaining = sorted(set(reference) - set(partial))
    predicted_rest = sum(reference[t]["seconds"] * scale * ratio for t in remaining)
    measured = sum(trial["seconds"] for trial in partial.values())
    return {
        "trials_run": len(partial),
        "trials_matched": len(matched),
        "unmatched": sorted(set(partial) - set(matched)),
        "epochs_run": sum(trial["epochs"] for trial in partial.values()),
        "measured_seconds": measured,
        "ratio": ratio,
        "ratio_range": [min(ratios.values()), max(ratios.values())],
        "ratios": ratios,
        "leave_one_out_errors": errors,
        "median_abs_error": statistics.median(abs(e) for e in errors.values()),
        "max_abs_error": max(abs(e) for e in errors.values()),
        "sum_error": predicted_of_run / measured_of_run - 1,
        "remaining_trials": remaining,
        "remaining_epochs": sum(reference[t]["epochs"] for t in remaining),
        "predicted_remaining_seconds": predicted_rest,
        "search_seconds": measured + predicted_rest,
        "fit_full": fit_full,
        "fit_reference": fit_reference,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partial", required=True, type=Path)
    parser.add_argument("--reference", required=True, type=Path)
    parser.add_argument("--train-images", type=int, default=60000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import math

    import yaml

    from hw4.methods.time_left import format_duration

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    validation = config["tuning"]["validation_fraction"]
    fit_full = args.train_images - math.ceil(args.train_images * validation)
    best = json.loads((args.reference / "best.json").read_text())
    result = extrapolate(
        partial_trials(args.partial),
        reference_trials(args.reference),
        fit_full,
        best["fit_images"],
    )
    with open(args.reference / "final_history.csv") as handle:
        retraining = sum(float(row["seconds"]) for row in csv.DictReader(handle))
    result["retraining_seconds"] = retraining
    result["tune_cnn_seconds"] = result["search_seconds"] + retraining
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"trials run at full size: {result['trials_run']} ({result['epochs_run']} epochs,"
        f" {format_duration(result['measured_seconds'])}); same configuration and epochs in"
        f" the reference: {result['trials_matched']}"
    )
    print(
        f"full-size pace / reference pace: median {result['ratio']:.3f}"
        f" (range {result['ratio_range'][0]:.3f} to {result['ratio_range'][1]:.3f})"
    )
    print(
        "leave-one-out error of a trial's predicted seconds: median"
        f" {result['median_abs_error']:.1%}, largest {result['max_abs_error']:.1%};"
        f" on their sum {result['sum_error']:+.1%}"
    )
    print(
        f"not yet run: {len(result['remaining_trials'])} trials, {result['remaining_epochs']}"
        f" epochs, predicted {format_duration(result['predicted_remaining_seconds'])}"
    )
    print(
        f"the whole search at full size: {format_duration(result['search_seconds'])};"
        f" with the retraining on every image ({format_duration(retraining)}, measured):"
        f" {format_duration(result['tune_cnn_seconds'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
