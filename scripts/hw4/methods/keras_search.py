"""Running the search: a resumable KerasTuner search that says where it is, then the
final training of the best configuration and one evaluation on the test split."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import keras
import keras_tuner as kt

from hw4.io.files import write_csv, write_json
from hw4.methods.search_space import make_builder, planned_trials, sampled_values

log = logging.getLogger("hw4")


class ProgressLog(keras.callbacks.Callback):
    def __init__(self, trial_id: str) -> None:
        super().__init__()
        self.trial_id = trial_id

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        log.info(
            "trial %s: epoch %d, accuracy=%.4f val_accuracy=%.4f",
            self.trial_id,
            epoch + 1,
            logs.get("accuracy", float("nan")),
            logs.get("val_accuracy", float("nan")),
        )


def make_tuner(settings: dict, build, directory: Path, seed: int):
    kind = settings["tuner"]
    base = {
        "hyperband": kt.Hyperband,
        "random": kt.RandomSearch,
        "bayesian": kt.BayesianOptimization,
    }[kind]
    timings_file = directory / "timings.json"
    total = planned_trials(settings)

    class LoggedTuner(base):
        """Logs 'trial k of n' and keeps each trial's wall time beside the tuner's state."""

        def on_trial_begin(self, trial):
            super().on_trial_begin(trial)
            self._started = time.perf_counter()
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
            timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
            timings[trial.trial_id] = time.perf_counter() - self._started
            write_json(timings_file, timings)
            log.info("trial %s finished: %s, score %s", trial.trial_id, trial.status, trial.score)

        def run_trial(self, trial, *args, **kwargs):
            # Seed each trial from its id: its weights, shuffling and dropout then depend
            # on the seed and its configuration alone, not on what this process ran
            # before it, so a resumed search, the bench and the workflow agree.
            keras.utils.set_random_seed(seed + int(trial.trial_id))
            kwargs["callbacks"] = [*kwargs.get("callbacks", []), ProgressLog(trial.trial_id)]
            return super().run_trial(trial, *args, **kwargs)

    common = dict(
        objective="val_accuracy",
        # KerasTuner takes a seed of 0 for "no seed" and then draws one from Python's
        # global random state; shifted by one, every configured seed fixes the oracle.
        seed=seed + 1,
        directory=str(directory),
        project_name="mnist_cnn",
        overwrite=False,  # resume from the finished trials
        max_consecutive_failed_trials=settings["max_consecutive_failed_trials"],
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


def split_validation(x, y, fraction: float, seed: int):
    """A fixed, seeded, stratified validation split of the training images."""
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=fraction, random_state=seed, stratify=y)


def trials_table(tuner, directory: Path) -> list[dict]:
    timings_file = directory / "timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    rows = []
    for trial_id, trial in sorted(tuner.oracle.trials.items()):
        values = trial.hyperparameters.values
        epochs = values.get("tuner/epochs")
        initial = values.get("tuner/initial_epoch", 0)
        row = {
            "trial": trial_id,
            "status": trial.status,
            "epochs_run": (epochs - initial) if epochs is not None else (trial.best_step or 0) + 1,
            "best_val_accuracy": trial.score,
            "seconds": timings.get(trial_id),
        }
        row.update(sampled_values(values))
        rows.append(row)
    return rows


TRIAL_COLUMNS = ["trial", "status", "epochs_run", "best_val_accuracy", "seconds"]


def trial_counts(rows: list[dict]) -> dict:
    """Completed and failed trials, and the epochs the completed ones ran."""
    done = [r for r in rows if r["status"] == "COMPLETED"]
    return {
        "trials_completed": len(done),
        "trials_failed": sum(r["status"] == "FAILED" for r in rows),
        "epochs_run": sum(r["epochs_run"] for r in done),
    }


def write_trials(path, rows: list[dict]) -> None:
    """trials.csv: the fixed columns, then every hyperparameter any trial had, sorted."""
    hp_names = sorted({k for r in rows for k in r} - set(TRIAL_COLUMNS))
    write_csv(path, rows, [*TRIAL_COLUMNS, *hp_names])


def run_search(data: dict, settings: dict, directory: Path, seed: int, corrected: bool = True):
    from hw4.methods.mnist_cnn import scale_images

    directory.mkdir(parents=True, exist_ok=True)
    x_fit, x_val, y_fit, y_val = split_validation(
        scale_images(data["x_train"]), data["y_train"], settings["validation_fraction"], seed
    )
    build, depth_used, depth_bound = make_builder(settings["space"], corrected=corrected)
    tuner = make_tuner(settings, build, directory, seed)
    start = time.perf_counter()
    tuner.search(
        x_fit, y_fit, validation_data=(x_val, y_val), batch_size=settings["batch_size"], verbose=0
    )
    search_seconds = time.perf_counter() - start
    rows = trials_table(tuner, directory)
    return tuner, rows, search_seconds, depth_used, depth_bound


def final_training(tuner, data: dict, settings: dict, seed: int):
    """Train the best configuration once more on the whole training split, test once."""
    from hw4.methods.mnist_cnn import scale_images
    from hw4.methods.training_log import EpochLog, history_rows

    best_trial = tuner.oracle.get_best_trials(1)[0]
    best_hp = best_trial.hyperparameters
    epochs = int(best_trial.best_step or 0) + 1
    keras.utils.set_random_seed(seed)
    model = tuner.hypermodel.build(best_hp)
    progress = EpochLog("final model", epochs)
    history = model.fit(
        scale_images(data["x_train"]),
        data["y_train"],
        epochs=epochs,
        batch_size=settings["batch_size"],
        verbose=0,
        callbacks=[progress],
    )
    test_loss, test_accuracy = model.evaluate(
        scale_images(data["x_test"]), data["y_test"], verbose=0
    )
    log.info("final model: %d epochs, test accuracy %.4f", epochs, test_accuracy)
    return (
        model,
        best_trial,
        epochs,
        history_rows(history.history, progress.seconds),
        float(test_loss),
        float(test_accuracy),
    )
