"""Q3: the LSTM forecast and its look-back."""

from __future__ import annotations

from hw4.io.files import read_json
from hw4.report.artifacts import MissingArtifact
from hw4.report.claims import Claim


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
        "windows_dropped": sum(metrics["windows_dropped_for_gaps"].values()),
        "mape_left_out": metrics["model"]["mape_left_out"],
        "provenance": metrics["provenance"],
        "sweep_provenance": sweep["provenance"],
    }


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    return []
