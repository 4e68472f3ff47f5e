"""Q7's claims: each verdict is reachable, chosen by the values, and renders in both languages."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import yaml
from conftest import REPO
from test_q7_section import artifacts, comparison, load_section

from hw4.report.claims import load_catalogue, render_claim
from hw4.report.render import make_environment
from hw4.report.sections.q7 import (
    claims,
    largest_repeated_group,
    same_digit_verdicts,
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
            for language in ("fa", "en"):
                text = str(render_claim(environment, catalogue, flipped, language))
                assert "None" not in text and "nan" not in text.lower()
                if language == "fa":
                    # Persian numbers in Persian digits, no Latin digit outside a code run.
                    assert "e-0" not in text


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


def pairs(digit_labels, correlations, other_median=0.3):
    return {
        "groups": [
            {
                "digit": 5,
                "positions": digit_labels,
                "pairs": [{"first": 0, "second": 1, "spearman": c} for c in correlations],
            }
        ],
        "other_digit": {"median": other_median, "min": 0.0, "max": 0.6, "pairs": 30},
    }


def test_same_digit_verdicts_follow_the_cells_and_correlations():
    images = [{"peak_cell": [1, 1]}, {"peak_cell": [1, 1]}, {"peak_cell": [4, 2]}]
    group = largest_repeated_group(pairs([0, 2], [0.1]))
    assert same_digit_verdicts(group, images, {"median": 0.3}) == ("different_peaks", "below")
    group = largest_repeated_group(pairs([0, 1], [0.5, 0.6]))
    assert same_digit_verdicts(group, images, {"median": 0.3}) == ("same_peak", "above")
    group = largest_repeated_group(pairs([0, 1, 2], [0.1, 0.6, 0.4]))
    assert same_digit_verdicts(group, images, {"median": 0.3}) == ("different_peaks", "mixed")
    assert same_digit_verdicts(None, images, {"median": 0.3}) == ("no_repeat", "no_repeat")
    zero = [{"peak_cell": None}, {"peak_cell": [1, 1]}]
    group = largest_repeated_group(pairs([0, 1], [None]))
    assert same_digit_verdicts(group, zero, {"median": 0.3}) == ("undefined", "undefined")


def test_the_most_repeated_digit_is_compared():
    three = {"digit": 5, "positions": [0, 3, 7], "pairs": []}
    two = {"digit": 1, "positions": [1, 2], "pairs": []}
    assert largest_repeated_group({"groups": [two, three]})["digit"] == 5
    assert largest_repeated_group({"groups": []}) is None


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
    assert found["q7.deletion"].values["ahead"]["en"] == "the image's intensity as the map"
    assert found["q7.deletion"].values["ahead_count"] == 1
    assert found["q7.maps_alike_test"].verdict == "not_more_alike"
    changed["class_peaks"][3].update(peak_cell=None, region=None, top_half_share=None)
    assert verdicts(tmp_path, cnn, changed)["q7.class_peaks"] == "some_without_peak"
