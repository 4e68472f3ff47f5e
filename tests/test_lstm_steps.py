"""Rules lookback_sweep and train_lstm: real (tiny) training on the case files.

The look-back the sweep chooses on validation is the one the main model trains at, and the
sweep's model at that look-back is the main model (evaluated, not trained again); each
look-back starts from the same seed; zero readings and dropped windows never give NaN.
"""

from __future__ import annotations

import json

import pytest
from test_consumption import case_settings

from hw4.methods.lstm import fit_lstm
from hw4.methods.windows import prepare
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
    return lookback_sweep.run(table, SETTINGS, look_backs, "consumption", "m3", seed, DEVICE)


def as_if_chosen(table, summary, look_back):
    """The summary and a model as if the sweep had chosen ``look_back`` (rows marked to agree)."""
    prepared = prepare(
        table,
        "consumption",
        SETTINGS["features"],
        look_back,
        SETTINGS["split"],
        SETTINGS["include_target_history"],
        history=summary["label_history"],
        seasonal_period=SETTINGS["seasonal_period"],
    )
    model, _ = fit_lstm(prepared, SETTINGS, "test", SETTINGS["epochs"], 0)
    rows = [{**row, "chosen": row["look_back"] == look_back} for row in summary["rows"]]
    return {**summary, "chosen_look_back": look_back, "rows": rows}, model


def test_the_sweep_choice_is_the_look_back_the_model_trains_at():
    table = case_table("gas_zero_readings.csv")
    result = sweep(table, [6])
    summary = result["summary"]
    assert [row["look_back"] for row in result["rows"]] == [6, 12]  # the homework's 12 added
    assert [row["homework"] for row in result["rows"]] == [False, True]
    best = min(result["rows"], key=lambda row: row["val_rmse"])
    assert summary["chosen_look_back"] == best["look_back"]
    assert [row["chosen"] for row in result["rows"]].count(True) == 1
    evaluated = train_lstm.run(
        table, summary, result["model"], SETTINGS, "consumption", "m3", DEVICE
    )
    metrics = evaluated["metrics"]
    assert metrics["look_back"] == summary["chosen_look_back"]
    assert metrics["input_shape"]["train"][1] == summary["chosen_look_back"]
    assert metrics["homework_look_back"] == 12
    # The sweep's model is the main model: on the same windows, the same test figures.
    chosen = next(row for row in result["rows"] if row["chosen"])
    assert metrics["model"]["rmse"] == pytest.approx(chosen["test_rmse"], rel=1e-6)
    assert metrics["epochs_run"] == chosen["epochs_run"] == len(result["history"])
    assert summary["epochs"] == SETTINGS["epochs"]  # the main model's budget, not a smaller one
    # Whatever the sweep chose is what is evaluated, not the configured look-back.
    other_summary, other_model = as_if_chosen(table, summary, 6)
    other = train_lstm.run(table, other_summary, other_model, SETTINGS, "consumption", "m3", DEVICE)
    assert other["metrics"]["input_shape"]["test"][1:] == [6, 4]


def test_each_look_back_is_seeded_on_its_own():
    table = case_table("gas_zero_readings.csv")
    alone = sweep(table, [12])["rows"]
    after_another = sweep(table, [3])["rows"]
    assert [row["look_back"] for row in after_another] == [3, 12]
    assert after_another[1]["val_rmse"] == pytest.approx(alone[0]["val_rmse"], rel=1e-6)


def test_zero_readings_leave_mape_out_with_the_count_and_no_nan():
    table = case_table("gas_zero_readings.csv")
    result = sweep(table, [6])
    metrics = train_lstm.run(
        table, result["summary"], result["model"], SETTINGS, "consumption", "m3", DEVICE
    )["metrics"]
    text = json.dumps(metrics)
    assert "NaN" not in text and "Infinity" not in text
    assert metrics["model"]["mape_left_out"] == 48  # two days of zero readings in the test part
    assert all(b["mape_left_out"] == 48 for b in metrics["baselines"].values())
    assert metrics["model"]["mape"] is not None  # over the 24 test hours that are not zero


def test_windows_that_need_a_missing_hour_are_dropped_and_counted():
    table = case_table("gas_missing_hours.csv", missing_hours="drop_windows")
    summary, model = as_if_chosen(table, sweep(table, [6])["summary"], 6)
    metrics = train_lstm.run(table, summary, model, SETTINGS, "consumption", "m3", DEVICE)[
        "metrics"
    ]
    # 336 hours: training up to hour 235, validation up to 285. Every look-back is scored on
    # the label hours with the sweep's longest history (12 hours) present, so the outage
    # (hours 100-104) takes the 12 windows labelled 105-116 and the 5 seasonal forecasts of
    # hours 124-128; the spring-forward hour (266) takes the windows labelled 267-278 and the
    # seasonal forecast of hour 290.
    assert metrics["windows_dropped_for_gaps"] == {"train": 17, "validation": 12, "test": 1}
    assert "NaN" not in json.dumps(metrics)
