"""Running a KerasTuner search: a resumable tuner that says where it is, its trials as a
table, the hold-out it scores on, the final training of a configuration and one test."""

from __future__ import annotations

import fcntl
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

from hw4.errors import RunFailure
from hw4.io.files import write_json
from hw4.io.logs import FILE_ONLY
from hw4.methods.distributed_search import WORKERS_DIR
from hw4.methods.hyperband import planned_trials
from hw4.methods.search_files import FINGERPRINT_FILE, PROJECT, RUNS_FILE
from hw4.methods.search_space import ShapeFailure, sampled_values

log = logging.getLogger("hw4")


class TrialError(kt.errors.FatalError):
    """A trial failed for a reason other than an impossible shape: the search stops."""


class SavedStateError(RunFailure):
    """A search's saved state cut short (a hard kill or a full disk while KerasTuner wrote
    it) that cannot be resumed from; the message names the file and what to delete."""


def json_fault(path: Path) -> str | None:
    """Why ``path`` is not a whole JSON file (``"empty"``, ``"cut short after N bytes"``),
    or None when it reads."""
    size = path.stat().st_size
    if size == 0:
        return "empty"
    try:
        json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
        return f"cut short or damaged ({size} bytes, not whole JSON)"
    return None


def check_saved_state(directory: Path) -> list[str]:
    """Check every JSON file of a saved search before KerasTuner reads it; mend what can be
    mended from the state that is whole, and say so.

    KerasTuner writes its files in place, not atomically: a hard kill or a full disk while
    it writes leaves one empty or cut short, and its reload then fails on a bare
    ``JSONDecodeError`` that names no file. Returns one line per mended file:

    - a tuner's own file (``tuner0.json``, ``chief.json``, ...) holds nothing the oracle's
      state lacks: deleted (the oracle's file is reloaded alone, as for a distributed chief);
    - a trial's ``trial.json`` whose trial ``oracle.json`` never recorded (killed while the
      trial was being created): its folder is deleted, and the oracle draws anew;
    - ``trial_runs.json`` (this project's wall times and epochs per trial): deleted, so the
      earlier trials' times and epochs are lost and shown empty.

    Raises ``SavedStateError`` naming the file and the folder to delete for ``oracle.json``
    or a trial the oracle had recorded.
    """
    project = directory / PROJECT
    said = []
    afresh = f"delete {directory} to start the search afresh"
    oracle_file = project / "oracle.json"
    oracle_state = None
    if oracle_file.exists():
        if fault := json_fault(oracle_file):
            raise SavedStateError(
                f"search state cut short: {oracle_file} is {fault} (a run killed, or a full"
                f" disk, while KerasTuner wrote it); the search cannot resume: {afresh}"
            )
        oracle_state = json.loads(oracle_file.read_text())
    recorded = set(oracle_state.get("start_order", [])) if oracle_state else set()
    for trial_file in sorted(project.glob("trial_*/trial.json")):
        if not (fault := json_fault(trial_file)):
            continue
        trial_id = trial_file.parent.name.removeprefix("trial_")
        if oracle_state is not None and trial_id not in recorded:
            shutil.rmtree(trial_file.parent)
            said.append(
                f"search state: {trial_file} was {fault} and its trial had not started"
                " (oracle.json does not list it): deleted its folder, the search resumes"
                " from the trials that are whole"
            )
            continue
        raise SavedStateError(
            f"search state cut short: {trial_file} is {fault} (a run killed, or a full disk,"
            f" while KerasTuner wrote it), and oracle.json counts trial {trial_id}; the"
            f" search cannot resume: {afresh}"
        )
    for tuner_file in sorted(project.glob("*.json")):
        if tuner_file.name == "oracle.json" or not (fault := json_fault(tuner_file)):
            continue
        tuner_file.unlink()
        said.append(
            f"search state: {tuner_file} was {fault}: deleted it (a tuner's file holds"
            " nothing oracle.json lacks), the search resumes from oracle.json"
        )
    runs_file = directory / RUNS_FILE
    if runs_file.exists() and (fault := json_fault(runs_file)):
        runs_file.unlink()
        said.append(
            f"search state: {runs_file} was {fault}: deleted it, so the wall times and epochs"
            " of the trials run before are lost (empty in trials.csv); the search resumes"
        )
    return said


def make_tuner(settings: dict, build, directory: Path, seed: int, retries: int = 0, progress=None):
    """A KerasTuner tuner (``settings["tuner"]``: hyperband, random or bayesian) over ``build``.

    Its state lives in ``directory / PROJECT`` and is resumed when present. It logs
    "trial k of n", keeps each trial's wall time, epochs and the tuner that ran it in
    ``directory / RUNS_FILE``, counts a ``ShapeFailure`` as a failed trial and goes on,
    and stops the search with ``TrialError`` (the trial's error as its cause) on any other
    failure. ``retries``: how often a trial ended ``INVALID`` runs again (KerasTuner's
    ``max_retries_per_trial``; the distributed search ends a dead worker's trial so).
    In a worker of a distributed search (``KERASTUNER_TUNER_ID`` and the oracle's address
    set), KerasTuner makes the oracle a client of the chief's. ``progress``: a
    ``hw4.methods.time_left.SearchProgress`` that times each epoch, so that the progress
    lines carry the time left (None: no time left said, as in a worker).
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
            trials = getattr(self.oracle, "trials", None)
            if trials is None:  # a worker: the chief logs "trial k of n" as it hands trials out
                log.info(
                    "trial %s: %s", trial.trial_id, sampled_values(trial.hyperparameters.values)
                )
                return
            done = sum(t.status in ("COMPLETED", "FAILED") for t in trials.values())
            log.info("trial %d of %d (id %s)", done + 1, total, trial.trial_id)
            # The whole configuration (a few hundred characters) in the rule's log only.
            log.info(
                "trial %s: %s",
                trial.trial_id,
                sampled_values(trial.hyperparameters.values),
                extra=FILE_ONLY,
            )

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            record_run(
                runs_file,
                trial.trial_id,
                {
                    "seconds": time.perf_counter() - self._started,
                    "epochs": self._epochs_run,
                    "tuner": self.tuner_id,
                },
            )
            score = "" if trial.score is None else f", score {trial.score:.4f}"
            log.info("trial %s finished: %s%s", trial.trial_id, trial.status, score)
            if progress is not None and (
                estimate := progress.first_estimate(settings.get("search_images", 0))
            ):
                log.info("%s", estimate)

        def on_epoch_begin(self, trial, model, epoch, logs=None):
            super().on_epoch_begin(trial, model, epoch, logs)
            self._epoch_started = time.perf_counter()

        def on_epoch_end(self, trial, model, epoch, logs=None):
            # Called through KerasTuner's own callback (the callbacks given to search()
            # are deep-copied per trial, so a count kept there would be lost).
            super().on_epoch_end(trial, model, epoch, logs)
            self._epochs_run += 1
            logs = logs or {}
            status = ""
            if progress is not None:
                progress.search_epoch(time.perf_counter() - self._epoch_started)
                status = f"; {progress.status()}"
            log.info(
                "trial %s: epoch %d, accuracy=%.4f val_accuracy=%.4f%s",
                trial.trial_id,
                epoch + 1,
                logs.get("accuracy", float("nan")),
                logs.get("val_accuracy", float("nan")),
                status,
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
        max_retries_per_trial=retries,
    )
    if kind == "hyperband":
        tuner = LoggedTuner(
            build,
            max_epochs=settings["max_epochs"],
            factor=settings["factor"],
            hyperband_iterations=settings["hyperband_iterations"],
            **common,
        )
    else:
        tuner = LoggedTuner(build, max_trials=settings["max_trials"], **common)
    oracle_file = directory / PROJECT / "oracle.json"
    if isinstance(tuner.oracle, kt.Oracle) and not tuner.oracle.trials and oracle_file.exists():
        # KerasTuner reloads a saved search only when it finds the file of its own tuner
        # id (tuner0.json). A search saved by a distributed chief, or by workers none of
        # which was tuner0 yet, has the oracle's state alone: reload that, as KerasTuner's
        # own reload would (running trials go back to the queue).
        tuner.oracle.reload()
    return tuner


def record_run(runs_file: Path, trial_id: str, run: dict) -> None:
    """Keep one trial's run in ``runs_file`` (a JSON object keyed by trial id). The
    workers of a distributed search share the file: a lock beside it keeps their
    read-modify-write from losing each other's entries."""
    with open(runs_file.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        runs = json.loads(runs_file.read_text()) if runs_file.exists() else {}
        runs[trial_id] = run
        write_json(runs_file, runs)


def search_setup(data: dict, settings: dict, seed: int) -> dict:
    """What every process of a search builds alike from the training split: the scaled
    ``fit`` and ``validation`` pairs (a seeded, stratified hold-out of
    ``validation_fraction``), the model ``build`` function over ``settings["space"]``, the
    ``image_shape``, the ``deepest`` depth searched and the ``depth_bound``.

    With ``settings["search_images"]`` N > 0 the search sees a seeded, stratified subset
    of N training images only, the hold-out taken from it (``search_subset``); 0 (the
    homework's search) keeps them all. ``search_images`` in the result: the images the
    search saw (fit and validation together).

    ``data``: uint8 images ``x_train`` (n, height, width) and labels ``y_train``.
    """
    from hw4.methods.mnist_cnn import scale_images
    from hw4.methods.search_space import make_builder

    image_shape = (*data["x_train"].shape[1:3], 1)
    x_search, y_search = search_subset(
        data["x_train"], data["y_train"], settings.get("search_images", 0), seed
    )
    x_fit, x_val, y_fit, y_val = seeded_stratified_holdout(
        scale_images(x_search), y_search, settings["validation_fraction"], seed
    )
    build, deepest, depth_bound = make_builder(
        settings["space"], image_shape, corrected=settings["search_space"] == "corrected"
    )
    return {
        "fit": (x_fit, y_fit),
        "validation": (x_val, y_val),
        "build": build,
        "image_shape": image_shape,
        "deepest": deepest,
        "depth_bound": depth_bound,
        "search_images": int(len(y_search)),
    }


def search_subset(x: np.ndarray, y: np.ndarray, images: int, seed: int):
    """The training images a search on a subset sees: a seeded sample of ``images`` of
    them, stratified by class (every digit keeps its share), as ``(x, y)``.

    The common practice when a search is too slow: search on a subset, retrain the best
    configuration on every training image. ``images`` 0, or at least ``len(y)``, keeps
    them all, in their order. ``x``: images (n, ...); ``y``: labels (n,).
    """
    if not images or images >= len(y):
        return x, y
    from sklearn.model_selection import train_test_split

    x_kept, _, y_kept, _ = train_test_split(
        x, y, train_size=images, random_state=seed, stratify=y, shuffle=True
    )
    return x_kept, y_kept


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
    """The fingerprint kept beside a search's state, or None when there is none.

    Raises ``SavedStateError`` naming the file when it is not whole JSON (written
    atomically, it is cut short only by something outside this project)."""
    path = directory / FINGERPRINT_FILE
    if not path.exists():
        return None
    if fault := json_fault(path):
        raise SavedStateError(
            f"search state cut short: {path} is {fault}, so this search cannot be told from"
            " another; delete that file to start the search afresh"
        )
    return json.loads(path.read_text())


def has_state(directory: Path) -> bool:
    return (directory / PROJECT).exists()


def clear_state(directory: Path) -> None:
    """Delete a search's state (trials, oracle, timings, fingerprint)."""
    shutil.rmtree(directory / PROJECT, ignore_errors=True)
    shutil.rmtree(directory / WORKERS_DIR, ignore_errors=True)
    for name in (RUNS_FILE, FINGERPRINT_FILE, Path(RUNS_FILE).with_suffix(".lock").name):
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
    """One row per trial, in id order: status, epochs run in this trial, the tuner that
    ran it (``tuner0`` alone; ``tunerN`` for the workers of a distributed search), ``best_step``
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
            "tuner": run.get("tuner", ""),
            "best_step": trial.best_step if completed else None,
            "continued_from": values.get("tuner/trial_id", ""),
            "best_val_accuracy": trial.score,
            "seconds": run.get("seconds"),
        }
        row.update(sampled_values(values))
        rows.append(row)
    return rows


def epochs_already_run(tuner, directory: Path) -> int:
    """The epochs of the trials a resumed search finished before this process (from
    ``RUNS_FILE``): done work that a time left must not count again."""
    runs_file = directory / RUNS_FILE
    if not runs_file.exists():
        return 0
    runs = json.loads(runs_file.read_text())
    finished = {
        trial_id
        for trial_id, trial in tuner.oracle.trials.items()
        if trial.status in ("COMPLETED", "FAILED")
    }
    return sum(run.get("epochs", 0) for trial_id, run in runs.items() if trial_id in finished)


def best_trial(tuner):
    return tuner.oracle.get_best_trials(1)[0]


def search_model(tuner):
    """The best trial's model as KerasTuner kept it: its weights at its best epoch,
    trained on the search's fit split only."""
    return tuner.get_best_models(1)[0]


def final_training(
    tuner, hyperparameters, x, y, epochs: int, batch_size: int, seed: int, progress=None
):
    """Build a configuration afresh (seeded) and train it on ``x``, ``y`` for ``epochs``.
    ``progress``: the search's ``SearchProgress``, told of each epoch (None: not told).

    Returns ``(model, history rows)`` (one row per epoch, with its seconds)."""
    from hw4.methods.training_log import EpochLog, history_rows

    keras.utils.set_random_seed(seed)
    model = tuner.hypermodel.build(hyperparameters)
    if progress is not None:
        progress.plan = {**progress.plan, "final_epochs": epochs}
    epoch_log = EpochLog("final model", epochs, search=progress)
    history = model.fit(
        x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[epoch_log]
    )
    return model, history_rows(history.history, epoch_log.seconds)


def evaluate(model, x, y) -> tuple[float, float]:
    """(loss, accuracy) on ``x``, ``y``."""
    loss, accuracy = model.evaluate(x, y, verbose=0)
    return float(loss), float(accuracy)
