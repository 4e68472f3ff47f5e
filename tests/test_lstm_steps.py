"""Rules lookback_sweep and train_lstm: real (tiny) training on the case files.

The look-back the sweep chooses on validation is the one the main model trains at; each
look-back starts from the same seed; zero readings and dropped windows never give NaN.
"""

from __future__ import annotations

import json

import pytest
from test_consumption import case_settings

from hw4.steps import consumption, lookback_sweep, train_lstm

pytest.importorskip("keras")

SETTINGS = {
    "features": ["temp", "hour_sin", "hour_cos"],
    "include_target_history": True,
    "look_back": 12,
    "split": {"train": 0.7, "validation": 0.15},
    "units": 4,
    "layers": 1,
    "dropout": 0.0,
    "epochs": 2,
    "batch_size": 64,
    "patience": 1,
    "seasonal_period": 24,
}
DEVICE = {"device": "CPU: test"}


def case_table(name, **over):
    return consumption.run(
        case_settings(name, **over),
        SETTINGS["features"],
        SETTINGS["look_back"],
        [6, 12],
        SETTINGS["seasonal_period"],
        SETTINGS["split"],
        cache_dir="unused",
    )["table"]


def sweep(table, look_backs, seed=0):
    return lookback_sweep.run(
        table, SETTINGS, {"look_backs": look_backs, "epochs": 1}, "consumption", "m3", seed, DEVICE
    )


def test_the_sweep_choice_is_the_look_back_the_model_trains_at():
    table = case_table("gas_zero_readings.csv")
    result = sweep(table, [6])
    summary = result["summary"]
    assert [row["look_back"] for row in result["rows"]] == [6, 12]  # the homework's 12 added
    assert [row["homework"] for row in result["rows"]] == [False, True]
    best = min(result["rows"], key=lambda row: row["val_rmse"])
    assert summary["chosen_look_back"] == best["look_back"]
    assert [row["chosen"] for row in result["rows"]].count(True) == 1
    trained = train_lstm.run(table, summary, SETTINGS, "consumption", "m3", 0, DEVICE)
    metrics = trained["metrics"]
    assert metrics["look_back"] == summary["chosen_look_back"]
    assert metrics["input_shape"]["train"][1] == summary["chosen_look_back"]
    assert metrics["homework_look_back"] == 12
    # Whatever the sweep chose is what trains, not the configured look-back.
    other = train_lstm.run(
        table, {**summary, "chosen_look_back": 6}, SETTINGS, "consumption", "m3", 0, DEVICE
    )
    assert other["metrics"]["input_shape"]["test"][1:] == [6, 4]


def test_each_look_back_is_seeded_on_its_own():
    table = case_table("gas_zero_readings.csv")
    alone = sweep(table, [12])["rows"]
    after_another = sweep(table, [3])["rows"]
    assert [row["look_back"] for row in after_another] == [3, 12]
    assert after_another[1]["val_rmse"] == pytest.approx(alone[0]["val_rmse"], rel=1e-6)


def test_zero_readings_leave_mape_out_with_the_count_and_no_nan():
    table = case_table("gas_zero_readings.csv")
    summary = sweep(table, [6])["summary"]
    metrics = train_lstm.run(table, summary, SETTINGS, "consumption", "m3", 0, DEVICE)["metrics"]
    text = json.dumps(metrics)
    assert "NaN" not in text and "Infinity" not in text
    assert metrics["model"]["mape_left_out"] == 48  # two days of zero readings in the test part
    assert all(b["mape_left_out"] == 48 for b in metrics["baselines"].values())
    assert metrics["model"]["mape"] is not None  # over the 24 test hours that are not zero


def test_windows_that_need_a_missing_hour_are_dropped_and_counted():
    table = case_table("gas_missing_hours.csv", missing_hours="drop_windows")
    summary = {**sweep(table, [6])["summary"], "chosen_look_back": 6}
    metrics = train_lstm.run(table, summary, SETTINGS, "consumption", "m3", 0, DEVICE)["metrics"]
    # 336 hours: training up to hour 235, validation up to 285. The outage (hours 100-104)
    # takes the 6 windows labelled 105-110 and the 5 seasonal forecasts of hours 124-128;
    # the spring-forward hour (266) takes the windows labelled 267-272 and the seasonal
    # forecast of hour 290.
    assert metrics["windows_dropped_for_gaps"] == {"train": 11, "validation": 6, "test": 1}
    assert "NaN" not in json.dumps(metrics)
