"""The homework as a student would run it, beside the workflow's default run, in one sitting.

    .venv/bin/python bench/homework_vs_workflow.py                 # full size: about 30 minutes on 2 cores
    .venv/bin/python bench/homework_vs_workflow.py --configfile tests/configs/tiny.yaml \\
        --max-epochs 2 --factor 2 --q7-epochs 1 --workdir /tmp/side-by-side       # a try-out

1. The workflow from clean (``--configfile``, config.yaml by default) in ``--workdir``/workflow;
   per rule: wall time (its benchmark file), epochs trained and images per second (its artifacts).
2. On the same MNIST arrays (the workflow's ``results/data/mnist.npz``), a plain-Keras rendition
   of the hand-in: its search space (one shared name per hyperparameter, depth 2 to 5 with
   'valid' 3x3 convolutions, so deep trials fail on 28x28 digits), ``Hyperband(max_epochs=10)``
   with factor 3, ``validation_split=0.2``; then its Q7 network, 15 epochs at batch 64.
3. A table of both, and the ratios the workflow is held to: each training rule's images per
   second against the plain fit of the same kind (target at least 0.95), and the share of the
   workflow's time spent beyond the homework's own training (target at most 25%).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The rules that do the homework's own training: the search and the Q7 fit.
HOMEWORK_RULES = {"tune_cnn": "search", "train_cnn": "q7_fit"}


def epoch_counter():
    """A Keras callback that counts the epochs of every fit it is passed to (``.epochs``)."""
    import keras

    class EpochCounter(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            type(self).epochs += 1

    return EpochCounter()


def homework_search(x, y, max_epochs: int, factor: int, seed: int, directory: Path) -> dict:
    """The hand-in's KerasTuner search, written as the hand-in wrote it (shared names).

    ``x``: uint8 images (n, 28, 28); ``y``: labels (n,). Returns seconds, epochs trained,
    images trained (epochs times the 80% fit part), trials run and failed, best val_accuracy.
    """
    import keras
    import keras_tuner as kt

    x = x[..., None].astype("float32") / 255.0

    def build_model(hp):
        model = keras.Sequential([keras.Input((28, 28, 1))])
        for _ in range(hp.Int("conv_layers", 2, 5)):
            model.add(
                keras.layers.Conv2D(hp.Int("filters", 32, 256, step=32), 3, activation="relu")
            )
            model.add(keras.layers.MaxPooling2D(2))
            model.add(keras.layers.Dropout(hp.Float("dropout", 0.1, 0.5, step=0.1)))
        model.add(keras.layers.Flatten())
        for _ in range(hp.Int("dense_layers", 2, 5)):
            model.add(keras.layers.Dense(hp.Int("neurons", 32, 256, step=32), activation="relu"))
            model.add(keras.layers.Dropout(hp.Float("dropout", 0.1, 0.5, step=0.1)))
        model.add(keras.layers.Dense(10, activation="softmax"))
        model.compile(
            optimizer=keras.optimizers.Adam(hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    keras.utils.set_random_seed(seed)
    tuner = kt.Hyperband(
        build_model,
        objective="val_accuracy",
        max_epochs=max_epochs,
        factor=factor,
        seed=seed,
        directory=str(directory),
        project_name="homework",
        overwrite=True,
        # The hand-in's run went on past its impossible depths; KerasTuner's default stops
        # after 3 failures in a row.
        max_consecutive_failed_trials=1000,
    )
    counter = epoch_counter()
    start = time.perf_counter()
    tuner.search(x, y, validation_split=0.2, callbacks=[counter], verbose=0)
    seconds = time.perf_counter() - start
    trials = tuner.oracle.trials.values()
    fit_images = len(y) - int(round(0.2 * len(y)))
    return {
        "seconds": seconds,
        "epochs": counter.epochs,
        "images": counter.epochs * fit_images,
        "trials": len(trials),
        "failed": sum(trial.status == "FAILED" for trial in trials),
    }


def homework_q7(x, y, epochs: int, batch_size: int, seed: int) -> dict:
    """The hand-in's Q7 network and fit: shuffled with ``seed``, one-hot, 10% validation."""
    import keras
    import numpy as np

    order = np.random.default_rng(seed).permutation(len(y))
    x = x[order][..., None].astype("float32") / 255.0
    y = keras.utils.to_categorical(y[order], 10)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_split=0.1, verbose=0)
    seconds = time.perf_counter() - start
    trained = len(history.history["loss"])
    return {
        "seconds": seconds,
        "epochs": trained,
        "images": trained * (len(y) - int(len(y) * 0.1)),
    }


def run_workflow(workdir: Path, configfile: str, cores: str) -> float:
    """The workflow from clean in ``workdir``; its wall time in seconds."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    snakemake = Path(sys.executable).parent / "snakemake"
    command = [str(snakemake), "-s", str(REPO / "Snakefile"), "-d", str(workdir)]
    command += ["--configfile", configfile, "--cores", cores, "--resources", "gpu=1"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the workflow failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def workflow_parts(workdir: Path) -> list[dict]:
    """Per rule of a finished run in ``workdir``: seconds (benchmark file), and where the
    rule's artifacts say so, epochs and images trained (tune_cnn and train_cnn)."""
    parts = []
    for tsv in sorted((workdir / "benchmarks").rglob("*.tsv")):
        with open(tsv) as handle:
            last = list(csv.DictReader(handle, delimiter="\t"))[-1]
        parts.append(
            {"part": tsv.stem, "seconds": float(last["s"]), "epochs": None, "images": None}
        )
    by_name = {part["part"]: part for part in parts}
    best = workdir / "results/tuning/best.json"
    trials = workdir / "results/tuning/trials.csv"
    if best.exists() and trials.exists() and "tune_cnn" in by_name:
        search = json.loads(best.read_text())
        with open(trials) as handle:
            epochs = sum(int(row["epochs_run"] or 0) for row in csv.DictReader(handle))
        # The search trains on its fit part; the best model is then retrained on all images.
        by_name["tune_cnn"]["epochs"] = epochs + search["final_epochs"]
        by_name["tune_cnn"]["images"] = (
            epochs * search["fit_images"] + search["final_epochs"] * search["train_images"]
        )
    metrics = workdir / "results/cnn/metrics.json"
    if metrics.exists() and "train_cnn" in by_name:
        cnn = json.loads(metrics.read_text())
        by_name["train_cnn"]["epochs"] = cnn["epochs"]
        by_name["train_cnn"]["images"] = cnn["epochs"] * cnn["train_images"]
    return parts


def images_per_second(part: dict) -> float | None:
    return part["images"] / part["seconds"] if part.get("images") and part["seconds"] else None


def comparison(homework: dict[str, dict], workflow: list[dict], workflow_total: float) -> dict:
    """The ratios the workflow is held to, from both runs' parts.

    ``homework``: ``{"search": ..., "q7_fit": ...}`` as returned by ``homework_search`` and
    ``homework_q7``; ``workflow``: ``workflow_parts``; ``workflow_total``: the run's wall time.
    Images per second of a rule against the plain run of the same part (the rule's includes
    its start-up, data reading and artifacts), and the share of the workflow's time beyond
    the homework's own training.
    """
    by_name = {part["part"]: part for part in workflow}
    ratios = {}
    for rule, part in HOMEWORK_RULES.items():
        ours, theirs = by_name.get(rule), homework[part]
        if ours is None:
            continue
        rate, plain = images_per_second(ours), images_per_second(theirs)
        ratios[rule] = {
            "seconds_ratio": ours["seconds"] / theirs["seconds"],
            "images_per_second_ratio": rate / plain if rate and plain else None,
        }
    training = sum(by_name[rule]["seconds"] for rule in HOMEWORK_RULES if rule in by_name)
    homework_total = sum(part["seconds"] for part in homework.values())
    return {
        "rules": ratios,
        "beyond_homework_share": (workflow_total - training) / workflow_total,
        "total_ratio": workflow_total / homework_total,
    }


def table(homework: dict[str, dict], workflow: list[dict], workflow_total: float) -> str:
    """The printed table: every part of both runs, then the ratios and their targets."""

    def number(value, digits=1):
        return "-" if value is None else f"{value:,.{digits}f}"

    lines = [f"{'part':<28} {'wall s':>9} {'epochs':>7} {'images/s':>10}"]
    for name, part in homework.items():
        lines.append(
            f"{'homework ' + name:<28} {number(part['seconds']):>9} {part['epochs']:>7} "
            f"{number(images_per_second(part), 0):>10}"
        )
    lines.append(
        f"{'homework total':<28} {number(sum(p['seconds'] for p in homework.values())):>9}"
    )
    for part in sorted(workflow, key=lambda part: -part["seconds"]):
        epochs = "-" if part["epochs"] is None else part["epochs"]
        lines.append(
            f"{'workflow ' + part['part']:<28} {number(part['seconds']):>9} {epochs:>7} "
            f"{number(images_per_second(part), 0):>10}"
        )
    lines.append(f"{'workflow total (snakemake)':<28} {number(workflow_total):>9}")
    ratios = comparison(homework, workflow, workflow_total)
    lines.append("")
    for rule, ratio in ratios["rules"].items():
        lines.append(
            f"{rule} against the homework's {HOMEWORK_RULES[rule]}: "
            f"time x{number(ratio['seconds_ratio'], 2)}, images/s x"
            f"{number(ratio['images_per_second_ratio'], 2)} (target: at least 0.95)"
        )
    lines.append(
        f"workflow beyond the homework's own training: "
        f"{100 * ratios['beyond_homework_share']:.0f}% of its time (target: at most 25%)"
    )
    lines.append(f"workflow total / homework total: x{number(ratios['total_ratio'], 2)}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configfile", default=str(REPO / "config.yaml"))
    parser.add_argument("--workdir", default=str(REPO / "bench" / "out" / "homework_vs_workflow"))
    parser.add_argument("--cores", default="all")
    parser.add_argument("--max-epochs", type=int, default=10, help="the hand-in's Hyperband")
    parser.add_argument("--factor", type=int, default=3)
    parser.add_argument("--q7-epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    workdir = Path(args.workdir)
    print("workflow from clean ...", flush=True)
    workflow_total = run_workflow(workdir / "workflow", args.configfile, args.cores)
    import numpy as np

    with np.load(workdir / "workflow/results/data/mnist.npz") as data:
        x, y = data["x_train"], data["y_train"]
    print(f"homework search on the same {len(y):,} training digits ...", flush=True)
    homework = {
        "search": homework_search(x, y, args.max_epochs, args.factor, args.seed, workdir / "kt")
    }
    print("homework Q7 fit ...", flush=True)
    homework["q7_fit"] = homework_q7(x, y, args.q7_epochs, 64, args.seed)
    print(table(homework, workflow_parts(workdir / "workflow"), workflow_total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
