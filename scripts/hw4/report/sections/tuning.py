"""The A part: the KerasTuner search."""

from __future__ import annotations

from hw4.io.files import read_json
from hw4.methods.proportion_interval import compare_shares, wilson_interval
from hw4.report.artifacts import required, typed_rows
from hw4.report.claims import Claim
from hw4.report.comparability import TEST_POPULATION, incomparable_reason, mnist_setting


def load(inputs: dict) -> dict:
    """The tuning section: best.json and trials.csv, both test accuracies of the search
    with their 95 % Wilson intervals (``[low, high]``), and the fixed Q7 CNN's on the same
    test digits when present (hw4.methods.proportion_interval).
    """
    best = read_json(inputs["tuning_best"])
    trials = typed_rows(inputs["tuning_trials"])
    images = best["test_images"]
    retrained = best["test_accuracy"]
    searched = best["search_model_test_accuracy"]
    cnn = read_json(inputs["cnn_metrics"]) if "cnn_metrics" in inputs else None
    same_test_digits = cnn is not None and cnn["test_images"] == images
    chain = best["epochs_chain"]
    return {
        "best": best,
        "failed_depths": sorted({r["conv_layers"] for r in trials if r["status"] == "FAILED"}),
        "space": best_space_rows(best),
        "provenance": best["provenance"],
        "impossible_depths": [d + 1 for d, size in enumerate(best["block_sizes"]) if size < 1],
        "continued": len(chain) > 1,
        "round_epochs": best["best_step"] + 1,
        "retrained_interval": wilson_interval(retrained, images),
        "search_interval": wilson_interval(searched, images),
        "retrained_versus_search": compare_shares(retrained, images, searched, images),
        # The settings the accuracy target is stated for, as the config spells them.
        "target_budget": ", ".join(
            f"{k}={v}"
            for k, v in required(
                best["target"], "budget", inputs["tuning_best"], "tune_cnn"
            ).items()
        ),
        "q7": (
            {
                "test_accuracy": cnn["test_accuracy"],
                "interval": wilson_interval(cnn["test_accuracy"], images),
                "epochs": cnn["epochs"],
                "versus": compare_shares(retrained, images, cnn["test_accuracy"], images),
            }
            if same_test_digits
            else None
        ),
    }


# The data the original hand-in trained and tested on: Keras' full MNIST.
ORIGINAL_SOURCE = "download"


def versus_original(section: dict, original: dict, mnist: dict) -> dict:
    """This run's tuned test accuracy against the original hand-in's (report/original_handin.yaml),
    each with its 95 % Wilson interval on its own test images (the original's: full MNIST).

    ``mnist`` is this run's mnist provenance. ``verdict`` is ``not_comparable`` with a
    ``reason`` (hw4.report.comparability) when the two were not measured on the same kind of
    data; otherwise ``higher``, ``lower`` or ``within_noise`` (the intervals overlap).
    """
    best = section["best"]
    theirs = original["tuning"]["test_accuracy"]
    test_images = original["mnist"]["test_images"]
    ours_setting = mnist_setting(mnist)
    theirs_setting = {
        "source": ORIGINAL_SOURCE,
        "train_images": original["mnist"]["train_images"],
        "test_images": test_images,
        "test_population": TEST_POPULATION[ORIGINAL_SOURCE],
    }
    reason = incomparable_reason(ours_setting, theirs_setting)
    compared = compare_shares(best["test_accuracy"], best["test_images"], theirs, test_images)
    return {
        "interval": wilson_interval(theirs, test_images),
        **compared,
        "verdict": "not_comparable" if reason else compared["verdict"],
        "reason": reason,
        "ours": ours_setting,
        "theirs": theirs_setting,
    }


def best_space_rows(best: dict) -> list[dict]:
    hp = best["hyperparameters"]
    return [{"name": k, "value": v} for k, v in sorted(hp.items())]


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    section, original = context["tuning"], context["original"]
    versus = section["versus_original"]
    verdict = versus["verdict"]
    if verdict == "not_comparable":
        verdict = f"not_comparable_{versus['reason']}"
    return [
        Claim(
            "tuning.versus_original",
            verdict,
            {
                "ours": section["best"]["test_accuracy"],
                "ours_low": section["retrained_interval"][0],
                "ours_high": section["retrained_interval"][1],
                "theirs": original["tuning"]["test_accuracy"],
                "theirs_low": versus["interval"][0],
                "theirs_high": versus["interval"][1],
                "our_train": versus["ours"]["train_images"],
                "our_test": versus["ours"]["test_images"],
                "their_train": versus["theirs"]["train_images"],
                "their_test": versus["theirs"]["test_images"],
            },
        )
    ]
