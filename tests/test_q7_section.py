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

from hw4.report.sections.q7 import REGION_NAMES, claims
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


def spread(value, undefined=0):
    """A randomisation row's summary over the maps, all at one value."""
    return {
        "median": value,
        "q1": value,
        "q3": value,
        "min": value,
        "max": value,
        "undefined": undefined,
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
        "provenance": {
            "created": "2026-01-01T00:00:00+00:00",
            "threads": {"intra_op_threads": 2, "inter_op_threads": 2},
        },
    }
    gradcam = {
        "layer": "conv_3",
        "layer_configured": False,
        "map_shape": [7, 7],
        "model_unchanged": True,
        # Image 2, a 5 classified as 8: its map for 5 (the true digit) peaks elsewhere
        # than its map for 8 (the figure's).
        "first_images": [
            {"index": 7, "true": 3, "predicted": 3, **peak, "true_class_peak": peak},
            {"index": 2, "true": 5, "predicted": 5, **peak, "true_class_peak": peak},
            {
                "index": 9,
                "true": 5,
                "predicted": 8,
                **peak,
                "true_class_peak": {**peak, "peak_cell": [4, 2], "region": "bottom-centre"},
            },
        ],
        "first_image_pairs": {
            "groups": [
                {
                    "digit": 5,
                    "positions": [1, 2],
                    "pairs": [{"first": 1, "second": 2, "spearman": 0.12}],
                }
            ],
            "other_digit": {
                "median": 0.4,
                "q1": 0.3,
                "q3": 0.5,
                "min": 0.2,
                "max": 0.6,
                "pairs": 2,
                "undefined": 0,
            },
        },
        "test_images": 10000,
        "test_correct": 9900,
        "all_zero_maps": 0,
        "class_peaks": [{"digit": d, "count": 990, **peak} for d in range(10)],
        "agreement": {"same_digit": 0.5, "other_digit": 0.3, "undefined_pairs": 0},
        "randomisation": {
            "images": 100,
            "rows": [
                {"step": 0, "randomised_down_to": "none", "spearman": 1.0, **spread(1.0)},
                {"step": 1, "randomised_down_to": "conv_3", "spearman": 0.1, **spread(0.1)},
            ],
            "final_spearman": 0.1,
            "final": {k: v for k, v in spread(0.1).items() if k != "undefined"},
            "median_below": 0.3,
            "verdict": "passes",
        },
        "deletion": {
            "images": 100,
            "pool": "ink",
            "fractions": [0.0, 0.25, 0.5],
            "auc": {"most": 0.4, "least": 0.9, "random": 0.95, "intensity": 0.5},
            "own_ranking": comparison("lower"),
            "comparisons": {name: comparison("lower") for name in ("random", "intensity")},
            "verdict": "beats_every_baseline",
        },
        "deletion_whole_image": {
            "images": 100,
            "pool": "image",
            "fractions": [0.0, 0.25, 0.5],
            "auc": {"most": 0.4, "least": 0.9, "random": 0.95, "random_ink": 0.3, "intensity": 0.2},
            "own_ranking": comparison("lower"),
            "comparisons": {
                "random": comparison("lower"),
                "random_ink": comparison("higher"),
                "intensity": comparison("higher"),
            },
            "verdict": "loses_to_a_baseline",
        },
        "provenance": {"created": "2026-01-01T00:00:00+00:00"},
    }
    return cnn, gradcam


def load_section(tmp_path, cnn, gradcam) -> dict:
    """The Q7 section's loader on these two artifacts and a two-epoch history."""
    paths = {name: tmp_path / f"{name}.json" for name in ("cnn_metrics", "gradcam_metrics")}
    paths["cnn_metrics"].write_text(json.dumps(cnn))
    paths["gradcam_metrics"].write_text(json.dumps(gradcam))
    history = tmp_path / "history.csv"
    with history.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["epoch", "val_accuracy"])
        writer.writeheader()
        writer.writerows([{"epoch": 1, "val_accuracy": 0.9}, {"epoch": 2, "val_accuracy": 0.95}])
    return q7_section({**paths, "cnn_history": history})


class Listing:
    """A stand-in for a code listing (the listings themselves are tested on the whole report)."""

    file, function, first_line, last_line = "scripts/hw4/methods/gradcam.py", "gradcam_maps", 1, 2
    html = "<pre>listing</pre>"


def render(tmp_path, cnn, gradcam, detail: bool = False) -> dict[str, str]:
    context = {
        "q7": load_section(tmp_path, cnn, gradcam),
        "original": yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text()),
        "figures": {name: f"{name}.png" for name in FIGURES},
        "listings": {"gradcam": Listing(), "q7_model": Listing()},
        "provenance": {"git": {"commit": "0" * 40, "dirty": False}},
    }
    context["claims"] = {claim.id: claim for claim in claims(context)}
    pages = {}
    for language in ("en", "fa"):
        html = render_section("q7.detail" if detail else "q7", language, context)
        assert "None" not in html and "nan" not in html.lower().replace("nano", "")
        pages[language] = re.sub(r"\s+", " ", html)
    return pages


@pytest.fixture
def default(tmp_path):
    return render(tmp_path, *artifacts())


def test_regions_in_each_language(tmp_path):
    detail = render(tmp_path, *artifacts(), detail=True)
    assert "middle left" in detail["en"]
    assert REGION_NAMES["fa"]["middle-left"] in detail["fa"]


def test_every_sub_question_has_its_heading_and_a_short_answer(default):
    for language, headings in {
        "en": ["(a) Data", "(b) Grad-CAM: the implementation", "(b) The heatmaps", "(b) Why the"],
        "fa": ["الف) داده", "پیاده‌سازی", "نقشه‌های حرارتی", "چرا همان رقم"],
    }.items():
        page = default[language]
        for heading in headings:
            assert heading in page, heading
        assert page.count("<h3>") == page.count('class="short-answer"') == 5
    assert "<pre>listing</pre>" in default["en"]


def test_the_same_digit_is_compared_directly(default):
    # Every repeated digit, each map for the true digit, the misclassified image named; no
    # two numerals side by side in Persian.
    assert "1 digit appears more than once: digit 5 in images 1 and 2." in default["en"]
    assert "image 2 is a 5 classified as 8, so its map here is not the figure's" in default["en"]
    assert "رقم ۵ در تصویرهای ۱ و ۲" in default["fa"]
    assert "تصویر ۲ رقم ۵ است و ۸ دسته‌بندی شده" in default["fa"]
    assert 'data-verdict="different_peaks"' in default["en"]
    assert 'data-verdict="below"' in default["en"]
    # The table: each image's brightest cell in its map for the true digit.
    assert "1, 0; 4, 2" in default["en"]
    assert not re.search(r"[۰-۹] [۰-۹]", re.sub(r"<[^>]+>", "", default["fa"]))


def test_each_digit_s_brightest_cell_is_in_the_body(default):
    body = default["en"]
    assert body.count('<tr><td class="n">') >= 10
    assert "brightest cell of the mean map" in body
    assert "Digit" not in body.split("short-answer")[1][:50]


def test_class_peaks_grammar_follows_the_number(tmp_path):
    cnn, gradcam = artifacts()
    en = render(tmp_path, cnn, gradcam)["en"]
    assert "No digit has more than half of its map's weight in the top half" in en
    gradcam["class_peaks"][7]["top_half_share"] = 0.6
    en = render(tmp_path, cnn, gradcam)["en"]
    assert "Digit 7 has more than half" in en and "1 digits" not in en
    gradcam["class_peaks"][9]["top_half_share"] = 0.6
    pages = render(tmp_path, cnn, gradcam)
    assert "Digits 7 and 9 have more than half" in pages["en"]
    assert "رقم‌های ۷ و ۹ بیش از نیمی" in pages["fa"]
    assert "digits 0, 1, 2, 3, 4, 5, 6, 7, 8 and 9 share row 1, column 0" in pages["en"]


def test_deletion_wording_flips(tmp_path, default):
    assert "Passes: over each image's ink pixels" in default["en"]
    assert "mean area 0.400 against 0.900" in default["en"]
    assert "قبول: روی پیکسل‌های جوهر" in default["fa"]
    cnn, gradcam = artifacts()
    losing = copy.deepcopy(gradcam)
    losing["deletion"]["comparisons"]["intensity"] = comparison("higher")
    losing["deletion"]["verdict"] = "loses_to_a_baseline"
    pages = render(tmp_path, cnn, losing)
    assert "intensity as the map lowers it faster still" in pages["en"]
    assert "رد: روی پیکسل‌های جوهر" in pages["fa"]
    tied = copy.deepcopy(gradcam)
    tied["deletion"]["comparisons"]["random"] = comparison("within_noise")
    tied["deletion"]["verdict"] = "within_noise"
    pages = render(tmp_path, cnn, tied)
    assert "cannot be told from random order" in pages["en"]
    assert "در حد نوفه" in pages["fa"]


def test_a_map_no_better_than_its_reverse_fails_the_deletion_check(tmp_path):
    """Most-first no faster than least-first fails, whatever it does against random order;
    the numbers are said, in the body and in both languages."""
    cnn, gradcam = artifacts()
    gradcam["deletion"]["auc"].update(most=0.664, least=0.657)
    gradcam["deletion"]["own_ranking"] = comparison("within_noise")
    gradcam["deletion"]["verdict"] = "ranking_fails"
    pages = render(tmp_path, cnn, gradcam)
    assert 'data-verdict="ranking_fails"' in pages["en"]
    assert "not clearly faster than deleting its least highlighted first" in pages["en"]
    assert "mean area 0.664 against 0.657" in pages["en"]
    assert "میانگین سطح ۰٫۶۶۴ در برابر ۰٫۶۵۷" in pages["fa"]
    detail = render(tmp_path, cnn, gradcam, detail=True)
    assert 'Grad-CAM, least highlighted first</span></td><td class="n">0.657</td>' in (
        detail["en"].replace("> <", "><")
    )


def test_randomisation_wording_flips_and_undefined_is_said(tmp_path, default):
    assert "Passes: with every layer re-initialised" in default["en"]
    cnn, gradcam = artifacts()
    failing = copy.deepcopy(gradcam)
    failing["randomisation"].update(verdict="fails")
    failing["randomisation"]["final"]["median"] = 0.8
    pages = render(tmp_path, cnn, failing)
    assert "0.80" in pages["en"] and "not below the 0.3 threshold" in pages["en"]
    assert "رد: پس از تصادفی شدن" in pages["fa"]
    undefined = copy.deepcopy(gradcam)
    undefined["randomisation"].update(verdict="undefined")
    undefined["randomisation"]["final"] = {k: None for k in undefined["randomisation"]["final"]}
    undefined["randomisation"]["rows"][1].update(spread(None, undefined=100))
    undefined["agreement"].update(same_digit=None, other_digit=None)
    undefined["class_peaks"][0].update(peak_cell=None, region=None, top_half_share=None)
    pages = render(tmp_path, cnn, undefined)
    assert "all 100 maps were zero everywhere" in pages["en"] and "تعریف‌نشده" in pages["fa"]
    assert "Only 9 of the 10 digits have a non-zero mean map" in pages["en"]
    assert "zero map" in pages["en"]  # the digits' table, in the body
    detail = render(tmp_path, cnn, undefined, detail=True)
    assert "undefined" in detail["en"]


def test_shuffle_and_overfitting_wording_flip(tmp_path, default):
    assert "the first digits shown are the ones the hand-in showed" in default["en"]
    assert 'data-verdict="small_gap"' in default["en"]
    cnn, gradcam = artifacts()
    cnn.update(handin_order=False, shuffle_seed=3, test_accuracy=0.95)
    pages = render(tmp_path, cnn, gradcam)
    assert "seed 3" in pages["en"] and "are not the hand-in's" in pages["en"]
    assert "this run overfits" in pages["en"] and "بیش‌برازش نشان می‌دهد" in pages["fa"]
    cnn.update(test_accuracy=0.999, train_accuracy=0.9)
    pages = render(tmp_path, cnn, gradcam)
    assert "The test accuracy is 9.9 percentage points above" in pages["en"]
    assert "−" not in pages["en"].split("percentage points")[0][-20:]


def test_speed_is_compared_in_images_per_second(default):
    assert "images/s" in default["en"] and "hardware not stated" in default["en"]
    assert "تصویر در ثانیه" in default["fa"]


def test_no_raw_subscripts_or_latin_exponents_in_persian(default):
    for raw in ("A_k", "y_c", "h_{", "e-0"):
        assert raw not in re.sub(
            # A formula's invisible plain-text twin (what copying gives) is not prose.
            r"<svg.*?</svg>|<title>.*?</title>|alt=\"[^\"]*\"|<span class=\"math-text\"[^>]*>.*?</span>",
            "",
            default["fa"],
        )


def test_the_test_accuracy_is_printed_with_its_interval(default):
    from hw4.methods.proportion_interval import wilson_interval

    cnn, _ = artifacts()
    low, high = wilson_interval(cnn["test_accuracy"], cnn["test_images"])
    assert f"[{low:.4f}, {high:.4f}]" in default["en"]
    persian = str.maketrans("0123456789.", "۰۱۲۳۴۵۶۷۸۹٫")
    assert f"با بازهٔ ۹۵٪ از {f'{low:.4f}'.translate(persian)} تا" in default["fa"]


def test_threads_a_backend_cannot_pin_are_said_so(tmp_path, default):
    """JAX fixes its thread pools at import: the run records None, the page says so."""
    assert "2 threads" in default["en"] and "٢ رشته" in default["fa"].replace("۲", "٢")
    cnn, gradcam = artifacts()
    cnn["provenance"]["threads"] = {
        "intra_op_threads": None,
        "inter_op_threads": None,
        "not_pinned": "threads not pinned (the jax backend has no setting for them)",
    }
    pages = render(tmp_path, cnn, gradcam)
    assert "threads not pinned" in pages["en"] and "ثابت" in pages["fa"]


def test_the_cascade_says_when_the_median_rises_on_the_way():
    from hw4.report.sections.q7 import cascade_claim

    def rows(*medians):
        return [{"step": 0, "randomised_down_to": "none", "median": 1.0}] + [
            {"step": k, "randomised_down_to": f"layer_{k}", "median": m}
            for k, m in enumerate(medians, start=1)
        ]

    rising = cascade_claim(rows(0.18, 0.33, 0.08, 0.26, 0.22, 0.16))
    assert rising.verdict == "not_steadily" and rising.values["rises"] == [2, 4]
    assert cascade_claim(rows(0.5, 0.3, 0.3, 0.1)).verdict == "falls_steadily"
    assert cascade_claim(rows(0.5, None)).verdict == "undefined"
