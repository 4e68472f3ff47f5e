"""A search space smaller than the search's schedule: the config check says so before any
job, and a search that still stops early states in best.json the trials that ran and why
it stopped, never the planned count as run."""

from __future__ import annotations

import logging
import math

import pytest
import yaml
from conftest import REPO
from searches import SETTINGS

from hw4.config_check import ConfigError, check_config
from hw4.methods.search_space import (
    configurations_drawn,
    distinct_configurations,
    grid_points,
)

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
TINY_SPACE_CASE = REPO / "tests" / "cases" / "tuning_space_tiny.yaml"
TINY = yaml.safe_load(TINY_SPACE_CASE.read_text())["tuning"]["space"]


def test_grid_points_count_what_keras_tuner_can_draw():
    assert grid_points(0.1, 0.5, 0.1) == 5  # 0.1 + 4 * 0.1 is 0.5000000000000001
    assert grid_points(32, 256, 32) == 8 and grid_points(32, 100, 32) == 3
    assert grid_points(2, 5) == 4 and grid_points(0.2, 0.2, 0.1) == 1
    assert grid_points(1e-4, 1e-2) == math.inf and grid_points(1e-3, 1e-3) == 1


def test_distinct_configurations_of_the_corrected_and_original_spaces():
    tiny = {**TINY, "padding": "valid"}
    assert distinct_configurations(tiny, 28) == 4  # two layers, two filter counts each
    # Depth 2 or 3 (3 is the bound on 28x28 with 'valid'), each layer its own filters.
    deeper = {**tiny, "conv_layers": [2, 5]}
    assert distinct_configurations(deeper, 28) == 2**2 + 2**3
    # The original space: one shared filters value, and every asked depth (2..5) counts.
    assert distinct_configurations(deeper, 28, corrected=False) == 4 * 2
    assert distinct_configurations({**tiny, "learning_rate": [1e-4, 1e-2]}, 28) == math.inf


def test_configurations_drawn_by_each_tuner():
    assert configurations_drawn({"tuner": "random", "max_trials": 7}) == 7
    hyperband = {"tuner": "hyperband", "max_epochs": 10, "factor": 3, "hyperband_iterations": 1}
    assert configurations_drawn(hyperband) == 22
    assert configurations_drawn({**hyperband, "max_epochs": 4, "factor": 2}) == 10


def test_the_tiny_space_case_is_refused_before_any_job():
    case = yaml.safe_load(TINY_SPACE_CASE.read_text())
    with pytest.raises(ConfigError) as refused:
        check_config(case, SCHEMA)
    assert str(refused.value) == (
        "tuning.space: 4 distinct configurations, fewer than the 10 new ones Hyperband's"
        " schedule draws (max_epochs 4, factor 2, hyperband_iterations 1): KerasTuner would"
        " stop when none is left, before the search ends (allowed: a wider space, such as a"
        " learning_rate range, or a smaller budget)"
    )
    random = {"tuning": {"tuner": "random", "max_trials": 5, "space": TINY}}
    with pytest.raises(ConfigError, match="fewer than tuning.max_trials 5: .*max_trials 4 at most"):
        check_config(random, SCHEMA)
    check_config({"tuning": {**random["tuning"], "max_trials": 4}}, SCHEMA)


kt = pytest.importorskip("keras_tuner")
from hw4.data.mnist import load_embedded, subset  # noqa: E402
from hw4.steps import tune_cnn  # noqa: E402


def test_how_the_search_ended():
    rows = [{"status": "COMPLETED"}, {"status": "FAILED"}, {"status": "COMPLETED"}]
    assert tune_cnn.how_the_search_ended(rows, 3) == {
        "trials_run": 3,
        "stopped_because": "schedule_complete",
    }
    assert tune_cnn.how_the_search_ended(rows[:2], 5) == {
        "trials_run": 2,
        "stopped_because": "no_new_configuration",
    }


def test_a_search_that_runs_out_of_configurations_says_so_in_best_json(tmp_path, caplog):
    # The config check refuses this budget; the step must still tell the truth when the
    # oracle stops early (KerasTuner also gives up on a nearly exhausted space).
    digits = subset(load_embedded(seed=0, test_fraction=0.2), train=200, test=50, seed=0)
    space = {**TINY, "filters": [8, 16, 8], "units": [8, 8, 8], "padding": "valid"}
    settings = {**SETTINGS, "tuner": "random", "max_trials": 6, "trial_epochs": 1, "space": space}
    provenance = {"source": "embedded", "files": {}, "counts": {}}
    with caplog.at_level(logging.WARNING, logger="hw4"):
        result = tune_cnn.run(
            digits, provenance, settings, 3, tmp_path / "search", "x", {"device": "CPU: test"}
        )
    best = result["best"]
    assert best["trials_planned"] == 6 and best["distinct_configurations"] == 4
    assert best["trials_run"] == len(result["trials"]) <= 4
    assert best["stopped_because"] == "no_new_configuration"
    said = [r.getMessage() for r in caplog.records if "stopped after" in r.getMessage()]
    assert said == [
        f"the search stopped after {best['trials_run']} of 6 planned trials: KerasTuner found"
        " no new configuration in tuning.space (it holds 4 distinct ones)"
    ]
