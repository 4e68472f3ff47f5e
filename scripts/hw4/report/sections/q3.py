"""Q3: the LSTM forecast and its look-back."""

from __future__ import annotations

from hw4.io.files import read_json
from hw4.report.artifacts import MissingArtifact
from hw4.report.claims import Claim
from hw4.report.typography import fa, ltr


def load(inputs: dict) -> dict:
    metrics = read_json(inputs["lstm_metrics"])
    sweep = read_json(inputs["lookback_summary"])
    if metrics["look_back"] != sweep["chosen_look_back"]:
        raise MissingArtifact(
            f"{inputs['lstm_metrics']}: the model's look-back {metrics['look_back']} is not the "
            f"one the sweep chose ({sweep['chosen_look_back']}); rerun train_lstm"
        )
    return {
        "metrics": metrics,
        "sweep": sweep,
        "chosen": next(row for row in sweep["rows"] if row["chosen"]),
        "homework": next(row for row in sweep["rows"] if row["homework"]),
        "best_test_look_back": min(sweep["rows"], key=lambda row: row["test_rmse"])["look_back"],
        "best_baseline": min(metrics["baselines"].items(), key=lambda item: item[1]["rmse"]),
        "baseline_names": baseline_names(metrics["seasonal_period"]),
        "windows_dropped": sum(metrics["windows_dropped_for_gaps"].values()),
        "mape_left_out": metrics["model"]["mape_left_out"],
        "provenance": metrics["provenance"],
        "sweep_provenance": sweep["provenance"],
    }


def hour_ranges(hours: list[int]) -> list[list[int]]:
    """Hours of the day as runs of consecutive hours, ``[[first, last], ...]``:
    ``[3, 9, 10, 11]`` -> ``[[3, 3], [9, 11]]``."""
    ranges: list[list[int]] = []
    for hour in sorted(hours):
        if ranges and hour == ranges[-1][1] + 1:
            ranges[-1][1] = hour
        else:
            ranges.append([hour, hour])
    return ranges


def baseline_names(seasonal_period: int) -> dict[str, dict[str, str]]:
    """Each forecast's name in both languages, ``{key: {"fa": ..., "en": ...}}`` (the table's
    rows and the claims that name the best baseline read the same names)."""
    return {
        "model": {"fa": ltr("LSTM"), "en": "LSTM"},
        "persistence": {"fa": "ماندگاری (ساعت قبل)", "en": "persistence (previous hour)"},
        "seasonal_naive": {
            "fa": f"فصلی ساده (مقدار {fa(seasonal_period)} ساعت قبل)",
            "en": f"seasonal naive (the value {seasonal_period} hours before)",
        },
        "linear_regression": {
            "fa": "رگرسیون خطی روی پنجره",
            "en": "linear regression on the window",
        },
    }


def early_stopping_verdict(rows: list[dict], chosen: dict, epochs: int) -> str:
    """Whether early stopping fired, over every look-back the sweep trained.

    ``rows``: the sweep's rows (``epochs_run``, ``best_epoch``); ``chosen``: the chosen
    look-back's row (the Q3 model); ``epochs``: the epoch budget. A run that used the whole
    budget was cut by it, not stopped: its validation loss had improved within the last
    ``patience`` epochs. Returns ``budget_cut_all_still_improving`` (every run used the whole
    budget and the chosen model's best epoch is its last), ``budget_cut_all``, ``stopped_all``
    (every run stopped early), ``mixed_chosen_cut`` or ``mixed_chosen_stopped``.
    """
    cut = [row["epochs_run"] >= epochs for row in rows]
    chosen_cut = chosen["epochs_run"] >= epochs
    if all(cut):
        if chosen["best_epoch"] == chosen["epochs_run"]:
            return "budget_cut_all_still_improving"
        return "budget_cut_all"
    if not any(cut):
        return "stopped_all"
    return "mixed_chosen_cut" if chosen_cut else "mixed_chosen_stopped"


def runner_up(rows: list[dict], chosen: dict) -> dict:
    """The look-back with the next lowest validation RMSE after the chosen one."""
    others = [row for row in rows if row is not chosen and row["look_back"] != chosen["look_back"]]
    return min(others, key=lambda row: row["val_rmse"])


def mape_verdict(metrics: dict, left_out: int) -> str:
    """``none_left_out``, ``some_left_out`` (hours that read zero, which MAPE cannot divide
    by) or ``all_zero`` (no MAPE at all)."""
    if not left_out:
        return "none_left_out"
    return "all_zero" if metrics["model"]["mape"] is None else "some_left_out"


def window_count(
    training_hours: int,
    original_windows: int,
    fixed_windows: int,
    look_back: int,
    label_history: int,
    seasonal_period: int,
) -> dict:
    """Why the original's windowing and the fix give different numbers of training windows.

    The original makes one window for each training row from row ``look_back`` on
    (``original_windows``, ``training_hours - look_back`` on a table with no hour missing);
    the fix labels hours from ``first_label = max(look_back, label_history,
    seasonal_period)`` on (every look-back of the sweep and every baseline scored on the same
    hours), and only hours whose window is whole. Returns the values the claim prints and its
    verdict: ``same_count``; ``seasonal_start`` or ``history_start`` (the later first label
    hour accounts for the whole difference, set by the seasonal-naive baseline's period or by
    the sweep's longest look-back); the same with ``_and_missing`` (missing hours account for
    the rest); or ``missing_only``.
    """
    first_label = max(look_back, label_history, seasonal_period)
    later_start = first_label - look_back
    difference = original_windows - fixed_windows
    rest = difference - later_start
    if difference == 0:
        verdict = "same_count"
    elif later_start == 0:
        verdict = "missing_only"
    else:
        start = "seasonal_start" if first_label == seasonal_period else "history_start"
        verdict = start if rest == 0 else f"{start}_and_missing"
    return {
        "verdict": verdict,
        "training_hours": training_hours,
        "original": original_windows,
        "fixed": fixed_windows,
        "difference": difference,
        "look_back": look_back,
        "first_label": first_label,
        "seasonal_period": seasonal_period,
        "later_start": later_start,
        "missing": rest,
    }


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    section = context["q3"]
    metrics, sweep = section["metrics"], section["sweep"]
    chosen, homework = section["chosen"], section["homework"]
    rows = sweep["rows"]
    baseline_key, baseline = section["best_baseline"]
    unit = metrics["unit"]
    cut_rows = [row for row in rows if row["epochs_run"] >= sweep["epochs"]]
    fired_rows = [row for row in rows if row["epochs_run"] < sweep["epochs"]]
    second = runner_up(rows, chosen) if len(rows) > 1 else chosen
    gap = second["val_rmse"] - chosen["val_rmse"]
    spread = max(row["val_rmse"] for row in rows) - chosen["val_rmse"]
    dropped = metrics["windows_dropped_for_gaps"]
    windows = window_count(
        metrics["rows"]["train"],
        metrics["original_bug"]["windows"],
        metrics["input_shape"]["train"][0],
        chosen["look_back"],
        sweep["label_history"],
        metrics["seasonal_period"],
    )
    return [
        Claim(
            "q3.window_count",
            windows.pop("verdict"),
            windows,
        ),
        Claim(
            "q3.beats_baselines",
            "beats_every_baseline" if metrics["beats_every_baseline"] else "loses_to_a_baseline",
            {
                "model_rmse": metrics["model"]["rmse"],
                "baseline_rmse": baseline["rmse"],
                "baseline": section["baseline_names"][baseline_key],
                "baselines": len(metrics["baselines"]),
                "unit": unit,
                "test_windows": metrics["input_shape"]["test"][0],
                "closer_by_hour": [
                    {"name": section["baseline_names"][name], "ranges": hour_ranges(hours)}
                    for name, hours in metrics["hours_a_baseline_is_closer"].items()
                    if hours
                ],
            },
        ),
        Claim(
            "q3.early_stopping",
            early_stopping_verdict(rows, chosen, sweep["epochs"]),
            {
                "epochs": sweep["epochs"],
                "patience": metrics["architecture"]["patience"],
                "runs": len(rows),
                "cut_runs": len(cut_rows),
                "fired_runs": len(fired_rows),
                "fired_look_backs": [row["look_back"] for row in fired_rows],
                "look_back": chosen["look_back"],
                "epochs_run": chosen["epochs_run"],
                "best_epoch": chosen["best_epoch"],
            },
        ),
        Claim(
            "q3.lookback_choice",
            "homework_chosen" if chosen["look_back"] == homework["look_back"] else "other_chosen",
            {
                "look_back": chosen["look_back"],
                "val_rmse": chosen["val_rmse"],
                "homework_look_back": homework["look_back"],
                "homework_val_rmse": homework["val_rmse"],
                "second_look_back": second["look_back"],
                "gap": gap,
                "gap_percent": 100 * gap / chosen["val_rmse"],
                "spread_percent": 100 * spread / chosen["val_rmse"],
                "unit": unit,
            },
        ),
        Claim(
            "q3.lookback_test",
            "test_agrees"
            if section["best_test_look_back"] == chosen["look_back"]
            else "test_prefers_other",
            {"look_back": chosen["look_back"], "test_look_back": section["best_test_look_back"]},
        ),
        Claim(
            "q3.gaps",
            "dropped" if section["windows_dropped"] else "none_dropped",
            {
                "dropped": section["windows_dropped"],
                "train": dropped["train"],
                "validation": dropped["validation"],
                "test": dropped["test"],
            },
        ),
        Claim(
            "q3.mape",
            mape_verdict(metrics, section["mape_left_out"]),
            {"left_out": section["mape_left_out"] or 0},
        ),
    ]
