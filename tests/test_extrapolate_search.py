"""bench/extrapolate_search.py: the full-size search from its trials run and a reference."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import REPO

spec = importlib.util.spec_from_file_location(
    "extrapolate_search", REPO / "bench" / "extrapolate_search.py"
)
extrapolate_search = importlib.util.module_from_spec(spec)
spec.loader.exec_module(extrapolate_search)


def trial(seconds, epochs, filters):
    return {"seconds": seconds, "epochs": epochs, "config": {"filters_0": filters, "lr": 1e-3}}


def test_a_constant_ratio_predicts_the_rest_exactly():
    # The reference trains each epoch on 1,000 images, the full search on 10,000; at full
    # size every trial runs at 0.8 of the reference's seconds per image.
    reference = {
        "0000": trial(10.0, 2, 32),
        "0001": trial(30.0, 2, 64),
        "0002": trial(20.0, 4, 32),
        "0003": trial(50.0, 10, 64),
    }
    partial = {t: {**r, "seconds": r["seconds"] * 10 * 0.8} for t, r in reference.items()}
    del partial["0002"], partial["0003"]
    result = extrapolate_search.extrapolate(partial, reference, 10000, 1000)
    assert result["ratio"] == pytest.approx(0.8)
    assert result["max_abs_error"] == pytest.approx(0.0)
    assert result["remaining_trials"] == ["0002", "0003"]
    assert result["remaining_epochs"] == 14
    assert result["predicted_remaining_seconds"] == pytest.approx((20 + 50) * 10 * 0.8)
    assert result["search_seconds"] == pytest.approx((10 + 30 + 20 + 50) * 10 * 0.8)


def three_trials(seconds, filters):
    """Trials 0000 to 0002 of 2 epochs each, with these seconds and first-layer filters."""
    return {
        f"000{i}": trial(s, 2, f) for i, (s, f) in enumerate(zip(seconds, filters, strict=True))
    }


REFERENCE = three_trials([10.0, 10.0, 10.0], [32, 64, 96])


def test_the_error_is_leave_one_out():
    # Ratios 1, 1 and 2: trial 0002 predicted from the other two (ratio 1) is half its time.
    partial = three_trials([100.0, 100.0, 200.0], [32, 64, 96])
    result = extrapolate_search.extrapolate(partial, REFERENCE, 10000, 1000)
    assert result["leave_one_out_errors"]["0002"] == pytest.approx(-0.5)
    # 0000 left out: the median of 1 and 2 is 1.5.
    assert result["leave_one_out_errors"]["0000"] == pytest.approx(0.5)
    assert result["max_abs_error"] == pytest.approx(0.5)


def test_another_configuration_under_the_same_id_is_not_compared():
    partial = three_trials([100.0, 100.0, 900.0], [32, 64, 128])
    result = extrapolate_search.extrapolate(partial, REFERENCE, 10000, 1000)
    assert result["unmatched"] == ["0002"]
    assert result["trials_matched"] == 2
    with pytest.raises(ValueError, match="at least 2"):
        extrapolate_search.extrapolate({"0000": partial["0000"]}, REFERENCE, 10000, 1000)


def test_a_gap_in_the_trials_run_is_counted_once():
    # Trial 0001 did not finish at full size, 0002 did: 0001 is the one still to run.
    reference = {**REFERENCE, "0003": trial(10.0, 2, 128)}
    partial = {t: {**reference[t], "seconds": 100.0} for t in ("0000", "0002", "0003")}
    result = extrapolate_search.extrapolate(partial, reference, 10000, 1000)
    assert result["remaining_trials"] == ["0001"]
    assert result["search_seconds"] == pytest.approx(400.0)
