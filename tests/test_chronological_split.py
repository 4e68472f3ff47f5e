"""Q3 chronological split on the hour axis, and min-max scaling."""

from __future__ import annotations

import numpy as np
import pytest

from hw4.methods.chronological_split import MinMax, SplitError, chronological_split


def test_split_and_refusals():
    split = chronological_split(100, 0.7, 0.15)
    assert (split.train_end, split.validation_end) == (70, 85)
    with pytest.raises(SplitError, match="leave a test part"):
        chronological_split(100, 0.8, 0.3)
    parts = split.of(np.array([0, 69, 70, 84, 85, 99]))
    assert parts["train"].tolist() == [True, True, False, False, False, False]
    assert parts["validation"].tolist() == [False, False, True, True, False, False]
    assert parts["test"].tolist() == [False, False, False, False, True, True]


def test_minmax_matches_sklearn():
    from sklearn.preprocessing import MinMaxScaler

    data = np.random.default_rng(0).normal(size=(50, 3))
    ours = MinMax().fit(data[:30])
    theirs = MinMaxScaler().fit(data[:30])
    np.testing.assert_allclose(ours.transform(data), theirs.transform(data))
    np.testing.assert_allclose(ours.inverse(ours.transform(data)), data)


def test_a_constant_column_maps_to_zero_not_nan():
    scaler = MinMax().fit(np.ones((10, 1)))
    assert scaler.transform(np.ones((3, 1))).tolist() == [[0.0], [0.0], [0.0]]
