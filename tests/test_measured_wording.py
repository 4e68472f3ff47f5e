"""Q4 sentences that state a result follow the measured values: render the section from
artifacts whose values are flipped and check that the wording flips, in both languages.
Q5's and Q6's claims are tested in tests/test_q5_q6_claims.py; the verdicts of Q3's and
Q4's claims one by one in tests/test_q3_q4_claims.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from sections import render_section

from hw4.io.files import write_json
from hw4.report.sections import q4
from hw4.report.typography import fa

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ORIGINAL = yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text(encoding="utf-8"))
FIGURES = {"rnn_timing": "t.png"}


def artifact(name: str) -> dict:
    return json.loads((ARTIFACTS / name).read_text(encoding="utf-8"))


def q4_text(tmp_path, change, language) -> str:
    """The Q4 section rendered from the test artifact after ``change``, its claims decided by
    the section's own ``claims`` (hw4.report.sections.q4), as plain text."""
    measurements = artifact("rnn_vs_cnn_measurements.json")
    change(measurements)
    path = tmp_path / "measurements.json"
    write_json(path, measurements)
    section = {"q4": q4.load({"rnn_vs_cnn": path})}
    claims = {claim.id: claim for claim in q4.claims(section)}
    html = render_section(
        "q4", language, {"figures": FIGURES, "original": ORIGINAL, "claims": claims, **section}
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def overlapping_growth(measurements):
    for name in ("LSTM", "Conv1D stack"):
        measurements["growth"][name].update(exponent=1.0, lower=0.9, upper=1.1)


def conv_steeper(measurements):
    measurements["growth"]["LSTM"].update(exponent=1.0, lower=0.95, upper=1.05)
    measurements["growth"]["Conv1D stack"].update(exponent=1.5, lower=1.4, upper=1.6)
    for row in measurements["timing"]:
        if row["model"] == "LSTM" and row["length"] == 64:
            row.update(median=0.0001, lower_quartile=0.00009, upper_quartile=0.00011)


@pytest.mark.parametrize(
    "change, english, persian",
    [
        (
            overlapping_growth,
            ["The two intervals here overlap", "no verdict on which grows faster"],
            ["دو بازه هم‌پوشانی دارند", "داوری نمی‌شود"],
        ),
        (
            conv_steeper,
            [
                "the conv stack's time grows faster",
                "does not follow the length one way",
                "It is faster, quartiles apart",
            ],
            ["زمان پشتهٔ کانولوشنی با طول سریع‌تر", "یک‌سویه نیست", "در طول ۶۴"],
        ),
    ],
)
def test_q4_wording_follows_the_measurements(tmp_path, change, english, persian):
    english_text = q4_text(tmp_path, change, "en")
    persian_text = q4_text(tmp_path, change, "fa")
    assert all(sentence in english_text for sentence in english)
    assert all(sentence in persian_text for sentence in persian)
    assert "lies below one" not in english_text


def test_q4_as_measured_states_the_matched_models(tmp_path):
    text = q4_text(tmp_path, lambda measurements: None, "en")
    models = artifact("rnn_vs_cnn_measurements.json")["models"]
    assert f"{models['Conv1D stack']['params']:,}" in text
    assert f"{models['LSTM']['params']:,}" in text
    assert "95% intervals" in text and "These intervals are within one run" in text
    # The test artifact: the LSTM faster at 8, within the noise at 16, slower at 32 and 64.
    assert "At the 2 longest lengths measured the LSTM's training step is slower" in text
    assert "It is faster, quartiles apart" in text and "time at length 8." in text
    assert "At length 16 the quartiles of the two overlap" in text
    # The exponents' fit, said so that a reader can redo it.
    assert "least squares to the logarithms of all 10 timed steps at lengths 32 and 64" in text


def test_q4_appendix_gives_the_fit_and_what_the_medians_give(tmp_path):
    measurements = artifact("rnn_vs_cnn_measurements.json")
    path = tmp_path / "measurements.json"
    write_json(path, measurements)
    section = {"q4": q4.load({"rnn_vs_cnn": path})}
    lstm = section["q4"]["growth_from_medians"]["lstm"]
    claims = {claim.id: claim for claim in q4.claims(section)}
    context = {"figures": FIGURES, "original": ORIGINAL, "claims": claims, **section}
    texts = {
        language: re.sub(
            r"\s+", " ", re.sub(r"<[^>]+>", "", render_section("q4.detail", language, context))
        )
        for language in ("en", "fa")
    }
    assert "10 points for each model" in texts["en"]
    assert "8 degrees of freedom" in texts["en"]
    assert f"the exponent is {lstm:.2f} for the LSTM" in texts["en"]
    assert str(fa(lstm, 2)) in texts["fa"]
