"""Step of rule rnn_vs_cnn: Q4's comparison in numbers, parameters and time per training step.

The two models are made comparable by parameter count: the LSTM has ``width`` units and the
conv stack the width whose parameter count is closest to it (its receptive field is stated
beside it, since it does not grow with the sequence). Every point is timed ``repeats`` times
after warm-up; the report shows the median and the quartiles, and the growth exponent of
time against length with its 95% interval.
"""

from __future__ import annotations

import logging

from hw4.io.provenance import framework_versions, provenance
from hw4.methods.sequence_costs import (
    conv_stack_params,
    lstm_model_params,
    matched_conv_width,
    receptive_field,
    sequential_steps,
    stack_dilations,
)
from hw4.methods.sequence_timing import (
    conv_stack,
    lstm_model,
    parameter_table,
    training_step_seconds,
)
from hw4.methods.step_timing import (
    WARMUP_CALLS,
    compare_timings,
    growth_exponent,
    timing_summary,
)

log = logging.getLogger("hw4")

CONV, LSTM = "Conv1D stack", "LSTM"


def model_descriptions(settings: dict) -> dict:
    """Width, parameters (by formula), receptive field and sequential steps of each model."""
    channels, kernel, layers = settings["channels"], settings["kernel"], settings["conv_layers"]
    width = matched_conv_width(channels, settings["width"], layers, kernel)
    return {
        CONV: {
            "width": width,
            "layers": layers,
            "params": conv_stack_params(channels, width, layers, kernel),
            "receptive_field": receptive_field(kernel, stack_dilations(layers)),
        },
        LSTM: {
            "width": settings["width"],
            "layers": 1,
            "params": lstm_model_params(channels, settings["width"]),
            "receptive_field": None,  # the whole sequence
        },
    }


def fitted_lengths(lengths: list[int]) -> list[int]:
    """The longer half of the lengths, where the fixed cost of a step no longer dominates."""
    ordered = sorted(lengths)
    return ordered[len(ordered) // 2 :]


def run(settings: dict, seed: int, device: dict) -> dict:
    """Time both models at every configured length. ``device`` describes the set-up
    (``hw4.device.configure_framework``, the threads it pinned included).

    Returns ``{"measurements": the JSON artifact}``; a model's Keras parameter count differing
    from the formula raises ``RuntimeError`` (the report would state a wrong size).
    """
    models = model_descriptions(settings)
    built = {
        CONV: conv_stack(
            settings["channels"], models[CONV]["width"], settings["conv_layers"], settings["kernel"]
        ),
        LSTM: lstm_model(settings["channels"], settings["width"]),
    }
    for name, model in built.items():
        if model.count_params() != models[name]["params"]:
            raise RuntimeError(
                f"{name}: Keras counts {model.count_params()} parameters, the formula "
                f"{models[name]['params']}"
            )
    rows, timed = [], {CONV: [], LSTM: []}
    lengths = settings["lengths"]
    for number, length in enumerate(lengths, start=1):
        for name, model in built.items():
            seconds = training_step_seconds(
                model,
                length,
                settings["channels"],
                settings["batch_size"],
                settings["repeats"],
                seed,
            )
            timed[name] += [(length, value) for value in seconds]
            kind = "LSTM" if name == LSTM else "Conv1D"
            rows.append(
                {
                    "model": name,
                    "length": length,
                    **timing_summary(seconds),
                    "sequential_steps": sequential_steps(kind, length, models[name]["layers"]),
                }
            )
        log.info(
            "rnn_vs_cnn: length %d (%d of %d): conv median %.4f s, lstm median %.4f s",
            length,
            number,
            len(lengths),
            rows[-2]["median"],
            rows[-1]["median"],
        )
    longer = set(fitted_lengths(lengths))
    growth = {
        name: {
            **growth_exponent(
                [length for length, _ in points if length in longer],
                [value for length, value in points if length in longer],
            ),
            "lengths": sorted(longer),
        }
        for name, points in timed.items()
    }
    longest = max(lengths)
    at_longest = {row["model"]: row for row in rows if row["length"] == longest}
    measurements = {
        "parameters": parameter_table(settings["channels"], settings["widths"], settings["kernel"]),
        "models": models,
        "timing": rows,
        "growth": growth,
        # The LSTM against the conv stack at the longest length: "slower", "faster" or
        # "within_noise" (the quartiles overlap).
        "lstm_at_longest": compare_timings(at_longest[LSTM], at_longest[CONV]),
        "settings": settings,
        "timing_conditions": {
            "threads": device["threads"],
            "deterministic_ops": device["deterministic_ops"],
            "warmup_steps": WARMUP_CALLS,
            "repeats": settings["repeats"],
        },
        "provenance": provenance(versions=framework_versions(), **device),
    }
    return {"measurements": measurements}
