"""Q4: parameter formulas of conv and recurrent layers against Keras; the step's choices."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hw4.methods.sequence_costs import (
    FORMULAS,
    conv_stack_params,
    lstm_model_params,
    matched_conv_width,
    receptive_field,
    sequential_steps,
    stack_dilations,
)

keras = pytest.importorskip("keras")
from hw4.methods.sequence_timing import (  # noqa: E402
    LAYERS,
    conv_stack,
    lstm_model,
    parameter_table,
    training_step_seconds,
)
from hw4.steps.rnn_vs_cnn import fitted_lengths, model_descriptions  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(sorted(FORMULAS)),
    channels=st.integers(1, 40),
    width=st.integers(1, 40),
    kernel=st.integers(1, 7),
)
def test_formulas_match_keras(kind, channels, width, kernel):
    layer = LAYERS[kind](width, kernel)
    layer.build((None, None, channels))
    assert layer.count_params() == FORMULAS[kind](channels, width, kernel)


def test_table_and_helpers():
    rows = parameter_table(8, [4], 3)
    assert all(r["formula"] == r["keras"] for r in rows) and len(rows) == 4
    assert sequential_steps("LSTM", 512) == 512 and sequential_steps("Conv1D", 512, layers=4) == 4
    assert receptive_field(3, [1, 2, 4, 8]) == 31
    assert stack_dilations(4) == [1, 2, 4, 8]


@pytest.mark.parametrize("channels, units, layers, kernel", [(32, 64, 4, 3), (5, 16, 2, 5)])
def test_whole_models_match_their_formulas(channels, units, layers, kernel):
    width = matched_conv_width(channels, units, layers, kernel)
    assert conv_stack(channels, width, layers, kernel).count_params() == conv_stack_params(
        channels, width, layers, kernel
    )
    assert lstm_model(channels, units).count_params() == lstm_model_params(channels, units)


def test_matched_width_is_the_closest_in_parameters():
    target = lstm_model_params(32, 64)
    width = matched_conv_width(32, 64, 4, 3)
    gap = abs(conv_stack_params(32, width, 4, 3) - target)
    assert gap <= abs(conv_stack_params(32, width - 1, 4, 3) - target)
    assert gap <= abs(conv_stack_params(32, width + 1, 4, 3) - target)
    assert gap / target < 0.05  # matched to within a few percent, not 1.7x apart


def test_step_describes_comparable_models():
    described = model_descriptions({"channels": 32, "kernel": 3, "conv_layers": 4, "width": 64})
    conv, lstm = described["Conv1D stack"], described["LSTM"]
    assert abs(conv["params"] - lstm["params"]) / lstm["params"] < 0.05
    assert conv["receptive_field"] == 31 and lstm["receptive_field"] is None
    assert fitted_lengths([64, 16, 32, 128]) == [64, 128]
    assert fitted_lengths([8, 16, 32]) == [16, 32]


def test_training_step_is_timed_once_per_repeat():
    model = lstm_model(3, 4)
    seconds = training_step_seconds(model, 8, 3, 2, repeats=4, seed=0)
    assert len(seconds) == 4 and all(value > 0 for value in seconds)


def test_step_runs_and_reports_medians_spreads_and_exponents():
    from hw4.steps.rnn_vs_cnn import run

    settings = {
        "channels": 3,
        "widths": [4],
        "kernel": 3,
        "width": 6,
        "conv_layers": 2,
        "batch_size": 2,
        "lengths": [4, 8, 16],
        "repeats": 5,
    }
    threads = {"intra_op_threads": 1, "inter_op_threads": 1}
    device = {"device": "CPU: test", "deterministic_ops": False, "threads": threads}
    measurements = run(settings, seed=0, device=device)["measurements"]
    assert len(measurements["timing"]) == 6
    for row in measurements["timing"]:
        assert row["lower_quartile"] <= row["median"] <= row["upper_quartile"]
        assert row["repeats"] == 5
    for growth in measurements["growth"].values():
        assert growth["lower"] <= growth["exponent"] <= growth["upper"]
        assert growth["lengths"] == [8, 16] and growth["points"] == 10
    assert measurements["lstm_at_longest"] in ("faster", "slower", "within_noise")
    assert measurements["timing_conditions"]["deterministic_ops"] is False
