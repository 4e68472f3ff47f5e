"""Q7's claims: each verdict is reachable, chosen by the values, and renders in both languages."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import yaml
from claimtools import claims_in, numbers_of
from conftest import REPO
from test_q7_section import artifacts, comparison, load_section

from hw4.report.claims import load_catalogue, render_claim
from hw4.report.render import make_environment
from hw4.report.sections.q7 import (
    claims,
    same_digit_groups,
    same_digit_verdicts,
    shared_peaks,
    train_versus_test_verdict,
)

ORIGINAL = yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text())
TEMPLATES = REPO / "report" / "templates"


def made(tmp_path, cnn, gradcam) -> dict:
    context = {"q7": load_section(tmp_path, cnn, gradcam), "original": ORIGINAL}
    return {claim.id: claim for claim in claims(context)}


def verdicts(tmp_path, cnn, gradcam) -> dict[str, str]:
    return {claim_id: claim.verdict for claim_id, claim in made(tmp_path, cnn, gradcam).items()}


def test_every_verdict_of_every_claim_renders_in_both_languages(tmp_path):
    environment = make_environment(TEMPLATES)
    catalogue = load_catalogue(REPO / "report" / "claims")
    for claim in made(tmp_path, *artifacts()).values():
        for verdict in catalogue[claim.id]["verdicts"]:
            flipped = replace(claim, verdict=verdict)
            texts = {}
            for language in ("fa", "en"):
                text = str(render_claim(environment, catalogue, flipped, language))
                assert "None" not in text and "nan" not in text.lower()
                if language == "fa":
                    # Persian numbers in Persian digits, no Latin digit outside a code run.
                    assert "e-0" not in text
                texts[language] = claims_in(text)[0]["text"]
            # Both languages print the same numbers.
            assert numbers_of(texts["fa"]) == numbers_of(texts["en"]), (claim.id, verdict)


@pytest.mark.parametrize(
    ("train", "test", "images", "verdict"),
    [
        (0.998, 0.90, 10000, "overfitting"),
        (0.998, 0.99, 10000, "small_gap"),
        (0.95, 0.94, 500, "within_noise"),
        (0.90, 0.99, 10000, "test_above_train"),
    ],
)
def test_train_versus_test_is_decided_by_the_intervals(train, test, images, verdict):
    assert train_versus_test_verdict(train, images, test, images) == verdict


def test_speed_compares_images_per_second(tmp_path):
    cnn, gradcam = artifacts()
    claim = made(tmp_path, cnn, gradcam)["q7.speed_versus_original"]
    theirs = ORIGINAL["mnist"]["train_images"] / ORIGINAL["cnn"]["seconds_per_epoch"]
    assert claim.values["theirs"] == pytest.approx(theirs)
    assert claim.values["ours"] == pytest.approx(54000 / 5.0)
    assert claim.verdict == "faster"
    cnn["seconds_per_epoch"] = 200.0
    assert verdicts(tmp_path, cnn, gradcam)["q7.speed_versus_original"] == "slower"


def group(digit, cells, correlations):
    return {
        "digit": digit,
        "cells": cells,
        "same_cell": None not in cells and len({tuple(c) for c in cells}) == 1,
        "correlations": correlations,
    }


def test_same_digit_verdicts_cover_every_repeated_digit():
    same = group(5, [[1, 1], [1, 1]], [0.5])
    different = group(6, [[1, 1], [4, 2]], [0.6])
    assert same_digit_verdicts([same], 0.3) == ("same_peak", "above")
    assert same_digit_verdicts([different], 0.7) == ("different_peaks", "below")
    # One digit alike, another not: neither "same" nor "different" holds for all.
    assert same_digit_verdicts([same, different], 0.55) == ("some_same", "mixed")
    assert same_digit_verdicts([], 0.3) == ("no_repeat", "no_repeat")
    zero = group(5, [None, [1, 1]], [None])
    assert same_digit_verdicts([zero, same], 0.3) == ("undefined", "undefined")
    assert same_digit_verdicts([same], None) == ("same_peak", "undefined")


def test_same_digit_groups_use_the_true_digit_s_maps():
    peak = {"peak_cell": [1, 1], "region": "top-left", "top_half_share": 0.5}
    other = {"peak_cell": [4, 2], "region": "bottom-centre", "top_half_share": 0.2}
    images = [
        {"true": 5, "predicted": 5, **peak, "true_class_peak": peak},
        {"true": 9, "predicted": 9, **peak, "true_class_peak": peak},
        # Classified as 8: the figure's map (for 8) peaks at [1, 1], the map for 5 elsewhere.
        {"true": 5, "predicted": 8, **peak, "true_class_peak": other},
    ]
    pairs = {
        "groups": [
            {"digit": 5, "positions": [0, 2], "pairs": [{"first": 0, "second": 2, "spearman": 0.2}]}
        ]
    }
    (found,) = same_digit_groups(images, pairs)
    assert found["cells"] == [[1, 1], [4, 2]] and not found["same_cell"]
    assert found["regions_en"] == ["top left", "bottom centre"]
    assert found["misclassified"] == [{"position": 2, "predicted": 8}]
    assert found["correlations"] == [0.2]


def test_shared_peaks_name_the_digits_of_each_shared_cell():
    peaks = [{"digit": d, "peak_cell": c} for d, c in enumerate([[3, 3], [1, 1], [3, 3], None])]
    assert shared_peaks(peaks) == [{"cell": [3, 3], "digits": [0, 2]}]


def test_same_digit_claims_in_the_preview_s_shape(tmp_path):
    """Three repeated digits (6, 5 and 9), one image misclassified: every digit is compared."""
    cnn, gradcam = artifacts()
    peak = {"peak_cell": [1, 1], "region": "top-left", "top_half_share": 0.3}
    other = {**peak, "peak_cell": [4, 2], "region": "bottom-centre"}
    labels = [6, 8, 5, 6, 2, 9, 4, 5, 0, 9]
    gradcam["first_images"] = [
        {
            "index": i,
            "true": t,
            "predicted": 8 if i == 2 else t,
            **peak,
            "true_class_peak": other if i in (3, 9) else peak,
        }
        for i, t in enumerate(labels)
    ]
    correlations = {5: 0.85, 6: 0.66, 9: 0.27}
    gradcam["first_image_pairs"]["groups"] = [
        {
            "digit": d,
            "positions": [i for i, t in enumerate(labels) if t == d],
            "pairs": [{"first": 0, "second": 1, "spearman": correlations[d]}],
        }
        for d in (5, 6, 9)
    ]
    gradcam["first_image_pairs"]["other_digit"].update(median=0.36, pairs=42)
    found = made(tmp_path, cnn, gradcam)
    peaks, correlation = found["q7.same_digit_peaks"], found["q7.same_digit_correlation"]
    assert peaks.verdict == "some_same" and peaks.values["same_cell_count"] == 1
    assert [g["digit"] for g in peaks.values["groups"]] == [5, 6, 9]
    assert peaks.values["misclassified"] == [{"position": 2, "predicted": 8, "digit": 5}]
    assert correlation.verdict == "mixed" and correlation.values["above"] == 2
    assert (correlation.values["low"], correlation.values["high"]) == (0.27, 0.85)


def test_map_and_check_verdicts_flip_with_the_artifact(tmp_path):
    cnn, gradcam = artifacts()
    found = verdicts(tmp_path, cnn, gradcam)
    assert found["q7.class_peaks"] == "shared"
    assert found["q7.randomisation"] == "passes"
    assert found["q7.deletion"] == "beats_every_baseline"
    assert found["q7.maps_alike_test"] == "more_alike"
    changed = copy.deepcopy(gradcam)
    for digit, peak in enumerate(changed["class_peaks"]):
        peak["peak_cell"] = [digit % 7, digit // 7]
    changed["randomisation"].update(verdict="fails")
    changed["randomisation"]["final"]["median"] = 0.6
    changed["deletion"]["comparisons"]["intensity"] = comparison("higher")
    changed["deletion"]["verdict"] = "loses_to_a_baseline"
    changed["agreement"].update(same_digit=0.2, other_digit=0.3)
    found = made(tmp_path, cnn, changed)
    assert found["q7.class_peaks"].verdict == "all_distinct"
    assert found["q7.randomisation"].verdict == "fails"
    assert found["q7.deletion"].verdict == "loses_to_a_baseline"
    changed["deletion"]["verdict"] = "ranking_fails"
    assert verdicts(tmp_path, cnn, changed)["q7.deletion"] == "ranking_fails"
    assert found["q7.deletion"].values["ahead"]["en"] == "the image's intensity as the map"
    assert found["q7.deletion"].values["ahead_count"] == 1
    assert found["q7.maps_alike_test"].verdict == "not_more_alike"
    changed["class_peaks"][3].update(peak_cell=None, region=None, top_half_share=None)
    assert verdicts(tmp_path, cnn, changed)["q7.class_peaks"] == "some_without_peak"


def test_two_of_three_images_sharing_a_peak_is_some_shared_not_different():
    from hw4.report.sections.q7 import same_digit_verdicts

    def group(*cells):
        return {"cells": [list(c) for c in cells], "correlations": [0.5]}

    assert same_digit_verdicts([group((6, 3), (6, 3), (4, 2))], 0.3)[0] == "some_same"
    assert same_digit_verdicts([group((6, 3), (6, 3))], 0.3)[0] == "same_peak"
    assert same_digit_verdicts([group((6, 3), (5, 3), (4, 2))], 0.3)[0] == "different_peaks"
