"""The tuning search space, the Hyperband schedule, a tiny search, and resuming after a kill."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO, run_snakemake, snakemake_exe

from hw4.data.mnist import KERAS_MNIST_SHA256 as MNIST_SHA
from hw4.methods.search_space import (
    TARGET_BUDGET,
    block_sizes,
    full_mnist_target,
    hyperband_schedule,
    max_conv_depth,
    planned_trials,
    sampled_values,
    schedule_totals,
)


def test_sampled_values_are_the_grid_values():
    sampled = {"dropout_conv_0": 0.1 + 0.1 + 0.1, "filters_0": 64, "tuner/epochs": 4}
    assert sampled["dropout_conv_0"] != 0.3
    assert sampled_values(sampled) == {"dropout_conv_0": 0.3, "filters_0": 64, "tuner/epochs": 4}
    assert sampled_values(sampled, keep_tuner_keys=False) == {
        "dropout_conv_0": 0.3,
        "filters_0": 64,
    }
    assert sampled_values({"learning_rate": 0.0004542805978770659}) == {
        "learning_rate": 0.000454280597877
    }


kt = pytest.importorskip("keras_tuner")
from hw4.methods.search_space import make_builder  # noqa: E402

SPACE = {
    "conv_layers": [2, 5],
    "filters": [32, 256, 32],
    "dense_layers": [2, 5],
    "units": [32, 256, 32],
    "dropout": [0.1, 0.5, 0.1],
    "learning_rate": [1e-4, 1e-2],
    "padding": "valid",
}


def test_depth_bound_from_the_shape_arithmetic():
    assert block_sizes(28, 5, "valid") == [13, 5, 1, -1, -1]
    assert max_conv_depth(28, 3, 2, "valid") == 3
    assert max_conv_depth(28, 3, 2, "same") == 4


def test_hyperband_schedule_matches_the_homework_and_keras_tuner():
    rows = hyperband_schedule(10, 3)
    assert schedule_totals(rows) == {"trials": 30, "new_configurations": 22, "epochs": 120}
    oracle = kt.oracles.HyperbandOracle(objective="val_accuracy", max_epochs=10, factor=3)
    for r in rows:
        assert oracle._get_size(r["bracket"], r["round"]) == r["trials"]
        assert oracle._get_epochs(r["bracket"], r["round"]) == r["epochs"]
    assert planned_trials({"tuner": "random", "max_trials": 7}) == 7


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
    if reason == "budget":
        assert next(iter(settings_change)) in result["detail"]
    assert full_mnist_target(settings, provenance, MNIST_SHA, 0.99)["met"] is (
        False if reason == "" else None
    )


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("dense", [2, 5])
def test_every_allowed_depth_builds_with_per_layer_names(depth, dense):
    build, used, bound = make_builder(SPACE)
    assert used == bound == 3
    hp = kt.HyperParameters()
    hp.Fixed("conv_layers", depth)
    hp.Fixed("dense_layers", dense)
    model = build(hp)
    names = [layer.name for layer in model.layers]
    assert sum(n.startswith("conv_") for n in names) == depth
    assert sum(n.startswith("dense_") for n in names) == dense
    active = set(hp.values)
    assert {f"filters_{i}" for i in range(depth)} <= active
    assert f"filters_{depth}" not in active  # inactive layers are not sampled
    assert {f"units_{i}" for i in range(dense)} <= active


def test_parameter_count_of_a_fixed_configuration():
    build, _, _ = make_builder(SPACE)
    hp = kt.HyperParameters()
    for name, value in {
        "conv_layers": 2,
        "filters_0": 32,
        "filters_1": 64,
        "dense_layers": 2,
        "units_0": 32,
        "units_1": 32,
    }.items():
        hp.Fixed(name, value)
    model = build(hp)
    # conv 1->32: 320; conv 32->64: 18,496; 5x5x64=1,600 -> 32: 51,232; 32->32: 1,056; 32->10: 330
    assert model.count_params() == 320 + 18_496 + 51_232 + 1_056 + 330


def test_the_original_space_shares_one_value():
    build, used, _ = make_builder(SPACE, corrected=False)
    hp = kt.HyperParameters()
    hp.Fixed("conv_layers", 2)
    build(hp)
    assert "filters" in hp.values and "filters_0" not in hp.values and used == 5


def test_seed_zero_fixes_the_oracle(tmp_path):
    import random

    from hw4.methods.keras_search import make_tuner

    settings = {
        "tuner": "hyperband",
        "max_epochs": 2,
        "factor": 2,
        "hyperband_iterations": 1,
        "max_consecutive_failed_trials": 3,
    }
    build, _, _ = make_builder(SPACE)
    seeds = []
    for state in (1, 2):
        random.seed(state)  # KerasTuner draws from here when it gets no seed
        tuner = make_tuner(settings, build, tmp_path / str(state), seed=0)
        seeds.append(tuner.oracle.seed)
    assert seeds[0] == seeds[1]


def test_a_trial_scores_the_same_whatever_ran_before_it(tmp_path):
    import keras
    import numpy as np

    from hw4.data.mnist import load_embedded, subset
    from hw4.methods.keras_search import run_search

    data = subset(load_embedded(seed=0, test_fraction=0.2), train=400, test=10, seed=0)
    settings = {
        "tuner": "random",
        "max_trials": 2,
        "max_consecutive_failed_trials": 3,
        "validation_fraction": 0.25,
        "batch_size": 32,
        "space": {**SPACE, "filters": [8, 16, 8], "units": [8, 16, 8]},
    }
    scores = []
    for run, history in enumerate((0, 3)):
        keras.utils.set_random_seed(100 + history)  # a different state before the search
        np.random.rand(history)
        _, rows, _, _, _ = run_search(data, settings, tmp_path / f"run{run}", seed=7)
        scores.append([(r["trial"], r["best_val_accuracy"]) for r in rows])
    assert len(scores[0]) == 2 and scores[0] == scores[1]
    assert scores[0][0][1] != scores[0][1][1]  # real digits: the scores say something


def completed_trials(search: Path) -> dict[str, float]:
    done = {}
    for path in search.glob("mnist_cnn/trial_*/trial.json"):
        if json.loads(path.read_text()).get("status") == "COMPLETED":
            done[path.parent.name] = path.stat().st_mtime
    return done


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
    os.killpg(job.pid, signal.SIGKILL)  # the whole job, mid-search
    job.wait()
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
