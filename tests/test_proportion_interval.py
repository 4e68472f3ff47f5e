"""The 95 % Wilson interval of a test accuracy, and comparisons of two accuracies by it."""

from __future__ import annotations

import pytest

from hw4.methods.proportion_interval import compare_shares, wilson_interval


@pytest.mark.parametrize(
    ("share", "trials", "low", "high"),
    [
        # The score (Wilson) intervals of Newcombe's examples (1998, Statistics in Medicine
        # 17:857-872, table I): 81 of 263, 15 of 148, 0 of 20, 1 of 29.
        (81 / 263, 263, 0.2553, 0.3662),
        (15 / 148, 148, 0.0624, 0.1605),
        (0.0, 20, 0.0, 0.1611),
        (1 / 29, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(share, trials, low, high):
    interval = wilson_interval(share, trials)
    assert interval == pytest.approx([low, high], abs=5e-5)


def test_interval_holds_the_share_and_narrows_with_more_images():
    small = wilson_interval(0.95, 1000)
    large = wilson_interval(0.95, 10000)
    assert small[0] < 0.95 < small[1] and large[0] < 0.95 < large[1]
    assert large[1] - large[0] < small[1] - small[0]
    # About 1.96 binomial standard errors either side on 1,000 images (0.0069 each).
    assert small[1] - small[0] == pytest.approx(2 * 1.96 * (0.95 * 0.05 / 1000) ** 0.5, rel=0.05)
    assert wilson_interval(1.0, 50)[1] == 1.0


@pytest.mark.parametrize(("share", "trials"), [(1.2, 10), (-0.1, 10), (0.5, 0), (0.5, 2.5)])
def test_impossible_shares_and_counts_are_refused(share, trials):
    with pytest.raises(ValueError, match="proportion|trials"):
        wilson_interval(share, trials)


def test_comparison_says_within_the_noise_only_when_the_intervals_overlap():
    close = compare_shares(0.9500, 1000, 0.9466, 10000)
    assert close["verdict"] == "within_noise" and close["overlap"] and close["higher"] == "first"
    apart = compare_shares(0.99, 10000, 0.9466, 10000)
    assert apart["verdict"] == "higher" and not apart["overlap"]
    assert apart["difference"] == pytest.approx(0.0434)
    assert compare_shares(0.9466, 10000, 0.99, 10000)["verdict"] == "lower"
    assert compare_shares(0.9, 100, 0.9, 100)["higher"] == "equal"
