"""Step of rule tune_cnn: a KerasTuner search over the homework's space (corrected or
original), the best configuration trained once more on the whole training split, and
both models tested once.

Decisions made here: what defines a search (its fingerprint) and so whether saved state
may be resumed; the hold-out the search scores on; the epochs the final model trains for;
whether the accuracy target applies; what ``best.json`` carries.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from hw4.errors import RunFailure
from hw4.io.provenance import framework_versions, provenance
from hw4.methods import distributed_search, keras_search, time_left
from hw4.methods.distributed_search import WorkerPlan
from hw4.methods.hyperband import hyperband_schedule, planned_trials, schedule_totals
from hw4.methods.mnist_cnn import scale_images
from hw4.methods.search_space import (
    TRIAL_COLUMNS,
    block_sizes,
    distinct_configurations,
    sampled_values,
)

log = logging.getLogger("hw4")

# The budget the accuracy target is stated for: Hyperband, max_epochs 10, factor 3.
TARGET_BUDGET = {
    "tuner": "hyperband",
    "search_space": "corrected",
    "max_epochs": 10,
    "factor": 3,
    "hyperband_iterations": 1,
}
# The training images of the full MNIST, the data the target is stated for.
FULL_MNIST_TRAIN_IMAGES = 60000


def full_mnist_target(
    settings: dict, data_provenance: dict, mnist_sha256: str, test_accuracy: float
) -> dict:
    """Whether the test-accuracy target applies to this run, and whether it was met.

    The target is stated for the full MNIST (60,000 training images) at the default
    budget; it applies only when the data is the checksum-verified MNIST file, whole,
    and the search used that budget. Otherwise ``reason`` names what differs
    (``data``, ``subset`` or ``budget``) and ``detail`` says it in words. ``budget`` and
    ``train_images`` carry the conditions the target is stated for, for the report's sentence.
    """
    target = settings["target_test_accuracy"]
    source = data_provenance.get("source")
    checksums = set(data_provenance.get("files", {}).values())
    train_images = data_provenance.get("counts", {}).get("train", {}).get("total")
    changed = [k for k, v in TARGET_BUDGET.items() if settings[k] != v]
    if settings.get("search_images"):  # a search on a subset is a smaller budget
        changed.append("search_images")
    if source not in ("download", "path") or mnist_sha256 not in checksums:
        reason, detail = "data", f"the data is not the checksum-verified MNIST file ({source})"
    elif train_images != FULL_MNIST_TRAIN_IMAGES:
        reason = "subset"
        detail = f"{train_images} training images instead of {FULL_MNIST_TRAIN_IMAGES:,}"
    elif changed:
        reason = "budget"
        detail = "the budget is not the default: " + ", ".join(
            f"{k}={settings[k]}" for k in changed
        )
    else:
        reason, detail = "", ""
    applies = reason == ""
    return {
        "target": target,
        "budget": TARGET_BUDGET,
        "train_images": FULL_MNIST_TRAIN_IMAGES,
        "applies": applies,
        "met": bool(test_accuracy >= target) if applies else None,
        "reason": reason,
        "detail": detail,
    }


def search_definition(settings: dict, seed: int, train_sha256: str) -> dict:
    """Everything that decides which trials a search runs and what they score: the
    fingerprint kept beside its state. A search resumes only state with the same one."""
    if settings["tuner"] == "hyperband":
        budget = {k: settings[k] for k in ("max_epochs", "factor", "hyperband_iterations")}
    else:
        budget = {k: settings[k] for k in ("max_trials", "trial_epochs")}
    definition = {
        "tuner": settings["tuner"],
        "budget": budget,
        "search_space": settings["search_space"],
        "space": settings["space"],
        "batch_size": settings["batch_size"],
        "validation_fraction": settings["validation_fraction"],
        "seed": seed,
        "train_sha256": train_sha256,
        "versions": keras_search.library_versions(),
    }
    if settings.get("search_images"):
        # Only when set, so that a search saved before the setting existed still resumes.
        definition["search_images"] = settings["search_images"]
    # As it reads back from the JSON file kept beside the state (tuples become lists).
    return json.loads(json.dumps(definition))


def open_search(directory: Path, fingerprint: dict) -> str:
    """Resume the saved search only if it has this fingerprint; otherwise start afresh.

    Returns ``"resumed"``, ``"fresh"`` (another search's state was deleted) or ``"new"``.
    Saved state cut short is mended or refused first (``keras_search.check_saved_state``:
    each mend said in one line; ``SavedStateError`` names the file and what to delete).
    """
    if keras_search.has_state(directory):
        stored = keras_search.stored_fingerprint(directory)
        if stored == fingerprint:
            for line in keras_search.check_saved_state(directory):
                log.warning("%s", line)
            log.info("search state in %s has this search's fingerprint: resuming it", directory)
            return "resumed"
        differs = sorted(k for k in fingerprint if (stored or {}).get(k) != fingerprint[k])
        log.info(
            "search state in %s belongs to another search (differs in: %s): starting a fresh search",
            directory,
            ", ".join(differs),
        )
        keras_search.clear_state(directory)
        keras_search.keep_fingerprint(directory, fingerprint)
        return "fresh"
    keras_search.clear_state(directory)
    keras_search.keep_fingerprint(directory, fingerprint)
    return "new"


def deaths_and_their_trials(deaths: list[dict], rows: list[dict]) -> list[dict]:
    """Each dead worker (``distributed_search.release_dead_worker``'s record) with what
    became of its trial in the end: its final ``status`` and the worker that ran it last
    (``finished_by``; empty when it ran none)."""
    by_id = {row["trial"]: row for row in rows}
    return [
        {
            **death,
            "final_status": by_id[death["trial"]]["status"] if death["trial"] else "",
            "finished_by": by_id[death["trial"]]["tuner"] if death["trial"] else "",
        }
        for death in deaths
    ]


def epochs_chain(trial_id: str, rows: list[dict]) -> list[dict]:
    """The trials a configuration's weights passed through, first round first, with the
    epochs each contributed up to its best epoch (``best_step + 1``).

    KerasTuner's ``best_step`` counts from the start of the trial's own ``fit``. A
    Hyperband trial of a later round starts from the weights its parent saved at its best
    epoch (``SaveBestEpoch``), so the configuration had trained for the parent's own count
    before, recursively. The sum is the retraining budget; it equals
    ``tuner/initial_epoch + best_step + 1`` when every earlier round peaked at its last epoch.
    """
    by_id = {row["trial"]: row for row in rows}
    chain = []
    while trial_id:
        row = by_id[trial_id]
        chain.insert(0, {"trial": trial_id, "epochs": row["best_step"] + 1})
        trial_id = row["continued_from"]
    return chain


def trial_counts(rows: list[dict]) -> dict:
    """Completed trials, failed ones (shapes that cannot be built: any other failure stops
    the search), and the epochs all trials ran."""
    return {
        "trials_completed": sum(r["status"] == "COMPLETED" for r in rows),
        "trials_failed": sum(r["status"] == "FAILED" for r in rows),
        "epochs_run": sum(r["epochs_run"] for r in rows),
    }


SCHEDULE_COMPLETE = "schedule_complete"
NO_NEW_CONFIGURATION = "no_new_configuration"


def how_the_search_ended(rows: list[dict], planned: int) -> dict:
    """``trials_run`` (completed and failed trials, what ran) and ``stopped_because``:
    ``schedule_complete`` when every planned trial ran, else ``no_new_configuration``.

    KerasTuner's oracle ends a search early for one reason here (any other failure stops
    the rule): it drew configurations it had tried already, again and again, and gave up
    (a space with fewer configurations than the schedule draws, or a nearly exhausted one).
    """
    ran = sum(row["status"] in ("COMPLETED", "FAILED") for row in rows)
    return {
        "trials_run": ran,
        "stopped_because": SCHEDULE_COMPLETE if ran >= planned else NO_NEW_CONFIGURATION,
    }


def search_and_retrain(
    data: dict,
    settings: dict,
    seed: int,
    search_dir: Path,
    workers: WorkerPlan | None = None,
    other_cnn_images: int = 0,
) -> dict:
    """The search, then the best configuration retrained and both models tested.

    ``data``: uint8 images ``x_train`` (n, height, width), labels ``y_train``, and the
    test split alike. ``settings``: ``config.yaml``'s ``tuning``. The search scores on a
    seeded, stratified hold-out of ``validation_fraction`` of the training images; the
    final model trains on all of them for the epochs the best configuration had when it
    reached its best val_accuracy, counted through every Hyperband round it continued
    (``epochs_chain``), and both are tested once on the test split. ``workers``: with a
    count above one, the trials run on that many worker processes (KerasTuner's
    distributed mode, ``hw4.methods.distributed_search``), this process serving the oracle.
    Each epoch's line says the time left (``hw4.methods.time_left``); once the first trial
    has ended, one line estimates the run's CNN training: this rule's time left and
    ``other_cnn_images`` more training images at the pace measured.

    Returns a dict: the retrained ``model``, ``trials`` (trials.csv's rows, with
    ``epochs_to_best``), the final training's ``history`` rows, ``state`` (see
    ``open_search``), the search's ``seconds``, the ``best_trial`` (KerasTuner's), its
    ``final_epochs`` and ``epochs_chain``, the test accuracy of the search's own model and
    the retrained one's test accuracy and loss, the ``image_shape``, the ``deepest`` depth
    searched, the ``depth_bound``, the fit and validation image counts, and
    ``distributed`` (workers, deaths and which worker was given each trial; empty for one
    process), and ``trials_run`` and ``stopped_because`` (``how_the_search_ended``).
    """
    search_dir = Path(search_dir).resolve()
    train_sha256 = keras_search.arrays_sha256({k: data[k] for k in ("x_train", "y_train")})
    state = open_search(search_dir, search_definition(settings, seed, train_sha256))
    setup = keras_search.search_setup(data, settings, seed)
    (x_fit, y_fit), (x_val, y_val) = setup["fit"], setup["validation"]
    x_train, y_train = scale_images(data["x_train"]), data["y_train"]
    x_test, y_test = scale_images(data["x_test"]), data["y_test"]
    planned = planned_trials(settings)
    hyperband = settings["tuner"] == "hyperband"
    trial_epochs = None if hyperband else settings["trial_epochs"]
    distributed = workers is not None and workers.count > 1
    log.info(
        "tune_cnn: %s search, %d trials planned, %s, on %s",
        settings["tuner"],
        planned,
        f"{workers.count} workers" if distributed else "one process",
        f"a stratified subset of {setup['search_images']:,} of the {len(y_train):,} training"
        " images (tuning.search_images); the best configuration retrains on all of them"
        if setup["search_images"] < len(y_train)
        else f"all {len(y_train):,} training images",
    )
    retries = distributed_search.RETRIES_AFTER_A_DEATH if distributed else 0
    # The time left is said by the process that trains: this one, unless workers do.
    progress = (
        None
        if distributed
        else time_left.SearchProgress(
            {**time_left.search_plan(settings, len(y_train)), "fit_images": len(y_fit)},
            other_images=other_cnn_images,
        )
    )
    tuner = keras_search.make_tuner(
        settings, setup["build"], search_dir, seed, retries=retries, progress=progress
    )
    if progress is not None:
        progress.epochs_done = keras_search.epochs_already_run(tuner, search_dir)
    if distributed:
        spec = {
            "settings": settings,
            "seed": seed,
            "search_dir": str(search_dir),
            "retries": retries,
        }
        run = distributed_search.run(tuner, workers, spec, search_dir, planned)
        seconds = run.pop("seconds")
    else:
        run = {}
        seconds = keras_search.search(
            tuner, (x_fit, y_fit), (x_val, y_val), settings["batch_size"], trial_epochs
        )
    rows = keras_search.trials_table(tuner, search_dir)
    ending = how_the_search_ended(rows, planned)
    if ending["stopped_because"] == NO_NEW_CONFIGURATION:
        log.warning(
            "the search stopped after %d of %d planned trials: KerasTuner found no new"
            " configuration in tuning.space (it holds %s distinct ones)",
            ending["trials_run"],
            planned,
            distinct_configurations(
                settings["space"],
                setup["image_shape"][0],
                corrected=settings["search_space"] == "corrected",
            ),
        )
    for row in rows:
        completed = row["status"] == "COMPLETED"
        chain = epochs_chain(row["trial"], rows) if completed else []
        row["epochs_to_best"] = sum(link["epochs"] for link in chain) if completed else None
    if not any(row["status"] == "COMPLETED" for row in rows):
        raise RunFailure(
            f"the search completed none of its {len(rows)} trials: nothing to retrain "
            "(each failed trial's reason is in the lines above)"
        )
    best = keras_search.best_trial(tuner)
    chain = epochs_chain(best.trial_id, rows)
    final_epochs = sum(link["epochs"] for link in chain)
    _, search_accuracy = keras_search.evaluate(keras_search.search_model(tuner), x_test, y_test)
    log.info("search's own best model: test accuracy %.4f", search_accuracy)
    log.info(
        "final model: %d epochs (%s)",
        final_epochs,
        " + ".join(f"{link['epochs']} in trial {link['trial']}" for link in chain),
    )
    model, history = keras_search.final_training(
        tuner,
        best.hyperparameters,
        x_train,
        y_train,
        final_epochs,
        settings["batch_size"],
        seed,
        progress,
    )
    test_loss, test_accuracy = keras_search.evaluate(model, x_test, y_test)
    log.info("final model: %d epochs, test accuracy %.4f", final_epochs, test_accuracy)
    return {
        "model": model,
        "trials": rows,
        "history": history,
        "state": state,
        "seconds": seconds,
        "best_trial": best,
        "final_epochs": final_epochs,
        "epochs_chain": chain,
        "search_model_test_accuracy": search_accuracy,
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
        "image_shape": setup["image_shape"],
        "deepest": setup["deepest"],
        "depth_bound": setup["depth_bound"],
        "fit_images": int(len(y_fit)),
        "validation_images": int(len(y_val)),
        "search_images": setup["search_images"],
        "distributed": run,
        **ending,
    }


def json_count(count: float) -> int | None:
    """A count for JSON: None stands for an unbounded one (a continuous range)."""
    return None if count == math.inf else int(count)


def whole_search_when_the_subset_is_everything(settings: dict, train_images: int) -> dict:
    """``settings`` with ``search_images`` 0 when it names at least every training image:
    that search is the homework's, and is fingerprinted, targeted and reported as such (a
    saved search on every image continues). Said in one line when it changes anything."""
    asked = settings.get("search_images") or 0
    if not asked or asked < train_images:
        return settings
    log.info(
        "tuning.search_images %s is at least the %s training images: the search sees them"
        " all, as with 0 (the homework's search)",
        f"{asked:,}",
        f"{train_images:,}",
    )
    return {**settings, "search_images": 0}


def run(
    data: dict,
    data_provenance: dict,
    settings: dict,
    seed: int,
    search_dir: Path,
    mnist_sha256: str,
    device: dict,
    workers: WorkerPlan | None = None,
    other_cnn_images: int = 0,
) -> dict:
    """Everything rule tune_cnn writes.

    Returns ``{"model", "trials", "trial_columns", "history", "history_columns", "best"}``:
    the retrained Keras model, trials.csv's rows and columns, the final training's rows
    and columns, and ``best.json`` (with its provenance). ``best.json`` states the trials
    that ran (``trials_run``) beside those planned, why the search stopped
    (``stopped_because``) and the space's ``distinct_configurations`` (null: unbounded). ``data_provenance`` is the mnist
    rule's provenance (for the target check); ``device`` is what
    ``hw4.device.configure_framework`` returned; ``workers`` the worker plan of a
    distributed search (None or a count of one: this process runs the trials);
    ``other_cnn_images`` the other CNN rules' training images, for the run's estimate
    (``search_and_retrain``).
    """
    settings = whole_search_when_the_subset_is_everything(settings, len(data["y_train"]))
    result = search_and_retrain(data, settings, seed, search_dir, workers, other_cnn_images)
    rows, best = result["trials"], result["best_trial"]
    target = full_mnist_target(settings, data_provenance, mnist_sha256, result["test_accuracy"])
    log.info(
        "accuracy target %s: %s", target["target"], target["detail"] or f"met: {target['met']}"
    )
    hyperband = settings["tuner"] == "hyperband"
    schedule = (
        hyperband_schedule(
            settings["max_epochs"], settings["factor"], settings["hyperband_iterations"]
        )
        if hyperband
        else []
    )
    space = settings["space"]
    best_row = next(row for row in rows if row["trial"] == best.trial_id)
    summary = {
        "tuner": settings["tuner"],
        "search_space": settings["search_space"],
        "search_state": result["state"],
        "trial_epochs": None if hyperband else settings["trial_epochs"],
        "hyperparameters": sampled_values(best.hyperparameters.values, keep_tuner_keys=False),
        "best_trial": best.trial_id,
        "val_accuracy": float(best.score),
        "best_step": best_row["best_step"],
        "final_epochs": result["final_epochs"],
        "epochs_chain": result["epochs_chain"],
        "test_accuracy": result["test_accuracy"],
        "test_loss": result["test_loss"],
        "search_model_test_accuracy": result["search_model_test_accuracy"],
        "target": target,
        **trial_counts(rows),
        "trials_planned": planned_trials(settings),
        "trials_run": result["trials_run"],
        "stopped_because": result["stopped_because"],
        "distinct_configurations": json_count(
            distinct_configurations(
                space, result["image_shape"][0], corrected=settings["search_space"] == "corrected"
            )
        ),
        "seconds": result["seconds"],
        "workers": workers.count if workers else 1,
        "worker_placement": workers.engine if workers and workers.count > 1 else "",
        "worker_replacements": result["distributed"].get("replacements", []),
        "worker_deaths": deaths_and_their_trials(result["distributed"].get("deaths", []), rows),
        "padding": space["padding"],
        "image_size": list(result["image_shape"][:2]),
        "depth_bound": result["depth_bound"],
        "block_sizes": block_sizes(
            result["image_shape"][0], space["conv_layers"][1], space["padding"]
        ),
        "conv_layers_searched": [space["conv_layers"][0], result["deepest"]],
        "schedule": schedule,
        "schedule_totals": schedule_totals(schedule) if schedule else {},
        "params": int(result["model"].count_params()),
        "fit_images": result["fit_images"],
        "validation_images": result["validation_images"],
        # The images the search saw (fit and validation): fewer than train_images when
        # tuning.search_images chose a subset; the final model trains on train_images.
        "search_images": result["search_images"],
        "search_images_setting": settings.get("search_images", 0),
        "train_images": int(len(data["y_train"])),
        "test_images": int(len(data["y_test"])),
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    }
    hp_names = sorted({k for row in rows for k in row} - set(TRIAL_COLUMNS))
    return {
        "model": result["model"],
        "trials": rows,
        "trial_columns": [*TRIAL_COLUMNS, *hp_names],
        "history": result["history"],
        "history_columns": list(result["history"][0]),
        "best": summary,
    }
