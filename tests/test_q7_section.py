"""The Q7 section says what this run measured: its verdicts flip with the artifacts, Persian prose
names regions in Persian, and undefined checks are said so (never None or NaN on the page)."""

from __future__ import annotations

import copy
import csv
import json
import re

import pytest
import yaml
from conftest import REPO
from sections import render_section

from hw4.report.sections.q7 import REGION_NAMES
from hw4.report.sections.q7 import load as q7_section

FIGURES = [
    "cnn_digits",
    "cnn_curves",
    "cnn_confusion",
    "gradcam_grid",
    "gradcam_classes",
    "gradcam_sanity",
    "gradcam_deletion",
]


def comparison(verdict):
    difference = {"lower": -0.1, "higher": 0.1, "within_noise": 0.0}[verdict]
    return {
        "difference": difference,
        "low": difference - 0.02,
        "high": difference + 0.02,
        "verdict": verdict,
    }


def artifacts():
    peak = {"peak_cell": [1, 0], "region": "middle-left", "top_half_share": 0.4}
    cnn = {
        "test_accuracy": 0.99,
        "test_loss": 0.03,
        "train_accuracy": 0.998,
        "val_accuracy": 0.99,
        "epochs": 15,
        "batch_size": 64,
        "shuffle_seed": 0,
        "handin_order": True,
        "train_images": 54000,
        "val_images": 6000,
        "test_images": 10000,
        "seconds_per_epoch": 5.0,
        "images_per_second": 12000.0,
        "params": 147402,
        "layers": [{"name": "conv_1", "output_shape": [28, 28, 32], "params": 320}],
        "confusion_matrix": [[1]],
        "device": "CPU: test",
        "provenance": {"created": "2026-01-01T00:00:00+00:00"},
    }
    gradcam = {
        "layer": "conv_3",
        "layer_configured": False,
        "map_shape": [7, 7],
        "model_unchanged": True,
        "first_images": [{"index": 7, "true": 3, "predicted": 3, **peak}],
        "test_images": 10000,
        "test_correct": 9900,
        "all_zero_maps": 0,
        "class_peaks": [{"digit": d, "count": 990, **peak} for d in range(10)],
        "agreement": {"same_digit": 0.5, "other_digit": 0.3, "undefined_pairs": 0},
        "randomisation": {
            "images": 100,
            "rows": [
                {"step": 0, "randomised_down_to": "none", "spearman": 1.0, "undefined": 0},
                {"step": 1, "randomised_down_to": "conv_3", "spearman": 0.1, "undefined": 0},
            ],
            "final_spearman": 0.1,
            "verdict": "passes",
        },
        "deletion": {
            "images": 100,
            "fractions": [0.0, 0.25, 0.5],
            "auc": {"most": 0.4, "least": 0.9, "random": 0.95, "random_ink": 0.6, "intensity": 0.5},
            "comparisons": {
                name: comparison("lower") for name in ("random", "random_ink", "intensity")
            },
            "verdict": "beats_every_baseline",
        },
        "provenance": {"created": "2026-01-01T00:00:00+00:00"},
    }
    return cnn, gradcam


def render(tmp_path, cnn, gradcam) -> dict[str, str]:
    paths = {name: tmp_path / f"{name}.json" for name in ("cnn_metrics", "gradcam_metrics")}
    paths["cnn_metrics"].write_text(json.dumps(cnn))
    paths["gradcam_metrics"].write_text(json.dumps(gradcam))
    history = tmp_path / "history.csv"
    with history.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["epoch", "val_accuracy"])
        writer.writeheader()
        writer.writerows([{"epoch": 1, "val_accuracy": 0.9}, {"epoch": 2, "val_accuracy": 0.95}])
    context = {
        "q7": q7_section({**paths, "cnn_history": history}),
        "original": yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text()),
        "figures": {name: f"{name}.png" for name in FIGURES},
    }
    pages = {}
    for language in ("en", "fa"):
        html = render_section("q7", language, context)
        assert "None" not in html and "nan" not in html.lower().replace("nano", "")
        pages[language] = re.sub(r"\s+", " ", html)
    return pages


@pytest.fixture
def default(tmp_path):
    return render(tmp_path, *artifacts())


def test_regions_in_each_language(default):
    assert "middle left" in default["en"]
    assert REGION_NAMES["fa"]["middle-left"] in default["fa"]
    for english in REGION_NAMES["en"].values():
        assert english not in default["fa"]


def test_deletion_wording_flips(tmp_path, default):
    assert "The maps pass the deletion check" in default["en"]
    assert "نقشه‌ها آزمون حذف را می‌گذرانند" in default["fa"]
    cnn, gradcam = artifacts()
    losing = copy.deepcopy(gradcam)
    losing["deletion"]["comparisons"]["intensity"] = comparison("higher")
    losing["deletion"]["verdict"] = "loses_to_a_baseline"
    pages = render(tmp_path, cnn, losing)
    assert "The maps do not pass the deletion check: the image" in pages["en"]
    assert "intensity as the map lowers the class probability faster" in pages["en"]
    assert "نقشه‌ها آزمون حذف را نمی‌گذرانند" in pages["fa"]
    tied = copy.deepcopy(gradcam)
    tied["deletion"]["comparisons"]["random_ink"] = comparison("within_noise")
    tied["deletion"]["verdict"] = "within_noise"
    pages = render(tmp_path, cnn, tied)
    assert "cannot tell the maps from random ink pixels" in pages["en"]
    assert "در حد نوفه" in pages["fa"]


def test_randomisation_wording_flips_and_undefined_is_said(tmp_path, default):
    assert "pass the check" in default["en"]
    cnn, gradcam = artifacts()
    failing = copy.deepcopy(gradcam)
    failing["randomisation"].update(final_spearman=0.8, verdict="fails")
    failing["randomisation"]["rows"][1]["spearman"] = 0.8
    pages = render(tmp_path, cnn, failing)
    assert "they fail the check" in pages["en"] and "نمی‌گذرانند" in pages["fa"]
    undefined = copy.deepcopy(gradcam)
    undefined["randomisation"].update(final_spearman=None, verdict="undefined")
    undefined["randomisation"]["rows"][1].update(spearman=None, undefined=100)
    undefined["agreement"].update(same_digit=None, other_digit=None)
    undefined["class_peaks"][0].update(peak_cell=None, region=None, top_half_share=None)
    pages = render(tmp_path, cnn, undefined)
    assert "the correlation is undefined" in pages["en"] and "تعریف‌نشده" in pages["fa"]
    assert "100 such pairs over all steps are left out" in pages["en"]
    assert "no non-zero map" in pages["en"]


def test_shuffle_and_overfitting_wording_flip(tmp_path, default):
    assert "the first digits shown are the ones the hand-in showed" in default["en"]
    assert "no marked overfitting" in default["en"]
    cnn, gradcam = artifacts()
    cnn.update(handin_order=False, shuffle_seed=3, test_accuracy=0.95)
    pages = render(tmp_path, cnn, gradcam)
    assert "RandomState(3)" in pages["en"] and "are not the hand-in's" in pages["en"]
    assert "shows overfitting" in pages["en"] and "بیش‌برازش است" in pages["fa"]
    cnn.update(test_accuracy=0.999, train_accuracy=0.9)
    pages = render(tmp_path, cnn, gradcam)
    assert "9.9 percentage points above the last epoch" in pages["en"]
    assert "−" not in pages["en"].split("percentage points")[0][-20:]
