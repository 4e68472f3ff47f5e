"""Q3 windows: labelled with the next hour, built on hours so that none crosses a gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hw4.methods.forecast_baselines import persistence, seasonal_naive
from hw4.methods.windows import (
    WindowError,
    make_windows,
    original_windows,
    prepare,
    present_before,
)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 60), f=st.integers(1, 4), data=st.data())
def test_windows_match_keras_timeseries_dataset(n, f, data):
    keras = pytest.importorskip("keras")
    look_back = data.draw(st.integers(1, n - 1))
    values = np.arange(n * f, dtype="float32").reshape(n, f)
    target = np.arange(n, dtype="float32") * 10
    x, y, index = make_windows(values, target, look_back)
    # Sequence i starts at row i and is paired with targets[i] = target[i + L]; the last
    # window ends at row n - 2, so the data passed stops there.
    dataset = keras.utils.timeseries_dataset_from_array(
        values[:-1], target[look_back:], sequence_length=look_back, batch_size=10_000
    )
    kx, ky = next(iter(dataset))
    np.testing.assert_array_equal(x, np.asarray(kx))
    np.testing.assert_array_equal(y, np.asarray(ky))
    assert index.tolist() == list(range(look_back, n))


@given(n=st.integers(2, 200), data=st.data())
def test_window_i_holds_steps_i_to_i_plus_l_minus_1_and_the_next_label(n, data):
    look_back = data.draw(st.integers(1, n - 1))
    values = np.arange(n, dtype=float)[:, None]
    x, y, index = make_windows(values, values[:, 0] * 2, look_back)
    assert x.shape == (n - look_back, look_back, 1)
    i = data.draw(st.integers(0, n - look_back - 1))
    assert x[i, :, 0].tolist() == list(range(i, i + look_back))
    assert y[i] == 2 * (i + look_back)


@given(n=st.integers(1, 30), extra=st.integers(0, 5))
def test_look_back_not_smaller_than_the_series_is_refused(n, extra):
    with pytest.raises(WindowError, match="not smaller than the series"):
        make_windows(np.zeros((n, 2)), np.zeros(n), n + extra)


def test_other_bad_inputs_are_refused():
    with pytest.raises(WindowError, match="at least one column"):
        make_windows(np.zeros((10, 0)), np.zeros(10), 3)
    with pytest.raises(WindowError, match="whole number"):
        make_windows(np.zeros((10, 1)), np.zeros(10), 0)
    with pytest.raises(WindowError, match="target values"):
        make_windows(np.zeros((10, 1)), np.zeros(9), 3)


def test_original_windowing_gives_one_label():
    values = np.arange(40, dtype=float).reshape(20, 2)
    _, labels = original_windows(values, values[:, 0], 5)
    assert len(np.unique(labels)) == 1
    _, fixed, _ = make_windows(values, values[:, 0], 5)
    assert len(np.unique(fixed)) == 15


def test_scaler_is_fit_on_training_rows_only():
    rows = 400
    table = pd.DataFrame(
        {
            "time": pd.date_range("2020", periods=rows, freq="1h"),
            "y": np.arange(rows, dtype=float),
            "f": np.zeros(rows),
        }
    )
    prepared = prepare(table, "y", ["f"], 12, {"train": 0.5, "validation": 0.25})
    assert prepared.target_scaler.low[0] == 0
    assert prepared.target_scaler.span[0] == 199  # max of the first 200 rows only
    # Change everything after the training rows: the training windows do not move.
    changed = table.copy()
    changed.loc[200:, "y"] *= 100
    again = prepare(changed, "y", ["f"], 12, {"train": 0.5, "validation": 0.25})
    np.testing.assert_array_equal(prepared.x["train"], again.x["train"])
    np.testing.assert_array_equal(prepared.y["train"], again.y["train"])
    # Training windows only use rows before the split, labels included.
    assert prepared.label_rows["train"].max() < 200
    assert prepared.label_rows["test"].min() >= 300


def test_prepare_refusals():
    table = pd.DataFrame(
        {"time": pd.date_range("2020", periods=50, freq="1h"), "y": np.arange(50.0)}
    )
    with pytest.raises(WindowError, match="not in the consumption table"):
        prepare(table, "y", ["nope"], 3, {"train": 0.5, "validation": 0.2})
    with pytest.raises(WindowError, match="no inputs"):
        prepare(table, "y", [], 3, {"train": 0.5, "validation": 0.2}, include_target_history=False)


def hourly_table_with_gaps(hours: np.ndarray) -> pd.DataFrame:
    """A table whose target and feature are the hour number, at the hours given."""
    return pd.DataFrame(
        {
            "time": pd.Timestamp("2024-03-01") + pd.to_timedelta(hours, unit="h"),
            "y": hours.astype(float),
            "f": hours.astype(float) * 2,
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    # About one hour in ten missing: short and long gaps, and windows between them.
    kept=st.lists(st.integers(0, 9).map(bool), min_size=120, max_size=400),
    look_back=st.integers(1, 30),
    period=st.integers(1, 48),
)
def test_no_window_or_baseline_crosses_a_gap(kept, look_back, period):
    """On a file with random hours missing, every window holds hours t-L .. t-1 exactly, its
    label is hour t, and persistence and seasonal naive forecast from hours t-1 and t-period."""
    kept[0] = True
    hours = np.flatnonzero(kept)
    assume(len(hours) > look_back and hours[-1] >= 10)
    table = hourly_table_with_gaps(hours)
    prepared = prepare(
        table, "y", ["f"], look_back, {"train": 0.5, "validation": 0.25}, seasonal_period=period
    )
    scale = prepared.target_scaler
    for part in ("train", "validation", "test"):
        rows = prepared.label_rows[part]
        label_hours = prepared.hours[rows]
        labels = scale.inverse(prepared.y[part][:, None])[:, 0]
        np.testing.assert_allclose(labels, label_hours)
        window_hours = scale.inverse(prepared.x[part][:, :, -1:].reshape(-1, 1)).reshape(
            len(rows), look_back
        )
        expected = label_hours[:, None] + np.arange(-look_back, 0)[None, :]
        np.testing.assert_allclose(window_hours, expected, atol=1e-6)
        if len(rows):
            target = prepared.target
            np.testing.assert_array_equal(
                persistence(target, prepared.hours, rows), label_hours - 1
            )
            np.testing.assert_array_equal(
                seasonal_naive(target, prepared.hours, rows, period), label_hours - period
            )
    # Exactly the windows that need a missing hour are dropped, and counted.
    present = set(hours.tolist())
    wanted = [
        t
        for t in hours
        if t >= max(look_back, period)
        and all(t - k in present for k in range(1, look_back + 1))
        and t - period in present
    ]
    kept_hours = np.concatenate([prepared.hours[prepared.label_rows[p]] for p in prepared.x])
    assert sorted(kept_hours.tolist()) == wanted
    possible = int((hours >= max(look_back, period)).sum())
    assert sum(prepared.dropped_for_gaps.values()) == possible - len(wanted)


def test_present_before_sees_each_gap():
    hours = np.array([0, 1, 2, 4, 5, 6, 7])
    assert present_before(hours, 2).tolist() == [False, False, True, False, False, True, True]
    assert present_before(hours, 0).all()
    assert not present_before(hours, 10).any()
