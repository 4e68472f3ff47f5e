"""Q4: parameter formulas of conv and recurrent layers against Keras."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hw4.methods.sequence_costs import FORMULAS, receptive_field, sequential_steps

keras = pytest.importorskip("keras")
from hw4.methods.sequence_timing import LAYERS, loglog_slope, parameter_table  # noqa: E402


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
    assert receptive_field(4, 3, [1, 2, 4, 8]) == 31
    assert loglog_slope([1, 2, 4, 8], [1, 2, 4, 8]) == pytest.approx(1)
