"""Running a KerasTuner search: a resumable tuner that says where it is, its trials as a
table, the hold-out it scores on, the final training of a configuration and one test."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import time
from pathlib import Path

import keras
import keras_tuner as kt
import numpy as np

from hw4.io.files import write_json
from hw4.methods.search_space import ShapeFailure, planned_trials, sampled_values

log = logging.getLogger("hw4")

PROJECT = "mnist_cnn"  # KerasTuner's folder for the trials, inside the search folder
FINGERPRINT_FILE = "fingerprint.json"
RUNS_FILE = "trial_runs.json"  # wall time and epochs of every trial, beside the tuner's state


class TrialError(kt.errors.FatalError):
    """A trial failed for a reason other than an impossible shape: the search stops."""


def make_tuner(settings: dict, build, directory: Path, seed: int):
    """A KerasTuner tuner (``settings["tuner"]``: hyperband, random or bayesian) over ``build``.

    Its state lives in ``directory / PROJECT`` and is resumed when present. It logs
    "trial k of n", keeps each trial's wall time and epochs in ``directory / RUNS_FILE``,
    counts a ``ShapeFailure`` as a failed trial and goes on, and stops the search with
    ``TrialError`` (the trial's error as its cause) on any other failure.
    """
    kind = settings["tuner"]
    base = {
        "hyperband": kt.Hyperband,
        "random": kt.RandomSearch,
        "bayesian": kt.BayesianOptimization,
    }[kind]
    runs_file = directory / RUNS_FILE
    total = planned_trials(settings)

    class LoggedTuner(base):
        def on_trial_begin(self, trial):
            super().on_trial_begin(trial)
            self._started = time.perf_counter()
            self._epochs_run = 0
            done = len(
                [t for t in self.oracle.trials.values() if t.status in ("COMPLETED", "FAILED")]
            )
            log.info(
                "trial %d of %d (id %s): %s",
                done + 1,
                total,
                trial.trial_id,
                sampled_values(trial.hyperparameters.values),
            )

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            runs = json.loads(runs_file.read_text()) if runs_file.exists() else {}
            runs[trial.trial_id] = {
                "seconds": time.perf_counter() - self._started,
                "epochs": self._epochs_run,
            }
            write_json(runs_file, runs)
            log.info("trial %s finished: %s, score %s", trial.trial_id, trial.status, trial.score)

        def on_epoch_end(self, trial, model, epoch, logs=None):
            # Called through KerasTuner's own callback (the callbacks given to search()
            # are deep-copied per trial, so a count kept there would be lost).
            super().on_epoch_end(trial, model, epoch, logs)
            self._epochs_run += 1
            logs = logs or {}
            log.info(
                "trial %s: epoch %d, accuracy=%.4f val_accuracy=%.4f",
                trial.trial_id,
                epoch + 1,
                logs.get("accuracy", float("nan")),
                logs.get("val_accuracy", float("nan")),
            )

        def run_trial(self, trial, *args, **kwargs):
            # Seed each trial from its id: its weights, shuffling and dropout then depend
            # on the seed and its configuration alone, not on what this process ran
            # before it, so a resumed search, the bench and the workflow agree.
            keras.utils.set_random_seed(seed + int(trial.trial_id))
            try:
                return super().run_trial(trial, *args, **kwargs)
            except ShapeFailure as error:
                log.info("trial %s cannot be built: %s", trial.trial_id, error)
                raise kt.errors.FailedTrialError(str(error)) from error
            except Exception as error:
                raise TrialError(
                    f"trial {trial.trial_id} failed: {type(error).__name__}: {error}"
                ) from error

    common = dict(
        objective="val_accuracy",
        # KerasTuner takes a seed of 0 for "no seed" and then draws one from Python's
        # global random state; shifted by one, every configured seed fixes the oracle.
        seed=seed + 1,
        directory=str(directory),
        project_name=PROJECT,
        overwrite=False,  # resume from the finished trials
        # Only shape failures end as FAILED (any other failure stops the search above),
        # and the original space expects many of them in a row: they are counted, and
        # KerasTuner's limit on consecutive failures must never end the search.
        max_consecutive_failed_trials=sys.maxsize,
    )
    if kind == "hyperband":
        return LoggedTuner(
            build,
            max_epochs=settings["max_epochs"],
            factor=settings["factor"],
            hyperband_iterations=settings["hyperband_iterations"],
            **common,
        )
    return LoggedTuner(build, max_trials=settings["max_trials"], **common)


def seeded_stratified_holdout(x, y, fraction: float, seed: int):
    """Shuffle with ``seed`` and hold out ``fraction`` of the images, stratified by class.

    Returns ``(x_fit, x_held_out, y_fit, y_held_out)`` (scikit-learn's ``train_test_split``).
    """
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=fraction, random_state=seed, stratify=y)


def arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over the arrays' names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """The versions whose behaviour a saved search depends on."""
    return {"keras_tuner": kt.__version__, "keras": keras.__version__}


def stored_fingerprint(directory: Path) -> dict | None:
    """The fingerprint kept beside a search's state, or None when there is none."""
    path = directory / FINGERPRINT_FILE
    return json.loads(path.read_text()) if path.exists() else None


def has_state(directory: Path) -> bool:
    return (directory / PROJECT).exists()


def clear_state(directory: Path) -> None:
    """Delete a search's state (trials, oracle, timings, fingerprint)."""
    shutil.rmtree(directory / PROJECT, ignore_errors=True)
    for name in (RUNS_FILE, FINGERPRINT_FILE):
        (directory / name).unlink(missing_ok=True)


def keep_fingerprint(directory: Path, fingerprint: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / FINGERPRINT_FILE, fingerprint)


def search(tuner, fit: tuple, validation: tuple, batch_size: int, epochs: int | None) -> float:
    """Run (or resume) the search; ``epochs`` per trial for random and Bayesian tuners
    (None for Hyperband, which sets each round's own). Returns the seconds it took."""
    extra = {} if epochs is None else {"epochs": epochs}
    start = time.perf_counter()
    tuner.search(*fit, validation_data=validation, batch_size=batch_size, verbose=0, **extra)
    return time.perf_counter() - start


def trials_table(tuner, directory: Path) -> list[dict]:
    """One row per trial, in id order: status, epochs run in this trial, ``best_step``
    (KerasTuner's: the best epoch's index within this trial's own ``fit``; empty for a
    failed trial), the Hyperband trial whose best weights it continued from (``""``
    when none), its score, wall time in seconds, and every sampled hyperparameter."""
    runs_file = directory / RUNS_FILE
    runs = json.loads(runs_file.read_text()) if runs_file.exists() else {}
    rows = []
    for trial_id, trial in sorted(tuner.oracle.trials.items()):
        values = trial.hyperparameters.values
        completed = trial.status == "COMPLETED"
        run = runs.get(trial_id, {})
        row = {
            "trial": trial_id,
            "status": trial.status,
            "epochs_run": run.get("epochs", 0),
            "best_step": trial.best_step if completed else None,
            "continued_from": values.get("tuner/trial_id", ""),
            "best_val_accuracy": trial.score,
            "seconds": run.get("seconds"),
        }
        row.update(sampled_values(values))
        rows.append(row)
    return rows


def best_trial(tuner):
    return tuner.oracle.get_best_trials(1)[0]


def search_model(tuner):
    """The best trial's model as KerasTuner kept it: its weights at its best epoch,
    trained on the search's fit split only."""
    return tuner.get_best_models(1)[0]


def final_training(tuner, hyperparameters, x, y, epochs: int, batch_size: int, seed: int):
    """Build a configuration afresh (seeded) and train it on ``x``, ``y`` for ``epochs``.

    Returns ``(model, history rows)`` (one row per epoch, with its seconds)."""
    from hw4.methods.training_log import EpochLog, history_rows

    keras.utils.set_random_seed(seed)
    model = tuner.hypermodel.build(hyperparameters)
    progress = EpochLog("final model", epochs)
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[progress])
    return model, history_rows(history.history, progress.seconds)


def evaluate(model, x, y) -> tuple[float, float]:
    """(loss, accuracy) on ``x``, ``y``."""
    loss, accuracy = model.evaluate(x, y, verbose=0)
    return float(loss), float(accuracy)
