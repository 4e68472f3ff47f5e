"""Q4, Q5 and Q6 sentences that state a result follow the measured values: render each section
from artifacts whose values are flipped and check that the wording flips, in both languages."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from sections import render_section

from hw4.io.files import write_csv, write_json
from hw4.report import context
from hw4.steps import q5_shapes

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ORIGINAL = yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text(encoding="utf-8"))
FIGURES = {"bn_small": "small.png", "bn_convergence": "convergence.png", "rnn_timing": "t.png"}


def render(section: str, language: str, values: dict) -> str:
    """One section's template rendered to plain text (tags removed, spaces collapsed)."""
    html = render_section(
        section, language, {"figures": FIGURES, "original": ORIGINAL, section: values}
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def artifact(name: str) -> dict:
    return json.loads((ARTIFACTS / name).read_text(encoding="utf-8"))


def timing(median: float) -> dict:
    return {
        "median": median,
        "lower_quartile": 0.95 * median,
        "upper_quartile": 1.05 * median,
        "repeats": 5,
    }


def q6_values(tmp_path, change) -> dict:
    checks = artifact("batchnorm_checks.json")
    change(checks)
    path = tmp_path / "checks.json"
    write_json(path, checks)
    return context.q6_section({"batchnorm": path})


def slower_step(checks):
    checks["speed"]["with_bn"]["step_seconds"] = timing(0.02)
    checks["speed"]["without_bn"]["step_seconds"] = timing(0.01)
    checks["verdicts"]["training_step"] = "slower"


def faster_step(checks):
    checks["speed"]["with_bn"]["step_seconds"] = timing(0.01)
    checks["speed"]["without_bn"]["step_seconds"] = timing(0.02)
    checks["verdicts"]["training_step"] = "faster"


def folding_slower(checks):
    checks["folding"]["seconds_folded"] = timing(0.078)
    checks["folding"]["seconds_with_bn"] = timing(0.0672)
    checks["verdicts"]["folded_prediction"] = "slower"


def folding_faster(checks):
    checks["folding"]["seconds_folded"] = timing(0.05)
    checks["folding"]["seconds_with_bn"] = timing(0.08)
    checks["verdicts"]["folded_prediction"] = "faster"


def nothing_collapses(checks):
    checks["batch_of_one"]["dense"]["output_equals_beta"] = False
    checks["verdicts"]["collapses_at_batch_of_one"] = []


@pytest.mark.parametrize(
    "change, english, persian",
    [
        (slower_step, 'pass faster": false.', "سریع‌تر می‌کند»: نادرست."),
        (faster_step, 'pass faster": true in this run.', "سریع‌تر می‌کند»: در این اجرا درست."),
        (folding_slower, "the folded model was slower", "مدل ادغام‌شده کندتر بود"),
        (folding_faster, "folding saved 38%", "ادغام ۳۸ درصد از زمان پیش‌بینی را کم کرد"),
        (nothing_collapses, "No layer collapsed to β", "هیچ لایه‌ای به β فرو نریخت"),
    ],
)
def test_q6_wording_follows_the_measurements(tmp_path, change, english, persian):
    values = q6_values(tmp_path, change)
    assert english in render("q6", "en", values)
    assert persian in render("q6", "fa", values)


def test_q6_as_measured_names_the_layer_that_breaks(tmp_path):
    values = q6_values(tmp_path, lambda checks: None)
    english, persian = render("q6", "en", values), render("q6", "fa", values)
    assert "What breaks at batch size 1 is batch normalisation after a dense layer." in english
    assert "36 values for the 6×6 map" in english
    assert "نرمال‌سازی دسته‌ای پس از لایهٔ چگال است" in persian
    # The artifact's verdict words the folding result; the values behind it are the run's.
    verdict = values["verdicts"]["folded_prediction"]
    expected = {
        "faster": "folding saved",
        "slower": "the folded model was slower",
        "within_noise": "no measurable saving",
    }[verdict]
    assert expected in english


def q4_values(tmp_path, change) -> dict:
    measurements = artifact("rnn_vs_cnn_measurements.json")
    change(measurements)
    path = tmp_path / "measurements.json"
    write_json(path, measurements)
    return context.q4_section({"rnn_vs_cnn": path})


def overlapping_growth(measurements):
    for name in ("LSTM", "Conv1D stack"):
        measurements["growth"][name].update(exponent=1.0, lower=0.9, upper=1.1)
    measurements["lstm_at_longest"] = "within_noise"


def conv_steeper(measurements):
    measurements["growth"]["LSTM"].update(exponent=1.0, lower=0.95, upper=1.05)
    measurements["growth"]["Conv1D stack"].update(exponent=1.5, lower=1.4, upper=1.6)
    measurements["lstm_at_longest"] = "faster"


@pytest.mark.parametrize(
    "change, english, persian",
    [
        (
            overlapping_growth,
            ["The intervals overlap", "cannot be told apart on this device"],
            ["دو بازه هم‌پوشانی دارند", "بازهٔ چارک‌های دو مدل هم‌پوشانی دارد"],
        ),
        (
            conv_steeper,
            ["the conv stack's time grows faster", "the LSTM was the faster one"],
            ["زمان پشتهٔ کانولوشنی با طول سریع‌تر", "سریع‌تر بود"],
        ),
    ],
)
def test_q4_wording_follows_the_measurements(tmp_path, change, english, persian):
    values = q4_values(tmp_path, change)
    english_text, persian_text = render("q4", "en", values), render("q4", "fa", values)
    assert all(sentence in english_text for sentence in english)
    assert all(sentence in persian_text for sentence in persian)
    assert "An exponent below 1" not in english_text


def test_q4_as_measured_states_the_matched_models(tmp_path):
    values = q4_values(tmp_path, lambda measurements: None)
    text = render("q4", "en", values)
    assert f"{values['conv']['params']:,}" in text and f"{values['lstm']['params']:,}" in text
    assert "deterministic ops off" in text and "95% interval" in text


def q5_values(tmp_path, layers) -> dict:
    result = q5_shapes.run([256, 256, 3], layers, seed=0)
    write_csv(tmp_path / "layers.csv", result["layers"], result["layer_columns"])
    write_csv(tmp_path / "padding.csv", result["padding"], result["padding_columns"])
    write_json(tmp_path / "summary.json", result["summary"])
    values = context.q5_section(
        {
            "q5_table": tmp_path / "layers.csv",
            "q5_padding": tmp_path / "padding.csv",
            "q5_summary": tmp_path / "summary.json",
        }
    )
    values["comparison"] = context.compare_q5(values["layers"], ORIGINAL["q5"]["layers"])
    return values


def test_q5_total_leaves_out_the_layer_that_cannot_exist(tmp_path):
    config = yaml.safe_load((REPO / "config.yaml").read_text())["shapes"]
    values = q5_values(tmp_path, config["layers"])
    english, persian = render("q5", "en", values), render("q5", "fa", values)
    assert "The 7 layers that can exist hold 442,592 parameters; layer 8's kernel" in english
    assert "819,328, which are not counted" in english
    assert "PyTorch accepts a stride above one together with a dilation above one" in english
    assert "except 8 (PyTorch refuses a kernel larger than its input)" in english
    assert "stride 1, every S-th" in english and "124×124×32" in english
    assert "۴۴۲٬۵۹۲" in persian and "۸۱۹٬۳۲۸" in persian


def test_q5_wording_when_every_layer_exists(tmp_path):
    config = yaml.safe_load((REPO / "config.yaml").read_text())["shapes"]
    layers = copy.deepcopy(config["layers"][:6])
    for layer in layers:
        layer.pop("dilation", None)
    values = q5_values(tmp_path, layers)
    english, persian = render("q5", "en", values), render("q5", "fa", values)
    assert "Every layer has an output" in english and "has no output" not in english
    assert "همهٔ لایه‌ها خروجی دارند" in persian
    assert "Keras cannot build" not in english


def test_q5_subsample_wording_follows_the_check(tmp_path):
    config = yaml.safe_load((REPO / "config.yaml").read_text())["shapes"]
    values = q5_values(tmp_path, config["layers"])
    assert "agree in shape and, to float64 round-off, in every value" in render("q5", "en", values)
    values["summary"]["subsample_agrees"] = False
    values["summary"]["subsample_equivalence"][0]["max_abs_difference"] = 0.5
    english, persian = render("q5", "en", values), render("q5", "fa", values)
    assert "they do not agree" in english and "not confirmed" in english
    assert "یکی نیستند" in persian
