"""The A part's claims: McNemar's exact test between the tuned and the Q7 CNN, the rank
correlation of score and dropout over the search's configurations, and every verdict of the
section's claims reachable, chosen by the values, and worded in both languages."""

from __future__ import annotations

import copy
import csv

import numpy as np
import pytest
import yaml
from conftest import REPO
from scipy.stats import binomtest, spearmanr
from sections import plain_text, render_section

from hw4.io.files import write_json
from hw4.methods.paired_test import discordant_pairs, mcnemar_exact, paired_comparison
from hw4.methods.rank_correlation import average_ranks, spearman
from hw4.report.claims import Claim, load_catalogue, render_claim
from hw4.report.render import claims_directory, make_environment
from hw4.report.sections import tuning

TEMPLATES = REPO / "report" / "templates"
ORIGINAL = yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text(encoding="utf-8"))


# --- McNemar's exact test -----------------------------------------------------------------


def test_discordant_pairs_match_a_hand_count():
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    tuned = np.array([0, 1, 2, 3, 9, 9, 6, 9])  # wrong on 4, 5, 7
    q7 = np.array([0, 9, 9, 3, 4, 9, 6, 9])  # wrong on 1, 2, 5, 7
    # Only the tuned one right: 1, 2. Only Q7 right: 4. Both wrong: 5, 7.
    assert discordant_pairs(labels, tuned, q7) == (2, 1)
    result = paired_comparison(labels, tuned, q7)
    assert result["n"] == 8
    assert result["first_accuracy"] == pytest.approx(5 / 8)
    assert result["second_accuracy"] == pytest.approx(4 / 8)
    assert result["p_value"] == pytest.approx(1.0)  # 2 against 1 of 3: anything could


@pytest.mark.parametrize(("b", "c"), [(1, 0), (10, 2), (2, 10), (30, 12), (60, 61), (0, 9)])
def test_mcnemar_exact_is_the_two_sided_binomial_test_of_the_disagreements(b, c):
    assert mcnemar_exact(b, c) == pytest.approx(binomtest(b, b + c, 0.5).pvalue)


def test_mcnemar_exact_against_hand_values():
    # b=10, c=2: P(X <= 2 | n=12) = (1 + 12 + 66) / 4096, doubled.
    assert mcnemar_exact(10, 2) == pytest.approx(2 * 79 / 4096)
    # b=0, c=5: two-sided 2 / 2**5.
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)


def test_no_disagreement_gives_p_one():
    assert mcnemar_exact(0, 0) == 1.0
    labels = np.arange(5)
    assert paired_comparison(labels, labels, labels)["p_value"] == 1.0


@pytest.mark.parametrize(("b", "c"), [(-1, 3), (2.5, 1), (True, 1)])
def test_mcnemar_exact_refuses_counts_that_are_not_counts(b, c):
    with pytest.raises(ValueError, match="whole number"):
        mcnemar_exact(b, c)


def test_predictions_must_be_paired_image_by_image():
    with pytest.raises(ValueError, match="one length"):
        discordant_pairs(np.arange(3), np.arange(3), np.arange(4))
    with pytest.raises(ValueError, match="no test images"):
        discordant_pairs(np.array([]), np.array([]), np.array([]))


# --- Spearman's rho and its permutation p-value -------------------------------------------


def test_average_ranks_share_ties():
    assert average_ranks(np.array([0.3, 0.1, 0.3, 0.2])).tolist() == [3.5, 1.0, 3.5, 2.0]


@pytest.mark.parametrize("n", [5, 8, 30])
def test_spearman_rho_matches_scipy(n):
    generator = np.random.default_rng(n)
    x = generator.choice([0.1, 0.2, 0.3, 0.4, 0.5], size=n)
    y = 0.5 * x + generator.normal(0, 0.1, size=n)
    assert spearman(x, y)["rho"] == pytest.approx(spearmanr(x, y).statistic)


def test_spearman_exact_p_value_for_a_perfect_order():
    # Of the 5! orderings, one gives rho = 1 and one rho = -1: p = 2 / 120.
    result = spearman([1, 2, 3, 4, 5], [10, 20, 30, 40, 50])
    assert result["rho"] == pytest.approx(1.0)
    assert result["p_value"] == pytest.approx(2 / 120)


def test_spearman_is_undefined_for_too_few_or_constant_samples():
    assert spearman([1, 2], [3, 4])["rho"] is None
    assert spearman([0.2, 0.2, 0.2, 0.2], [1, 2, 3, 4])["p_value"] is None


# --- the section's loader and claims ------------------------------------------------------


def trial(number: int, score: float, dropout: float, **extra) -> dict:
    row = {
        "trial": f"{number:04d}",
        "status": "COMPLETED",
        "epochs_run": 2,
        "tuner": "tuner0",
        "best_step": 1,
        "epochs_to_best": 2,
        "continued_from": "",
        "best_val_accuracy": score,
        "seconds": 10.0,
        "conv_layers": 2,
        "dense_layers": 1,
        "dropout_conv_0": dropout,
        "dropout_conv_1": dropout,
        "dropout_dense_0": dropout,
        "filters_0": 32 + number,
        "learning_rate": 0.001,
        "tuner/epochs": 2,
    }
    row.update(extra)
    return row


RISING = [trial(i, 0.9 + 0.01 * i, 0.1 + 0.04 * i) for i in range(10)]


@pytest.mark.parametrize(
    ("rows", "verdict"),
    [
        (RISING, "higher_dropout_higher_score"),
        (
            [trial(i, 0.99 - 0.01 * i, 0.1 + 0.04 * i) for i in range(10)],
            "higher_dropout_lower_score",
        ),
        ([trial(i, 0.9 + 0.01 * (i % 2), 0.1 + 0.04 * i) for i in range(10)], "no_clear_relation"),
        (RISING[:2], "undefined"),
    ],
)
def test_dropout_relation_verdict_follows_the_trials(rows, verdict):
    relation = tuning.dropout_relation(rows)
    assert relation["verdict"] == verdict
    assert relation["trials_completed"] == len(rows)


def test_a_configuration_continued_by_hyperband_counts_once_at_its_last_round():
    first = trial(0, 0.5, 0.2, **{"tuner/epochs": 1})
    continued = trial(1, 0.8, 0.2, **{"tuner/epochs": 3, "continued_from": "0000"})
    continued["filters_0"] = first["filters_0"]
    failed = trial(2, "", "", status="FAILED")
    kept = tuning.configurations([first, continued, failed])
    assert [row["best_val_accuracy"] for row in kept] == [0.8]


def test_mean_dropout_reads_only_the_layers_a_model_has():
    row = trial(0, 0.9, 0.2)
    row.update(dropout_conv_1="", dropout_dense_0=0.4)
    assert tuning.mean_dropout(row) == pytest.approx(0.3)
    assert tuning.mean_dropout({"dropout": 0.25}) == 0.25  # the original space's one name


@pytest.mark.parametrize(
    ("b", "c", "p", "verdict"),
    [
        (120, 60, 1e-5, "tuned_better"),
        (60, 120, 1e-5, "q7_better"),
        (30, 25, 0.59, "no_difference"),
        (0, 0, 1.0, "no_difference"),
    ],
)
def test_versus_q7_verdict_is_chosen_by_mcnemar(b, c, p, verdict):
    assert tuning.versus_q7_verdict(b, c, p) == verdict


def best_record(**changes) -> dict:
    record = {
        "tuner": "hyperband",
        "search_space": "corrected",
        "search_state": "new",
        "trial_epochs": None,
        "trials_planned": 30,
        "trials_run": 30,
        "stopped_because": "schedule_complete",
        "distinct_configurations": None,
        "trials_completed": 30,
        "trials_failed": 0,
        "epochs_run": 120,
        "best_trial": "0021",
        "best_step": 3,
        "epochs_chain": [{"epochs": 4, "trial": "0010"}, {"epochs": 6, "trial": "0021"}],
        "final_epochs": 10,
        "val_accuracy": 0.99,
        "test_accuracy": 0.991,
        "search_model_test_accuracy": 0.989,
        "test_loss": 0.03,
        "hyperparameters": {"conv_layers": 2, "learning_rate": 0.001},
        "target": {
            "target": 0.993,
            "train_images": 60000,
            "budget": {"max_epochs": 10, "factor": 3},
            "applies": True,
            "met": False,
            "reason": "",
            "detail": "",
        },
        "seconds": 500.0,
        "workers": 1,
        "worker_placement": "",
        "worker_replacements": [],
        "worker_deaths": [],
        "padding": "valid",
        "image_size": [28, 28],
        "depth_bound": 3,
        "block_sizes": [13, 5, 1, -1, -1],
        "conv_layers_searched": [2, 3],
        "schedule": [
            {"bracket": 0, "round": 0, "trials": 3, "new_configurations": 3, "epochs": 10}
        ],
        "schedule_totals": {"trials": 3, "new_configurations": 3, "epochs": 30},
        "params": 100000,
        "fit_images": 48000,
        "validation_images": 12000,
        "train_images": 60000,
        "test_images": 10000,
        "device": "CPU: test",
        "provenance": {"created": "2026-01-01T00:00:00+00:00"},
    }
    record.update(changes)
    return record


MNIST = {
    "source": "download",
    "counts": {"train": {"total": 60000}, "test": {"total": 10000}},
}


def section_context(tmp_path, record: dict, rows=RISING, paired: dict | None = None) -> dict:
    inputs = {"tuning_best": tmp_path / "best.json", "tuning_trials": tmp_path / "trials.csv"}
    write_json(inputs["tuning_best"], record)
    columns = sorted({key for row in rows for key in row})
    with inputs["tuning_trials"].open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    if paired is not None:
        inputs["paired_test"] = tmp_path / "paired.json"
        write_json(inputs["paired_test"], paired)
    section = tuning.load(inputs)
    section["versus_original"] = tuning.versus_original(section, ORIGINAL, MNIST)
    context = {"tuning": section, "original": ORIGINAL, "data": {"mnist": MNIST}}
    context["claims"] = {claim.id: claim for claim in tuning.claims(context)}
    return context


PAIRED = {
    "n": 10000,
    "tuned_accuracy": 0.991,
    "q7_accuracy": 0.988,
    "b": 60,
    "c": 30,
    "p_value": 0.0021,
}


def claim_verdicts(context) -> dict[str, str]:
    return {claim_id: claim.verdict for claim_id, claim in context["claims"].items()}


def test_the_claims_follow_the_artifacts(tmp_path):
    verdicts = claim_verdicts(section_context(tmp_path, best_record(), paired=PAIRED))
    assert verdicts == {
        "tuning.versus_original": "higher",
        "tuning.versus_q7": "tuned_better",
        "tuning.dropout_effect": "higher_dropout_higher_score",
        "tuning.retrained_versus_search": "gained",
        "tuning.target": "missed",
        "tuning.impossible_depths": "some_impossible",
        "tuning.failed_trials": "bounded_none_failed",
        "tuning.search_state": "new",
        "tuning.search_end": "schedule_complete",
        "tuning.original_schedule": "fresh_configurations",
        "tuning.final_epochs": "continued",
    }


@pytest.mark.parametrize(
    ("changes", "claim_id", "verdict"),
    [
        ({"search_model_test_accuracy": 0.995}, "tuning.retrained_versus_search", "lost"),
        ({"search_model_test_accuracy": 0.991}, "tuning.retrained_versus_search", "same"),
        ({"search_state": "resumed"}, "tuning.search_state", "resumed"),
        ({"search_state": "fresh"}, "tuning.search_state", "fresh"),
        ({"epochs_chain": [{"epochs": 4, "trial": "0021"}]}, "tuning.final_epochs", "single_round"),
        ({"block_sizes": [26, 12, 5]}, "tuning.impossible_depths", "all_buildable"),
        ({"trials_failed": 2}, "tuning.failed_trials", "bounded_some_failed"),
        ({"search_space": "original"}, "tuning.failed_trials", "unbounded_none_failed"),
        (
            {"search_space": "original", "trials_failed": 1},
            "tuning.failed_trials",
            "unbounded_some_failed",
        ),
    ],
)
def test_each_verdict_is_reached_by_its_values(tmp_path, changes, claim_id, verdict):
    assert claim_verdicts(section_context(tmp_path, best_record(**changes)))[claim_id] == verdict


@pytest.mark.parametrize(
    ("target", "verdict"),
    [
        ({"applies": True, "met": True, "reason": "", "detail": ""}, "met"),
        ({"applies": False, "met": None, "reason": "data", "detail": "x"}, "not_applicable_data"),
        (
            {"applies": False, "met": None, "reason": "subset", "detail": "x"},
            "not_applicable_subset",
        ),
        (
            {
                "applies": False,
                "met": None,
                "reason": "budget",
                "detail": "the budget is not the default: max_epochs=2",
            },
            "not_applicable_budget",
        ),
    ],
)
def test_target_verdicts(tmp_path, target, verdict):
    record = best_record()
    record["target"].update(target)
    context = section_context(tmp_path, record)
    assert context["claims"]["tuning.target"].verdict == verdict
    if verdict == "not_applicable_budget":
        assert context["claims"]["tuning.target"].values["budget_changes"] == "max_epochs=2"


def test_every_verdict_renders_in_both_languages_with_the_same_numbers(tmp_path):
    environment = make_environment(TEMPLATES)
    catalogue = load_catalogue(claims_directory(TEMPLATES))
    context = section_context(tmp_path, best_record(), paired=PAIRED)
    for claim in context["claims"].values():
        for verdict in catalogue[claim.id]["verdicts"]:
            flipped = Claim(claim.id, verdict, claim.values)
            english = plain_text(render_claim(environment, catalogue, flipped, "en"))
            persian = plain_text(render_claim(environment, catalogue, flipped, "fa"))
            assert english and persian, (claim.id, verdict)
            assert "None" not in english + persian
            # Persian carries no Latin digits outside its LTR runs of code and names, and
            # no number hugged by a bracket (a copied PDF mirrors it).
            assert not any(f"({d}" in persian or f"{d})" in persian for d in "۰۱۲۳۴۵۶۷۸۹")


def test_the_paired_claim_prints_b_c_and_p(tmp_path):
    environment = make_environment(TEMPLATES)
    catalogue = load_catalogue(claims_directory(TEMPLATES))
    claim = section_context(tmp_path, best_record(), paired=PAIRED)["claims"]["tuning.versus_q7"]
    english = plain_text(render_claim(environment, catalogue, claim, "en"))
    assert "60 images only the tuned CNN gets right and 30 only the Q7 CNN" in english
    assert "= 0.002" in english
    small = Claim(claim.id, claim.verdict, {**claim.values, "p": 1e-6, "p_small": True})
    assert "&lt; 0.001" in plain_text(render_claim(environment, catalogue, small, "en"))
    persian = plain_text(render_claim(environment, catalogue, claim, "fa"))
    assert "۶۰ تصویر" in persian and "۳۰ تصویر" in persian


def render_pages(context) -> dict[str, str]:
    values = {
        **context,
        "figures": {"tuning_space": "space.png"},
        "listings": {
            "model_builder": {
                "html": "<pre>def make_builder(): ...</pre>",
                "file": "scripts/hw4/methods/search_space.py",
                "function": "make_builder",
                "first_line": 1,
                "last_line": 2,
            }
        },
        "provenance": {"git": {"commit": "0" * 40, "dirty": False}},
    }
    return {
        language: plain_text(render_section("tuning", language, copy.deepcopy(values)))
        for language in ("en", "fa")
    }


def test_the_section_answers_every_sub_question_with_a_short_answer(tmp_path):
    pages = render_pages(section_context(tmp_path, best_record(), paired=PAIRED))
    for heading in (
        "What KerasTuner is and how it works",
        "The three tuners, and which suits MNIST",
        "How to tune a CNN on MNIST",
        "Why Dropout and Pooling matter, and what they do to performance",
        "The implementation",
        "How to choose conv filter sizes",
        "How pooling and dropout fight overfitting",
        "The original's faults",
        "This run's result",
    ):
        assert heading in pages["en"], heading
    assert "The tuned CNN is better" in pages["en"]
    # The builder is printed in the appendix; the body points to it with its page.
    assert "make_builder" in pages["en"] and "is printed in the appendix on page" in pages["en"]
    assert "شبکهٔ تنظیم‌شده بهتر است" in pages["fa"]
    for text in pages.values():
        assert "None" not in text


def test_without_the_paired_test_the_section_still_renders(tmp_path):
    pages = render_pages(section_context(tmp_path, best_record()))
    assert "McNemar" not in pages["en"] and "مک‌نمار" not in pages["fa"]


# --- the compare_cnns step ------------------------------------------------------------------


class FixedModel:
    """A stand-in for a Keras model: the softmax rows it would give, one per image; it checks
    that it is shown the images as both CNNs were trained on them (scaled, a channel axis)."""

    def __init__(self, classes):
        self.classes = np.asarray(classes)

    def predict(self, images, batch_size, verbose):
        assert images.shape == (len(self.classes), 28, 28, 1) and images.max() <= 1.0
        return np.eye(10)[self.classes]


def test_compare_cnns_pairs_the_two_models_image_by_image():
    from hw4.steps import compare_cnns

    labels = np.array([0, 1, 2, 3, 4, 5])
    data = {"x_test": np.full((6, 28, 28), 255, dtype=np.uint8), "y_test": labels}
    tuned = FixedModel([0, 1, 2, 3, 9, 9])  # right on 0-3
    q7 = FixedModel([0, 9, 9, 3, 4, 9])  # right on 0, 3, 4
    result = compare_cnns.run(tuned, q7, data, {"device": "CPU: test"})
    assert (result["n"], result["b"], result["c"]) == (6, 2, 1)
    assert result["tuned_accuracy"] == pytest.approx(4 / 6)
    assert result["q7_accuracy"] == pytest.approx(3 / 6)
    assert result["p_value"] == pytest.approx(binomtest(2, 3, 0.5).pvalue)
    assert "created" in result["provenance"]


@pytest.mark.parametrize(
    ("changes", "verdict", "english"),
    [
        ({}, "schedule_complete", "All 30 planned trials ran."),
        (
            {
                "trials_run": 4,
                "stopped_because": "no_new_configuration",
                "distinct_configurations": 4,
            },
            "no_new_configuration",
            "only 4 of the 30 planned trials ran, because the space held only 4 distinct",
        ),
    ],
)
def test_a_search_that_ran_out_of_configurations_says_how_many_trials_ran(
    tmp_path, changes, verdict, english
):
    from hw4.report.sections.tuning import search_end_claim

    claim = search_end_claim({"best": best_record(**changes)})
    assert claim.verdict == verdict
    environment = make_environment(TEMPLATES)
    catalogue = load_catalogue(REPO / "report" / "claims")
    assert english in plain_text(str(render_claim(environment, catalogue, claim, "en")))


def test_the_original_s_22_trials_are_its_schedule_s_fresh_configurations():
    from hw4.report.sections.tuning import original_schedule_claim

    original = yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text())
    claim = original_schedule_claim(original)
    assert claim.verdict == "fresh_configurations"
    assert (claim.values["trials"], claim.values["fresh"], claim.values["epochs"]) == (30, 22, 120)
    original["tuning"]["trials"] = 30
    assert original_schedule_claim(original).verdict == "all_trials"
    original["tuning"]["trials"] = 25
    assert original_schedule_claim(original).verdict == "other_count"
