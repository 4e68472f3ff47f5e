"""Q4: convolutional against recurrent networks."""

from __future__ import annotations

from hw4.io.files import read_json
from hw4.report.claims import Claim


def load(inputs: dict) -> dict:
    measurements = read_json(inputs["rnn_vs_cnn"])
    timing = measurements["timing"]
    longest = max(r["length"] for r in timing)
    shortest = min(r["length"] for r in timing)
    conv, lstm = measurements["models"]["Conv1D stack"], measurements["models"]["LSTM"]
    growth_conv = measurements["growth"]["Conv1D stack"]
    growth_lstm = measurements["growth"]["LSTM"]

    def at(model, length):
        return next(r for r in timing if r["model"] == model and r["length"] == length)

    if growth_lstm["lower"] > growth_conv["upper"]:
        growth_order = "lstm_steeper"
    elif growth_conv["lower"] > growth_lstm["upper"]:
        growth_order = "conv_steeper"
    else:
        growth_order = "overlap"
    return {
        "measurements": measurements,
        "provenance": measurements["provenance"],
        "params_agree": all(r["formula"] == r["keras"] for r in measurements["parameters"]),
        "conv": conv,
        "lstm": lstm,
        "params_gap_percent": 100 * abs(conv["params"] - lstm["params"]) / lstm["params"],
        "growth_conv": growth_conv,
        "growth_lstm": growth_lstm,
        "growth_order": growth_order,
        "shortest": shortest,
        "longest": longest,
        "conv_short": at("Conv1D stack", shortest),
        "conv_long": at("Conv1D stack", longest),
        "lstm_short": at("LSTM", shortest),
        "lstm_long": at("LSTM", longest),
        "ratio_long": at("LSTM", longest)["median"] / at("Conv1D stack", longest)["median"],
        "lstm_at_longest": measurements["lstm_at_longest"],
        "conditions": measurements["timing_conditions"],
    }


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    return []
