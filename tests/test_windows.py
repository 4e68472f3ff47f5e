"""Q3 windows, split, scaling and baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hw4.methods.windows import (
    MinMax,
    WindowError,
    chronological_split,
    make_windows,
    metrics,
    original_windows,
    persistence,
    prepare,
    seasonal_naive,
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
    assert prepared.label_index["train"].max() < 200
    assert prepared.label_index["test"].min() >= 300


def test_split_and_refusals():
    split = chronological_split(100, 0.7, 0.15)
    assert (split.train_end, split.val_end) == (70, 85)
    with pytest.raises(WindowError, match="leave a test part"):
        chronological_split(100, 0.8, 0.3)
    table = pd.DataFrame({"y": np.arange(50.0)})
    with pytest.raises(WindowError, match="not in the energy table"):
        prepare(table, "y", ["nope"], 3, {"train": 0.5, "validation": 0.2})
    with pytest.raises(WindowError, match="no inputs"):
        prepare(table, "y", [], 3, {"train": 0.5, "validation": 0.2}, include_target_history=False)


def test_baselines_and_metrics():
    target = np.arange(100, dtype=float)
    index = np.array([30, 31])
    assert persistence(target, index).tolist() == [29, 30]
    assert seasonal_naive(target, index, 24).tolist() == [6, 7]
    with pytest.raises(WindowError):
        seasonal_naive(target, np.array([5]), 24)
    m = metrics(np.array([1.0, 2.0]), np.array([2.0, 2.0]))
    assert m["mae"] == 0.5 and m["rmse"] == pytest.approx(np.sqrt(0.5)) and m["mape"] == 50


def test_minmax_matches_sklearn():
    from sklearn.preprocessing import MinMaxScaler

    data = np.random.default_rng(0).normal(size=(50, 3))
    ours = MinMax().fit(data[:30])
    theirs = MinMaxScaler().fit(data[:30])
    np.testing.assert_allclose(ours.transform(data), theirs.transform(data))
    np.testing.assert_allclose(ours.inverse(ours.transform(data)), data)
