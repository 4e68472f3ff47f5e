"""Q5's and Q6's claims: each verdict reachable and chosen from the values, and every
verdict's wording renders, in both languages, with the values its loader gives."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from sections import render_section

from hw4.report.claims import Claim, check_claims, render_claim
from hw4.report.render import make_environment
from hw4.report.sections import q5, q6
from hw4.steps import q5_shapes

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ORIGINAL = yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text(encoding="utf-8"))
LAYERS = yaml.safe_load((REPO / "config.yaml").read_text())["shapes"]["layers"]


def q5_context(layers) -> dict:
    result = q5_shapes.run([256, 256, 3], layers, seed=0)
    section = {
        "layers": result["layers"],
        "padding": result["padding"],
        "summary": result["summary"],
    }
    section["comparison"] = q5.compare_q5(section["layers"], ORIGINAL["q5"]["layers"])
    return {"q5": section, "original": ORIGINAL}


def q6_context(tmp_path, change=lambda checks: None) -> dict:
    checks = json.loads((ARTIFACTS / "batchnorm_checks.json").read_text(encoding="utf-8"))
    change(checks)
    path = tmp_path / "checks.json"
    path.write_text(json.dumps(checks), encoding="utf-8")
    return {"q6": q6.load({"batchnorm": path}), "original": ORIGINAL}


def by_id(claims: list[Claim]) -> dict[str, Claim]:
    return {claim.id: claim for claim in claims}


def test_q5_as_configured():
    claims = by_id(q5.claims(q5_context(LAYERS)))
    assert claims["q5.original_agreement"].verdict == "all_agree"
    assert claims["q5.layers_without_output"].verdict == "one_has_no_output"
    assert claims["q5.layers_without_output"].values["raw_size"] == -10
    assert claims["q5.original_negative_size"].verdict == "original_found_it"
    assert claims["q5.keras_builds"].verdict == "keras_refuses"
    assert claims["q5.keras_builds"].values["groups"][0]["indices"] == [2, 5, 8]
    assert claims["q5.pytorch_builds"].verdict == "pytorch_refuses"
    assert claims["q5.strided_as_subsampled"].verdict == "agrees"
    assert claims["q5.same_padding_cases"].verdict == "rule_holds"


def test_q5_when_every_layer_exists():
    layers = copy.deepcopy(LAYERS[:6])
    for layer in layers:
        layer.pop("dilation", None)
    claims = by_id(q5.claims(q5_context(layers)))
    assert claims["q5.layers_without_output"].verdict == "every_layer_has_output"
    assert claims["q5.original_negative_size"].verdict == "no_layer_without_output"
    assert claims["q5.keras_builds"].verdict == "keras_builds_every_layer"
    assert claims["q5.pytorch_builds"].verdict == "pytorch_builds_every_layer"
    assert claims["q5.original_agreement"].verdict == "some_differ"


def test_q5_padding_rule_broken_by_one_case():
    context = q5_context(LAYERS)
    context["q5"]["padding"][0] = {**context["q5"]["padding"][0], "output": 99}
    assert q5.same_padding_verdict(context["q5"]["padding"]) == "rule_broken"


@pytest.mark.parametrize(
    ("with_epoch", "without_epoch", "verdict"),
    [
        (2, 4, "with_bn_first"),
        (2, None, "with_bn_only"),
        (4, 2, "without_bn_first"),
        (None, 2, "without_bn_only"),
        (3, 3, "same_epoch"),
        (None, None, "neither"),
    ],
)
def test_convergence_verdict(with_epoch, without_epoch, verdict):
    assert q6.convergence_verdict(with_epoch, without_epoch) == verdict


@pytest.mark.parametrize(
    ("convergence", "second"),
    [
        ("with_bn_first", "borne_out"),
        ("with_bn_only", "borne_out"),
        ("without_bn_first", "not_borne_out"),
        ("without_bn_only", "not_borne_out"),
        ("same_epoch", "no_difference"),
        ("neither", "untested"),
    ],
)
def test_the_short_answer_follows_the_convergence_claim(convergence, second):
    """Part (a)'s short answer and the body's convergence claim say the same of statement 2."""
    assert q6.second_statement_verdict(convergence) == second


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [(0.04, 0.09, "below_chance"), (0.06, 0.11, "at_chance"), (0.2, 0.3, "above_chance")],
)
def test_chance_verdict(low, high, verdict):
    assert q6.chance_verdict(low, high, 0.1) == verdict


def rows(*variances):
    return [{"batch_size": 2**i, "running_var": v} for i, v in enumerate(variances)]


@pytest.mark.parametrize(
    ("variances", "verdict"),
    [
        ((0.4, 1.4, 2.8), "rises_below_truth"),
        ((0.4, 2.8, 1.4), "below_truth"),
        ((0.4, 4.2, 3.0), "mixed"),
    ],
)
def test_drift_verdict_speaks_of_every_row(variances, verdict):
    assert q6.drift_verdict(rows(*variances), 4.0) == verdict


def test_batch_of_one_verdict():
    decayed = {"batch_size": 1, "running_var": 0.99**100}
    assert q6.batch_of_one_verdict(decayed, 100, 36) == "dense_to_zero_conv_not"
    assert q6.batch_of_one_verdict(decayed, 100, 1) == "dense_to_zero"
    assert q6.batch_of_one_verdict({**decayed, "running_var": 0.9}, 100, 36) == "not_to_zero"


def test_constant_column():
    assert q6.constant_column([[1.0, 5.0], [2.0, 5.0]]) == (2, 5.0)
    assert q6.constant_column([[1.0, 5.0], [2.0, 6.0]]) == (0, 0.0)


def test_q6_as_measured(tmp_path):
    claims = by_id(q6.claims(q6_context(tmp_path)))
    assert claims["q6.statement_speed"].verdict == "within_noise"
    assert claims["q6.statement_convergence"].verdict == "neither"
    assert claims["q6.true_false"].verdict == "untested"
    assert claims["q6.keras_agreement"].verdict == "agrees"
    # The Keras value leaves out the numerical-derivative column, which is larger.
    assert claims["q6.keras_agreement"].values["largest"] < 1e-13
    assert claims["q6.numerical_derivative"].values["largest"] == pytest.approx(2.08e-10, 0.01)
    assert claims["q6.epsilon"].values["column"] == 2
    assert claims["q6.epsilon"].values["constant"] == 5.0
    assert claims["q6.batch_of_one_dense"].verdict == "collapses"
    assert claims["q6.batch_of_one_conv"].verdict == "does_not_collapse"
    assert claims["q6.running_variance_batch_one"].verdict == "dense_to_zero_conv_not"
    assert claims["q6.running_variance_by_batch"].verdict == "rises_below_truth"
    assert claims["q6.small_batch_chance"].verdict == "at_chance"
    assert claims["q6.parameter_counts"].verdict == "matches_original"


def keras_off(checks):
    checks["keras_comparison"][0]["grad_x"] = 0.5


def below_chance(checks):
    checks["small_batches"]["rows"][0]["test_accuracy"] = 0.04


def more_params(checks):
    checks["parameter_counts"]["with_bias"]["trainable"] = 280


@pytest.mark.parametrize(
    ("change", "claim_id", "verdict"),
    [
        (keras_off, "q6.keras_agreement", "differs"),
        (below_chance, "q6.small_batch_chance", "below_chance"),
        (more_params, "q6.parameter_counts", "differs_from_original"),
    ],
)
def test_q6_verdict_follows_the_values(tmp_path, change, claim_id, verdict):
    assert by_id(q6.claims(q6_context(tmp_path, change)))[claim_id].verdict == verdict


def test_every_verdict_renders_in_both_languages(tmp_path):
    environment = make_environment(REPO / "report" / "templates")
    catalogue = environment.globals["claim_catalogue"]
    claims = by_id(q5.claims(q5_context(LAYERS)) + q6.claims(q6_context(tmp_path)))
    check_claims(environment, catalogue, claims)
    for claim in claims.values():
        for verdict in catalogue[claim.id]["verdicts"]:
            for language in ("fa", "en"):
                text = render_claim(
                    environment, catalogue, Claim(claim.id, verdict, claim.values), language
                )
                # One minus sign (U+2212) and no 3.0e-07 notation.
                assert not re.search(r"\de-|(?<![\w])-\d", text), (claim.id, verdict, language)


def test_part_a_short_answer_and_body_say_the_same_of_statement_two(tmp_path):
    """The short answer of Q6(a) is the claim decided with the body's convergence claim, and
    statement 3 is stated as a reading, once, in both languages."""
    context = q6_context(tmp_path)
    context["claims"] = by_id(q6.claims(context))
    context["listings"] = {
        key: {"html": "", "file": "", "first_line": 1, "last_line": 1, "function": key}
        for key in ("batchnorm_forward", "batchnorm_backward", "batchnorm_inference")
    }
    context["provenance"] = {"git": {"commit": "0" * 40, "dirty": False}}
    context["figures"] = {"bn_convergence": "c.png", "bn_small": "s.png"}
    for language, reading in (("en", "A reading"), ("fa", "این یک برداشت است")):
        html = render_section("q6", language, context)
        short = re.search(r'<p class="short-answer">(.*?)</p>', html, re.S).group(1)
        assert 'data-claim="q6.true_false" data-verdict="untested"' in short
        assert 'data-claim="q6.statement_convergence" data-verdict="neither"' in html
        assert html.count(reading) == 1


def test_the_later_model_is_named_where_it_stood_when_the_first_reached_the_target():
    from hw4.report.sections.q6 import other_accuracy_then

    speed = {
        "with_bn": {"val_accuracy": [0.778, 0.905, 0.93]},
        "without_bn": {"val_accuracy": [0.796, 0.892, 0.91]},
    }
    assert other_accuracy_then(speed, 2, 3) == 0.892
    assert other_accuracy_then(speed, None, 3) == 0.93
    assert other_accuracy_then(speed, 2, None) == 0.892
    assert other_accuracy_then(speed, 2, 2) == 0.0 and other_accuracy_then(speed, None, None) == 0.0
