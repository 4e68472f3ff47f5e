"""The time a run has left, as arithmetic on a recorded schedule: the default Hyperband
budget on the full MNIST, a resumed search, the retraining, the plan printed at the start,
and the one line that names tuning.search_images when the estimate exceeds an hour."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import REPO

from hw4.methods.time_left import (
    LONG_RUN_SECONDS,
    Pace,
    SearchProgress,
    estimate_line,
    format_duration,
    other_cnn_images,
    plan_lines,
    run_plan,
    search_plan,
    search_time_left,
    train_images_planned,
)
from hw4.run_start import start_lines

CONFIG = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))

# KerasTuner's Hyperband at max_epochs 10, factor 3 (hw4.methods.search_space), as recorded:
# (trials, epochs to, from epoch) per round; a continued trial trains its new epochs only.
RECORDED_ROUNDS = [(12, 2, 0), (4, 4, 2), (2, 10, 4), (6, 4, 0), (2, 10, 4), (4, 10, 0)]
RECORDED_EPOCHS = sum(trials * (to - start) for trials, to, start in RECORDED_ROUNDS)


def test_the_default_search_plans_its_recorded_schedule_on_the_full_mnist():
    plan = search_plan(CONFIG["tuning"], 60000)
    assert RECORDED_EPOCHS == 120
    assert plan["trials"] == 30 and plan["epochs"] == 120
    assert plan["fit_images"] == 48000  # 20 % held out for validation
    assert plan["final_epochs"] == 10 and plan["train_images"] == 60000
    assert plan["images"] == 120 * 48000 + 10 * 60000


def test_a_search_on_a_subset_plans_its_epochs_on_the_subset_and_retrains_on_all():
    plan = search_plan({**CONFIG["tuning"], "search_images": 12000}, 60000)
    assert plan["fit_images"] == 9600
    assert plan["images"] == 120 * 9600 + 10 * 60000
    # A subset at least as large as the training split is the whole split.
    assert search_plan({**CONFIG["tuning"], "search_images": 90000}, 60000)["fit_images"] == 48000


def test_the_time_left_is_the_images_left_at_the_pace_measured():
    plan = search_plan(CONFIG["tuning"], 60000)
    pace = Pace()
    assert search_time_left(plan, 0, 0, pace) is None  # nothing timed yet
    pace.add(48000, 96.0)  # one search epoch: 2 ms per image
    pace.add(48000, 144.0)  # a wider model: the pace is their mean, 2.5 ms per image
    assert pace.seconds_per_image == pytest.approx(0.0025)
    left = (118 * 48000 + 10 * 60000) * 0.0025
    assert search_time_left(plan, 2, 0, pace) == pytest.approx(left)
    # In the retraining, only its own epochs are left.
    assert search_time_left(plan, 120, 4, pace) == pytest.approx(6 * 60000 * 0.0025)


def test_a_resumed_search_counts_only_what_is_left():
    plan = search_plan(CONFIG["tuning"], 60000)
    # Killed after the first bracket's first round (12 trials of 2 epochs): 24 epochs done.
    progress = SearchProgress(plan, epochs_done=24)
    progress.search_epoch(120.0)  # 48,000 images in 120 s: 2.5 ms per image
    assert progress.epochs_done == 25
    assert progress.seconds_left() == pytest.approx((95 * 48000 + 10 * 60000) * 0.0025)
    assert progress.status() == f"search 20% done, about {format_duration(12900.0)} left"
    assert format_duration(12900.0) == "3 h 35 min"


def test_the_retraining_replaces_the_planned_epochs_with_its_own():
    plan = {**search_plan(CONFIG["tuning"], 60000), "final_epochs": 4}
    progress = SearchProgress(plan, epochs_done=120)
    progress.final_epoch(150.0)
    assert progress.seconds_left() == pytest.approx(3 * 150.0)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0 s"),
        (0.2, "1 s"),
        (59.5, "60 s"),
        (61, "2 min"),
        (3540, "59 min"),
        (3600, "1 h 00 min"),
        (3661, "1 h 02 min"),
    ],
)
def test_durations_read_as_a_person_reads_them(seconds, shown):
    assert format_duration(seconds) == shown


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_a_duration_that_is_none_is_refused(seconds):
    with pytest.raises(ValueError, match="finite number of seconds"):
        format_duration(seconds)


def test_the_estimate_names_the_subset_setting_only_above_an_hour_on_every_image():
    long = estimate_line(LONG_RUN_SECONDS + 1, 0)
    assert "more than an hour" in long and "tuning.search_images" in long
    assert "config/laptop.yaml" in long and (REPO / "config" / "laptop.yaml").exists()
    assert "\n" not in long
    assert "tuning.search_images" not in estimate_line(LONG_RUN_SECONDS - 1, 0)
    assert "tuning.search_images" not in estimate_line(LONG_RUN_SECONDS - 1, 12000)
    subset = estimate_line(LONG_RUN_SECONDS + 1, 12000)
    assert "with tuning.search_images: 12000: a smaller value" in subset
    assert "compute.threads" in subset and "config/laptop.yaml" not in subset


def test_the_first_estimate_is_said_once_and_counts_the_other_cnn_rules():
    plan = search_plan(CONFIG["tuning"], 60000)
    progress = SearchProgress(plan, other_images=810000)
    assert progress.first_estimate(0) is None  # nothing timed
    progress.search_epoch(120.0)
    expected = (119 * 48000 + 10 * 60000 + 810000) * 0.0025
    assert progress.first_estimate(0) == estimate_line(expected, 0)
    assert progress.first_estimate(0) is None


def test_the_estimate_names_q7s_cnn_only_when_it_counts_it():
    # A run in which train_cnn does not train (its model is up to date) counts the search
    # and its retraining alone, and says so.
    progress = SearchProgress(search_plan(CONFIG["tuning"], 60000), other_images=0)
    progress.search_epoch(120.0)
    line = progress.first_estimate(0)
    assert "Q7" not in line and "the search and its retraining" in line
    assert "Q7's CNN" in estimate_line(100.0, 0)


def test_the_plan_at_the_start_lists_each_training_rule():
    assert train_images_planned(CONFIG["data"]["mnist"]) == 60000
    assert train_images_planned({"source": "embedded", "embedded_test_fraction": 0.2}) == 4000
    assert train_images_planned({"source": "auto", "subset": {"train": 1000}}) == 1000
    assert train_images_planned({"source": "path", "path": "x"}) is None
    rows = run_plan(CONFIG, 60000)
    assert [row["rule"] for row in rows] == ["tune_cnn", "train_cnn", "lookback_sweep"]
    assert rows[1] == {"rule": "train_cnn", "models": 1, "epochs": 15, "images": 15 * 54000}
    assert rows[2]["models"] == 4 and rows[2]["epochs"] == 4 * 30
    lines = plan_lines(rows)
    assert lines[0] == "  tune_cnn: 31 models, 130 epochs at most, 6,360,000 training images in all"
    assert other_cnn_images(json.dumps(rows)) == 810000
    assert other_cnn_images(None) == 0


def test_the_start_says_which_jobs_an_interrupted_run_left():
    lines = start_lines(CONFIG, {"tune_cnn", "report"}, {"tune_cnn"})
    assert lines[0].startswith("an earlier run was stopped before tune_cnn finished")
    assert "Forced execution" in lines[0] and "resumes from its finished trials" in lines[0]
    assert lines[2].startswith("  tune_cnn: ")
    # The other training rules do not run; source auto's images are said to be the full
    # MNIST's, which only a working download gives.
    assert len(lines) == 4 and "falls back to the embedded digits" in lines[3]
    embedded = {
        **CONFIG,
        "data": {**CONFIG["data"], "mnist": {**CONFIG["data"]["mnist"], "source": "embedded"}},
    }
    assert len(start_lines(embedded, {"tune_cnn"}, set())) == 2
    assert start_lines(CONFIG, {"report"}, set()) == []
