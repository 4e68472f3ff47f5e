"""The Q3 and data sections of the report, rendered from real (tiny) Q3 artifacts: the words
follow the configured target, unit and features, and gaps and zero readings are said, counted."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

import pytest
import yaml
from conftest import REPO
from sections import render_section
from test_consumption import CASES, case_settings
from test_lstm_steps import DEVICE, SETTINGS, as_if_chosen

from hw4.report.listings import read_listings
from hw4.report.sections import data as data_module
from hw4.report.sections import q3 as q3_module
from hw4.report.sections.data import mnist_origin
from hw4.report.sections.q3 import load as q3_section
from hw4.steps import consumption, lookback_sweep, train_lstm

pytest.importorskip("keras")

MNIST = {
    "source": "download",
    "counts": {
        split: {"total": 10, "per_class": {str(c): 1 for c in range(10)}}
        for split in ("train", "test")
    },
    "files": {},
    "images_before_subset": {"train": 10, "test": 10},
}
FIGURES = {
    key: "figure.png" for key in ("lstm_curves", "lstm_week", "lstm_by_hour", "lstm_lookback")
}
ORIGINAL = yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text(encoding="utf-8"))
LISTINGS = {
    key: asdict(listing)
    for key, listing in read_listings(
        REPO, yaml.safe_load((REPO / "report" / "listings.yaml").read_text(encoding="utf-8"))
    ).items()
}


def with_claims(context: dict) -> dict:
    """The context as the report has it: the claims of Q3 (and of the data section, when it
    is there) decided, the listings read."""
    context = {
        **context,
        "listings": LISTINGS,
        "provenance": {"git": {"commit": "0" * 40, "dirty": False}},
    }
    modules = [q3_module] + ([data_module] if "mnist" in context["data"] else [])
    context["claims"] = {claim.id: claim for module in modules for claim in module.claims(context)}
    return context


def render(tmp_path, csv, chosen=None, **over):
    """Run the three Q3 steps on ``csv`` and render the Q3 and data sections in both languages."""
    data = consumption.run(
        case_settings(str(csv), unit="m3", **over),
        SETTINGS["features"],
        SETTINGS["look_back"],
        [6, 12],
        SETTINGS["seasonal_period"],
        SETTINGS["split"],
        cache_dir="unused",
    )
    sweep = lookback_sweep.run(data["table"], SETTINGS, [6], "consumption", "m3", 0, DEVICE)
    summary, model = sweep["summary"], sweep["model"]
    if chosen:  # as if the sweep had chosen another look-back
        summary, model = as_if_chosen(data["table"], summary, chosen)
    metrics = train_lstm.run(data["table"], summary, model, SETTINGS, "consumption", "m3", DEVICE)
    (tmp_path / "metrics.json").write_text(json.dumps(metrics["metrics"]))
    (tmp_path / "lookback.json").write_text(json.dumps(summary))
    (tmp_path / "consumption.json").write_text(json.dumps(data["provenance"]))
    q3 = q3_section(
        {"lstm_metrics": tmp_path / "metrics.json", "lookback_summary": tmp_path / "lookback.json"}
    )
    context = {
        "figures": FIGURES,
        "q3": q3,
        "data": {
            "consumption": data["provenance"],
            "mnist": MNIST,
            "mnist_origin": mnist_origin(MNIST, "mnist.provenance.json"),
            "files": {},
        },
        "original": ORIGINAL,
    }
    context = with_claims(context)
    pages = {}
    for section in ("q3", "data"):
        for language in ("en", "fa"):
            html = render_section(section, language, context)
            assert "nan" not in re.sub(r"<[^>]+>", " ", html).lower().split()
            pages[f"{section}.{language}"] = html
    return pages, metrics["metrics"]


def test_words_follow_the_configured_target_unit_and_features(tmp_path):
    pages, _ = render(tmp_path, CASES / "gas_dayfirst.csv", time_format="%d/%m/%Y %H:%M")
    q3 = pages["q3.en"]
    for page in (pages["q3.en"], pages["q3.fa"]):  # a heading and a short answer per part
        assert page.count("<h3>") == page.count('class="short-answer"') == 7
    assert "The target is <code>consumption</code>, in m3" in q3
    assert "<code>temp</code>, <code>hour_sin</code>, <code>hour_cos</code>" in q3
    assert "demand" not in q3 and "temperature" not in q3 and "work-day" not in q3
    assert "No hour is missing" in pages["data.en"]
    assert "%d/%m/%Y %H:%M" in pages["data.en"]


def test_zero_readings_are_said_and_counted(tmp_path):
    pages, metrics = render(tmp_path, CASES / "gas_zero_readings.csv")
    assert "leaves out the 48 test hours that read zero" in pages["q3.en"]
    assert "۴۸ ساعت آزمون را که صفر خوانده‌اند" in pages["q3.fa"]


def test_all_zero_test_part_gives_no_mape_and_says_why(tmp_path):
    lines = (CASES / "gas_zero_readings.csv").read_text().splitlines()
    for row in range(1 + 408, len(lines)):
        time, _, temp = lines[row].split(",")
        lines[row] = f"{time},0,{temp}"
    (tmp_path / "zeros.csv").write_text("\n".join(lines) + "\n")
    pages, metrics = render(tmp_path, tmp_path / "zeros.csv")
    assert metrics["model"]["mape"] is None
    assert "MAPE is not given: every test hour reads zero" in pages["q3.en"]
    assert "—" in pages["q3.fa"]


def test_gaps_and_dropped_windows_are_said_and_counted(tmp_path):
    pages, _ = render(
        tmp_path, CASES / "gas_missing_hours.csv", chosen=6, missing_hours="drop_windows"
    )
    assert "30 windows (training 17, validation 12, test 1)" in pages["q3.en"]
    assert "6 hours between the first and the last are missing, in 2 gaps" in pages["data.en"]
    assert "2024-03-24 03:00:00 to 2024-03-24 09:00:00 (5 hours missing)" in pages["data.en"]
    assert "The chosen look-back is 6 hours" in pages["q3.en"]
    assert "against" in pages["q3.en"] and "for the homework's 12 hours" in pages["q3.en"]
    assert "The choice rests on one seed" in pages["q3.en"]
    # The original's windows and the fix's: the difference is accounted for, every window.
    window_count = re.search(r'data-claim="q3.window_count" data-verdict="(\w+)"', pages["q3.en"])
    assert window_count and window_count.group(1).endswith("_and_missing")
    assert "because hours are missing from the table" in pages["q3.en"]
    # The sweep's look-backs: the configured ones and the homework's, always added.
    assert (
        "and always adds the homework's 12, so 2 look-backs in all: 6 and 12 hours"
        in pages["q3.en"]
    )


def test_the_verdict_against_the_baselines_flips_with_the_errors(tmp_path):
    """The same run's metrics with the model's RMSE put below, then above, the best baseline's."""
    _, metrics = render(tmp_path, CASES / "gas_dayfirst.csv", time_format="%d/%m/%Y %H:%M")
    best = min(values["rmse"] for values in metrics["baselines"].values())
    persian_count = str(len(metrics["baselines"])).translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    )
    inputs = {
        "lstm_metrics": tmp_path / "metrics.json",
        "lookback_summary": tmp_path / "lookback.json",
    }
    for rmse, beats in ((best / 2, True), (best * 2, False)):
        flipped = {**metrics, "model": {**metrics["model"], "rmse": rmse}}
        flipped["beats_every_baseline"] = beats
        inputs["lstm_metrics"].write_text(json.dumps(flipped))
        context = with_claims(
            {
                "figures": FIGURES,
                "q3": q3_section(inputs),
                "data": {"consumption": json.loads((tmp_path / "consumption.json").read_text())},
            }
        )
        english = render_section("q3", "en", context)
        persian = render_section("q3", "fa", context)
        assert (f"the LSTM beats all {len(metrics['baselines'])} baselines" in english) is beats
        assert ("The LSTM does not beat every baseline in this run" in english) is not beats
        assert (f"از هر {persian_count} مبنا" in persian) is beats
        assert ("در این اجرا از همهٔ مبناها بهتر نیست" in persian) is not beats
