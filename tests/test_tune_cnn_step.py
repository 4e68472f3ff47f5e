"""The tune_cnn step on a few hundred real digits: the retraining budget of a continued
Hyperband trial, a search resuming only its own state, the accuracy target, and a killed
search resumed by Snakemake."""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO, run_snakemake, snakemake_exe
from searches import SETTINGS, SPACE, completed_trials

from hw4.data.mnist import KERAS_MNIST_SHA256 as MNIST_SHA
from hw4.steps.tune_cnn import TARGET_BUDGET, epochs_chain, full_mnist_target


def _full_mnist(**changes):
    provenance = {
        "source": "download",
        "files": {"mnist.npz": MNIST_SHA},
        "counts": {"train": {"total": 60000}, "test": {"total": 10000}},
    }
    provenance.update(changes)
    return provenance


@pytest.mark.parametrize(
    ("provenance", "settings_change", "reason"),
    [
        (_full_mnist(), {}, ""),
        (_full_mnist(source="path"), {}, ""),
        (_full_mnist(source="embedded", files={"mnist_5k.csv.gz": "ab"}), {}, "data"),
        (_full_mnist(files={"mnist.npz": "0" * 64}), {}, "data"),
        (_full_mnist(counts={"train": {"total": 3000}}), {}, "subset"),
        (_full_mnist(), {"max_epochs": 4}, "budget"),
        (_full_mnist(), {"search_space": "original"}, "budget"),
    ],
)
def test_accuracy_target_applies_only_to_full_mnist_at_the_default_budget(
    provenance, settings_change, reason
):
    settings = {**TARGET_BUDGET, "target_test_accuracy": 0.993, **settings_change}
    result = full_mnist_target(settings, provenance, MNIST_SHA, 0.9931)
    assert result["reason"] == reason
    assert result["applies"] == (reason == "")
    assert result["met"] is (True if reason == "" else None)
    assert result["budget"] == TARGET_BUDGET and result["train_images"] == 60000
    if reason == "budget":
        assert next(iter(settings_change)) in result["detail"]
    assert full_mnist_target(settings, provenance, MNIST_SHA, 0.99)["met"] is (
        False if reason == "" else None
    )


def test_the_epochs_chain_follows_the_weights_through_the_rounds():
    # The default run's best trial: 0024 continued 0020's best weights from epoch 4
    # (tuner/initial_epoch 4, tuner/epochs 10) and peaked at the 5th epoch of its round;
    # 0020 continued 0012 (2 epochs), peaked at its 2nd. 9 epochs in all, not 5.
    rows = [
        {"trial": "0012", "best_step": 1, "continued_from": ""},
        {"trial": "0020", "best_step": 1, "continued_from": "0012"},
        {"trial": "0024", "best_step": 4, "continued_from": "0020"},
    ]
    chain = epochs_chain("0024", rows)
    assert chain == [
        {"trial": "0012", "epochs": 2},
        {"trial": "0020", "epochs": 2},
        {"trial": "0024", "epochs": 5},
    ]
    assert sum(link["epochs"] for link in chain) == 4 + 4 + 1  # initial_epoch + best_step + 1
    # A parent that peaked before its last epoch handed on its best weights, not its last.
    rows[1]["best_step"] = 0
    assert sum(link["epochs"] for link in epochs_chain("0024", rows)) == 8


kt = pytest.importorskip("keras_tuner")
from hw4.data.mnist import load_embedded, subset  # noqa: E402
from hw4.steps import tune_cnn  # noqa: E402

EMBEDDED = {"source": "embedded", "files": {"mnist_5k.csv.gz": "ab"}, "counts": {}}


@pytest.fixture(scope="module")
def digits():
    return subset(load_embedded(seed=0, test_fraction=0.2), train=300, test=100, seed=0)


@pytest.fixture(scope="module")
def hyperband_run(digits, tmp_path_factory):
    search_dir = tmp_path_factory.mktemp("hyperband") / "search"
    result = tune_cnn.run(
        digits, EMBEDDED, SETTINGS, 3, search_dir, MNIST_SHA, {"device": "CPU: test"}
    )
    return result, search_dir


def test_a_continued_hyperband_trial_retrains_for_its_epochs_in_all(hyperband_run):
    result, _ = hyperband_run
    rows, best = result["trials"], result["best"]
    by_id = {row["trial"]: row for row in rows}
    for row in rows:  # each trial ran the epochs of its own round
        assert row["epochs_run"] == row["tuner/epochs"] - row["tuner/initial_epoch"]
        assert row["continued_from"] == row.get("tuner/trial_id", "")
    continued = [r for r in rows if r["continued_from"] and r["status"] == "COMPLETED"]
    assert continued, "the search continued no trial"
    for row in continued:
        parent = by_id[row["continued_from"]]
        assert row["epochs_to_best"] == parent["epochs_to_best"] + row["best_step"] + 1
        assert row["epochs_to_best"] > row["best_step"] + 1  # more than KerasTuner's count
        if parent["best_step"] + 1 == parent["epochs_run"]:  # the parent peaked at its end
            initial_epoch = row["tuner/initial_epoch"]
            assert row["epochs_to_best"] == initial_epoch + row["best_step"] + 1
    best_row = by_id[best["best_trial"]]
    assert best["final_epochs"] == best_row["epochs_to_best"] == len(result["history"])
    assert best["final_epochs"] == sum(link["epochs"] for link in best["epochs_chain"])
    assert best["epochs_chain"][-1]["trial"] == best["best_trial"]
    assert best["best_step"] == best_row["best_step"]


def test_best_json_shows_both_models_and_the_counts(hyperband_run, digits):
    result, _ = hyperband_run
    best, rows = result["best"], result["trials"]
    assert 0 <= best["test_accuracy"] <= 1 and 0 <= best["search_model_test_accuracy"] <= 1
    assert best["trials_completed"] == len(rows) == best["trials_planned"]
    assert best["trials_failed"] == 0 and best["search_state"] == "new"
    assert best["epochs_run"] == sum(r["epochs_run"] for r in rows)
    assert best["epochs_run"] == best["schedule_totals"]["epochs"]  # Hyperband's own plan
    assert best["fit_images"] + best["validation_images"] == best["train_images"] == 300
    assert best["test_images"] == 100 and best["image_size"] == [28, 28]
    assert best["block_sizes"] == [13, 5, 1, -1, -1] and best["depth_bound"] == 3
    assert best["target"]["reason"] == "data" and best["trial_epochs"] is None
    assert result["trial_columns"][:3] == ["trial", "status", "epochs_run"]
    assert len(result["history"]) == best["final_epochs"]


@pytest.mark.parametrize(
    ("change", "seed", "data", "same"),
    [
        ({}, 3, "a", True),
        ({"target_test_accuracy": 0.5}, 3, "a", True),  # reported, not searched
        ({"max_trials": 9}, 3, "a", True),  # a random-search key, unused by Hyperband
        ({}, 4, "a", False),
        ({}, 3, "b", False),
        ({"max_epochs": 5}, 3, "a", False),
        ({"validation_fraction": 0.3}, 3, "a", False),
        ({"batch_size": 64}, 3, "a", False),
        ({"search_space": "original"}, 3, "a", False),
        ({"tuner": "random"}, 3, "a", False),
        ({"space": {**SPACE, "padding": "same"}}, 3, "a", False),
    ],
)
def test_the_fingerprint_holds_what_defines_a_search(change, seed, data, same):
    reference = tune_cnn.search_definition(SETTINGS, 3, "a")
    assert (tune_cnn.search_definition({**SETTINGS, **change}, seed, data) == reference) is same
    assert set(reference["versions"]) == {"keras_tuner", "keras"}


def trial_times(search_dir: Path) -> dict[str, float]:
    return {
        path.parent.name: path.stat().st_mtime
        for path in search_dir.glob("mnist_cnn/trial_*/trial.json")
    }


def test_a_changed_space_starts_afresh_and_the_same_search_resumes(digits, tmp_path, caplog):
    settings = {**SETTINGS, "tuner": "random", "max_trials": 2, "trial_epochs": 2}
    search_dir = tmp_path / "search"
    first = tune_cnn.search_and_retrain(digits, settings, 5, search_dir)
    assert first["state"] == "new"
    assert [r["epochs_run"] for r in first["trials"]] == [2, 2]
    before = trial_times(search_dir)

    with caplog.at_level(logging.INFO, logger="hw4"):
        again = tune_cnn.search_and_retrain(digits, settings, 5, search_dir)
    assert again["state"] == "resumed" and trial_times(search_dir) == before
    assert [r["best_val_accuracy"] for r in again["trials"]] == [
        r["best_val_accuracy"] for r in first["trials"]
    ]

    caplog.clear()
    changed = {**settings, "space": {**SPACE, "filters": [24, 32, 8]}}
    with caplog.at_level(logging.INFO, logger="hw4"):
        fresh = tune_cnn.search_and_retrain(digits, changed, 5, search_dir)
    assert fresh["state"] == "fresh"
    said = [r.getMessage() for r in caplog.records if "starting a fresh search" in r.getMessage()]
    assert len(said) == 1 and "differs in: space" in said[0]
    assert len(fresh["trials"]) == 2
    assert all(24 <= r["filters_0"] <= 32 for r in fresh["trials"])
    assert all(trial_times(search_dir)[t] > before[t] for t in before)

    with caplog.at_level(logging.INFO, logger="hw4"):
        reseeded = tune_cnn.search_and_retrain(digits, changed, 6, search_dir)
    assert reseeded["state"] == "fresh"


@pytest.mark.slow
def test_killed_search_resumes_from_finished_trials(tmp_path):
    config = REPO / "tests" / "configs" / "resume.yaml"
    cmd = [
        snakemake_exe(),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(tmp_path),
        "--cores",
        "2",
        "--resources",
        "gpu=1",
        "--configfile",
        str(config),
        "--",
        "results/tuning/best.json",
    ]
    job = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    search = tmp_path / "results" / "tuning" / "search"
    deadline = time.time() + 600
    while len(completed_trials(search)) < 2 and time.time() < deadline and job.poll() is None:
        time.sleep(0.5)
    before = completed_trials(search)
    with contextlib.suppress(ProcessLookupError):  # a job that already failed is reported below
        os.killpg(job.pid, signal.SIGKILL)  # the whole job, mid-search
    job.wait()
    assert job.returncode == -signal.SIGKILL, "the job ended before it was killed"
    assert len(before) >= 2, "the search never finished two trials"
    assert not (tmp_path / "results/tuning/best.json").exists()

    run_snakemake(tmp_path, "--unlock", configfile=config)
    again = run_snakemake(
        tmp_path,
        "--cores",
        "2",
        "--resources",
        "gpu=1",
        "--",
        "results/tuning/best.json",
        configfile=config,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    after = completed_trials(search)
    for trial, mtime in before.items():
        assert after[trial] == mtime, f"{trial} was run again"
    with open(tmp_path / "results/tuning/trials.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5  # the planned trials, not 5 plus the ones before the kill
    log = (tmp_path / "logs/tuning/tune_cnn.log").read_text()
    first = next(line for line in log.splitlines() if " of 5 (id " in line)
    assert f"trial {len(before) + 1} of 5" in first or f"trial {len(before) + 2} of 5" in first
