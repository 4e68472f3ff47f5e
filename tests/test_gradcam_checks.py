"""The checks of saliency maps: randomisation, deletion against baselines that can fail on MNIST,
paired verdicts, peak description; all-zero maps never give NaN."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from test_gradcam import small_trained_q7, tiny_model  # noqa: E402

from hw4.methods.gradcam import gradcam_maps  # noqa: E402
from hw4.methods.gradcam_checks import (  # noqa: E402
    DELETION_ORDERS,
    area_under,
    compare_to_baseline,
    deletion_curves,
    deletion_orders,
    describe_peak,
    mean_defined,
    randomisation_check,
    same_digit_pairs,
    spearman,
    spread,
    within_class_agreement,
)


def test_randomisation_check_on_a_tiny_model():
    model = tiny_model()
    images = np.random.default_rng(2).normal(size=(8, 4, 4, 1)).astype("float32")
    classes = np.zeros(8, int)
    rows = randomisation_check(model, images, classes, seed=3)
    assert [r["randomised_down_to"] for r in rows] == ["none", "out", "conv"]
    assert rows[0]["spearman"] == 1.0 and rows[0]["median"] == 1.0
    assert all(-1 <= r["spearman"] <= 1 for r in rows)
    # The spread over the maps: min <= q1 <= median <= q3 <= max at every step.
    for r in rows:
        assert r["min"] <= r["q1"] <= r["median"] <= r["q3"] <= r["max"]
    # The original model's weights are untouched by the check (it works on a clone).
    maps_after, _, _ = gradcam_maps(model, images, classes)
    maps_before, _, _ = gradcam_maps(tiny_model(), images, classes)
    np.testing.assert_allclose(maps_after, maps_before)


def test_deletion_curves_shapes_and_order_over_the_whole_image():
    model = tiny_model()
    images = np.random.default_rng(4).random((6, 4, 4, 1)).astype("float32")
    classes = np.zeros(6, int)
    saliency = images[..., 0]  # brightest pixels first
    fractions = np.linspace(0, 1, 5)
    curves = deletion_curves(model, images, classes, saliency, fractions, pool="image")
    assert set(curves) == set(DELETION_ORDERS["image"])
    assert all(c.shape == (5, 6) for c in curves.values())
    # With everything removed, every order sees the same (blank) image.
    np.testing.assert_allclose(curves["most"][-1], curves["least"][-1], rtol=1e-5)
    np.testing.assert_allclose(curves["most"][0], curves["random"][0], rtol=1e-5)
    # A map equal to the image deletes in the intensity baseline's order.
    np.testing.assert_allclose(curves["most"], curves["intensity"], rtol=1e-5)
    areas = {name: area_under(c, fractions) for name, c in curves.items()}
    assert all(a.shape == (6,) and (0 <= a).all() and (a <= 1).all() for a in areas.values())


def ink_images():
    """Two 4x4 images with four ink pixels each (indices 5, 6, 9, 10), of different shades."""
    images = np.zeros((2, 4, 4, 1), "float32")
    images[:, 1:3, 1:3, 0] = [[0.2, 0.4], [0.6, 0.8]]
    return images


def test_random_ink_deletes_ink_before_background():
    orders = deletion_orders(ink_images(), np.zeros((2, 4, 4)), seed=0, pool="image")
    ink = {5, 6, 9, 10}
    for row in orders["random_ink"]:
        assert set(row[:4].tolist()) == ink
    assert not all(set(row[:4].tolist()) == ink for row in orders["random"])


def test_every_order_over_the_ink_pool_deletes_only_ink():
    """Over the ink, each order lists the same four ink pixels first, in its own order: a map
    that is brightest on the background still deletes ink."""
    background_map = np.ones((2, 4, 4))
    background_map[:, 1:3, 1:3] = 0.0
    orders = deletion_orders(ink_images(), background_map, seed=0, pool="ink")
    assert set(orders) == set(DELETION_ORDERS["ink"])
    for order in orders.values():
        for row in order:
            assert set(row[:4].tolist()) == {5, 6, 9, 10}
    assert orders["intensity"][0][:4].tolist() == [10, 9, 6, 5]  # brightest ink first
    with pytest.raises(ValueError, match="deletion pool"):
        deletion_orders(ink_images(), background_map, seed=0, pool="background")


def test_the_ink_pool_deletes_a_fraction_of_each_image_s_ink():
    """Half of the ink is two of four pixels; all of it leaves a blank image for every order."""
    model = tiny_model()
    images = ink_images()
    classes = np.zeros(2, int)
    fractions = np.array([0.0, 0.5, 1.0])
    curves = deletion_curves(model, images, classes, images[..., 0], fractions, pool="ink")
    blank = model.predict(np.zeros_like(images), verbose=0)[:, 0]
    for curve in curves.values():
        np.testing.assert_allclose(curve[-1], blank, rtol=1e-5)
    half = images.copy()
    half[:, 2, 1:3, 0] = 0.0  # the two brightest ink pixels, as 'most' (the map is the image)
    np.testing.assert_allclose(curves["most"][1], model.predict(half, verbose=0)[:, 0], rtol=1e-5)


def test_same_digit_pairs_compare_the_repeated_digit_directly():
    ramp = np.arange(9.0).reshape(3, 3)
    maps = np.stack([ramp, ramp, ramp[::-1, ::-1], ramp.T])
    pairs = same_digit_pairs(maps, np.array([5, 5, 5, 1]))
    (group,) = pairs["groups"]
    assert group["digit"] == 5 and group["positions"] == [0, 1, 2]
    assert [(p["first"], p["second"]) for p in group["pairs"]] == [(0, 1), (0, 2), (1, 2)]
    assert group["pairs"][0]["spearman"] == pytest.approx(1.0)
    assert group["pairs"][1]["spearman"] == pytest.approx(-1.0)
    assert pairs["other_digit"]["pairs"] == 3 and pairs["other_digit"]["undefined"] == 0
    assert same_digit_pairs(maps, np.array([0, 1, 2, 3]))["groups"] == []


def test_spread_over_the_maps():
    assert spread([None, None])["median"] is None
    summary = spread([0.0, 1.0, None, 0.5, 0.25])
    assert summary == {"median": 0.375, "q1": 0.1875, "q3": 0.625, "min": 0.0, "max": 1.0}


def test_comparison_verdicts_flip_with_the_measurements():
    rng = np.random.default_rng(0)
    baseline = rng.random(50)
    assert compare_to_baseline(baseline - 0.2, baseline)["verdict"] == "lower"
    assert compare_to_baseline(baseline + 0.2, baseline)["verdict"] == "higher"
    noisy = baseline + rng.normal(0, 0.2, 50)
    noisy += baseline.mean() - noisy.mean()
    comparison = compare_to_baseline(noisy, baseline)
    assert comparison["verdict"] == "within_noise" and comparison["low"] < 0 < comparison["high"]


def test_all_zero_maps_give_no_nan():
    zeros, ramp = np.zeros((3, 3)), np.arange(9.0).reshape(3, 3)
    assert spearman(zeros, ramp) is None
    assert mean_defined([None, None]) == (None, 2)
    assert describe_peak(zeros) == {"peak_cell": None, "region": None, "top_half_share": None}
    agreement = within_class_agreement(np.zeros((6, 3, 3)), np.array([0, 0, 0, 1, 1, 1]))
    assert agreement["same_digit"] is None and agreement["undefined_pairs"] > 0
    # A model whose maps are all zero (blank images, no bias): the check says undefined, no NaN.
    rows = randomisation_check(tiny_model(), np.zeros((4, 4, 4, 1), "float32"), np.zeros(4, int))
    assert rows[-1]["spearman"] is None and rows[-1]["undefined"] == 4
    assert rows[-1]["median"] is None
    json.dumps(rows, allow_nan=False)


def test_describe_peak():
    cam = np.zeros((7, 7))
    cam[0, 6] = 1
    assert describe_peak(cam)["region"] == "top-right"
    assert describe_peak(cam)["top_half_share"] == 1.0
    cam = np.zeros((7, 7))
    cam[3, 3] = 1
    assert describe_peak(cam)["region"] == "middle-centre"
    # By the cell's centre: row and column 2 of 7 lie mostly in the middle third, 1 and 5 not.
    for (row, column), region in {
        (2, 2): "middle-centre",
        (1, 5): "top-right",
        (4, 1): "middle-left",
        (5, 0): "bottom-left",
    }.items():
        cam = np.zeros((7, 7))
        cam[row, column] = 1
        assert describe_peak(cam)["region"] == region, (row, column)


@pytest.mark.slow
def test_the_deletion_check_can_fail():
    """A map that points at the background is slower than its own reverse; the image itself
    ties with the intensity baseline."""
    from hw4.methods.mnist_cnn import scale_images
    from hw4.steps.gradcam import deletion_verdict

    model, data, _ = small_trained_q7()
    images = scale_images(data["x_test"][:60])
    classes = model.predict(images, verbose=0).argmax(axis=1)
    fractions = np.linspace(0, 0.5, 6)
    verdicts = {}
    for name, saliency in {
        "background": 1 - images[..., 0],
        "intensity": images[..., 0],
    }.items():
        curves = deletion_curves(model, images, classes, saliency, fractions, seed=0, pool="image")
        areas = {order: area_under(c, fractions) for order, c in curves.items()}
        comparisons = {
            b: compare_to_baseline(areas["most"], areas[b]) for b in ("random_ink", "intensity")
        }
        own_ranking = compare_to_baseline(areas["most"], areas["least"])
        verdicts[name] = deletion_verdict(own_ranking, comparisons)
    # Background first is slower than its own reverse (ink first): the ranking fails.
    assert verdicts["background"] == "ranking_fails"
    assert verdicts["intensity"] != "beats_every_baseline"
