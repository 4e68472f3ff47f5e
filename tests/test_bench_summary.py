"""bench/tuning_spaces_summary.py: the paired comparison of the two search spaces."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import REPO

spec = importlib.util.spec_from_file_location(
    "tuning_spaces_summary", REPO / "bench" / "tuning_spaces_summary.py"
)
summary_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(summary_module)


def run(seed, corrected, original, failed=0):
    def space(accuracy, failed_trials, epochs):
        return {
            "test_accuracy": accuracy,
            "val_accuracy": accuracy + 0.01,
            "trials_failed": failed_trials,
            "epochs_run": epochs,
            "final_epochs": 9,
            "search_model_test_accuracy": accuracy - 0.005,
        }

    return {
        "seed": seed,
        "corrected": space(corrected, 0, 120),
        "original": space(original, failed, 60),
    }


def test_paired_difference_mean_and_standard_error():
    runs = [run(0, 0.965, 0.967), run(1, 0.977, 0.951), run(2, 0.970, 0.958)]
    s = summary_module.summarise(runs)
    assert s["difference_mean"] == pytest.approx((-0.002 + 0.026 + 0.012) / 3)
    # Sample standard deviation of (-0.002, 0.026, 0.012) is 0.014; over sqrt(3).
    assert s["difference_se"] == pytest.approx(0.014 / 3**0.5)
    assert (s["corrected_higher"], s["original_higher"]) == (2, 1)
    assert s["mean"]["original"]["epochs_run"] == 60
    table = summary_module.table(runs, s).splitlines()
    assert len(table) == 2 + 3 + 1 and table[3].startswith("| 1 | 0.9770 | 0.9510 | +0.0260 |")
    assert table[3].endswith("| 120, 60 | 9, 9 | 0.9720, 0.9460 |")


def test_results_without_a_seed_or_twice_the_same_seed_are_refused(tmp_path):
    first, second, unseeded = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    first.write_text(json.dumps(run(1, 0.97, 0.96)))
    second.write_text(json.dumps(run(1, 0.98, 0.95)))
    no_seed = run(2, 0.97, 0.96)
    del no_seed["seed"]
    unseeded.write_text(json.dumps(no_seed))
    with pytest.raises(SystemExit, match="the same seed appears twice"):
        summary_module.load([str(first), str(second)])
    with pytest.raises(SystemExit, match=f"{unseeded}: no 'seed' key"):
        summary_module.load([str(unseeded)])
    before_the_fix = run(3, 0.97, 0.96)
    del before_the_fix["original"]["search_model_test_accuracy"]
    unseeded.write_text(json.dumps(before_the_fix))
    with pytest.raises(SystemExit, match="no 'search_model_test_accuracy'"):
        summary_module.load([str(unseeded)])
