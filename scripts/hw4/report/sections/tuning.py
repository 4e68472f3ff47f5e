"""The A part: the KerasTuner search."""

from __future__ import annotations

import itertools

from hw4.io.files import read_json
from hw4.methods.hyperband import hyperband_schedule, schedule_totals
from hw4.methods.proportion_interval import compare_shares, wilson_interval
from hw4.methods.rank_correlation import spearman
from hw4.methods.search_space import TRIAL_COLUMNS
from hw4.report.artifacts import required, typed_rows
from hw4.report.claims import Claim
from hw4.report.comparability import TEST_POPULATION, incomparable_reason, mnist_setting


def load(inputs: dict) -> dict:
    """The tuning section: best.json and trials.csv, both test accuracies of the search
    with their 95 % Wilson intervals (``[low, high]``), and the fixed Q7 CNN's on the same
    test digits when present (hw4.methods.proportion_interval).
    """
    best = read_json(inputs["tuning_best"])
    # Written since the search says how it ended (a space can run out before the schedule).
    for key in ("trials_run", "stopped_because", "distinct_configurations"):
        required(best, key, inputs["tuning_best"], "tune_cnn")
    trials = typed_rows(inputs["tuning_trials"])
    images = best["test_images"]
    retrained = best["test_accuracy"]
    searched = best["search_model_test_accuracy"]
    cnn = read_json(inputs["cnn_metrics"]) if "cnn_metrics" in inputs else None
    same_test_digits = cnn is not None and cnn["test_images"] == images
    chain = best["epochs_chain"]
    return {
        "best": best,
        "trials": trials,
        # Where the best trial stands on the trials figure's axis (1 = the first run).
        "best_position": next(
            (n for n, r in enumerate(trials, 1) if same_trial(r["trial"], best["best_trial"])),
            None,
        ),
        # McNemar's exact test against the fixed Q7 CNN (rule compare_cnns), when present.
        "paired": read_json(inputs["paired_test"]) if "paired_test" in inputs else None,
        "dropout_relation": dropout_relation(trials),
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


# Below this two-sided p-value a rank correlation is called a relation; above it, none.
RELATION_P_BELOW = 0.05


def mean_dropout(row: dict) -> float | None:
    """The mean dropout rate over the layers a trial's model has (``dropout_conv_i``,
    ``dropout_dense_i``, or the original space's one shared ``dropout``); ``None`` if none.
    A layer the model lacks has an empty cell (KerasTuner's conditional scope)."""
    rates = [v for k, v in row.items() if k.startswith("dropout") and v not in ("", None)]
    return sum(rates) / len(rates) if rates else None


def configurations(trials: list[dict]) -> list[dict]:
    """One row per configuration the search tried: of the completed trials sharing the same
    sampled values (Hyperband continues a configuration in later rounds), the one trained
    longest (``tuner/epochs``), whose score is that configuration's last word."""
    furthest: dict[tuple, dict] = {}
    for row in trials:
        if row["status"] != "COMPLETED":
            continue
        sampled = tuple(
            sorted(
                (k, v)
                for k, v in row.items()
                if k not in TRIAL_BOOKKEEPING and not k.startswith("tuner/")
            )
        )
        kept = furthest.get(sampled)
        if kept is None or (row.get("tuner/epochs") or 0) > (kept.get("tuner/epochs") or 0):
            furthest[sampled] = row
    return list(furthest.values())


# trials.csv's columns that describe a trial's run, not its configuration.
TRIAL_BOOKKEEPING = set(TRIAL_COLUMNS)


def dropout_relation(trials: list[dict]) -> dict:
    """How the search's score moved with the dropout rate, over the configurations it
    completed: Spearman's rho of each configuration's mean dropout rate against its best
    val_accuracy, with a permutation p-value (hw4.methods.rank_correlation).

    Returns ``{"rho", "p_value", "configurations", "trials_completed", "verdict"}``; the
    verdict is ``higher_dropout_higher_score`` or ``higher_dropout_lower_score`` when
    p < ``RELATION_P_BELOW``, ``no_clear_relation`` otherwise, and ``undefined`` when there
    are fewer than three configurations or every rate or score is the same.
    """
    rows = [r for r in configurations(trials) if mean_dropout(r) is not None]
    result = spearman([mean_dropout(r) for r in rows], [r["best_val_accuracy"] for r in rows])
    if result["rho"] is None:
        verdict = "undefined"
    elif result["p_value"] >= RELATION_P_BELOW:
        verdict = "no_clear_relation"
    elif result["rho"] > 0:
        verdict = "higher_dropout_higher_score"
    else:
        verdict = "higher_dropout_lower_score"
    return {
        "rho": result["rho"],
        "p_value": result["p_value"],
        "configurations": len(rows),
        "trials_completed": sum(r["status"] == "COMPLETED" for r in trials),
        "verdict": verdict,
    }


def best_space_rows(best: dict) -> list[dict]:
    hp = best["hyperparameters"]
    return [{"name": k, "value": v} for k, v in sorted(hp.items())]


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    section = context["tuning"]
    made = [
        versus_original_claim(section, context["original"]),
        dropout_claim(section),
        retrained_versus_search_claim(section),
        target_claim(section, context["data"]["mnist"]),
        impossible_depths_claim(section),
        failed_trials_claim(section),
        search_state_claim(section),
        search_end_claim(section),
        original_schedule_claim(context["original"]),
        final_epochs_claim(section),
    ]
    if section["paired"] is not None:
        made.append(versus_q7_claim(section["paired"]))
    if searched_on_a_subset(section["best"]):
        made.append(search_subset_claim(section))
    return made


def searched_on_a_subset(best: dict) -> bool:
    """Whether the search saw fewer images than the final model trained on
    (``tuning.search_images``); a best.json written before the setting existed: no."""
    return best.get("search_images", best["train_images"]) < best["train_images"]


def search_subset_claim(section: dict) -> Claim:
    """The trade of a search on a subset (``tuning.search_images``): how many of the training
    images the search saw, how much less each of its epochs cost, and that the best
    configuration was retrained on all of them. Made only when the subset was used."""
    best = section["best"]
    share = 100 * best["search_images"] / best["train_images"]
    return Claim(
        "tuning.search_subset",
        "subset",
        {
            "search_images": best["search_images"],
            "train_images": best["train_images"],
            "fit_images": best["fit_images"],
            "validation_images": best["validation_images"],
            "share": share,
            # Whole percent for a tenth of the images; digits enough that 46 of 60,000
            # never reads as "0%".
            "share_digits": 0 if share >= 10 else (1 if share >= 1 else 2),
            "search_minutes": best["seconds"] / 60,
        },
    )


def versus_original_claim(section: dict, original: dict) -> Claim:
    versus = section["versus_original"]
    verdict = versus["verdict"]
    if verdict == "not_comparable":
        verdict = f"not_comparable_{versus['reason']}"
    return Claim(
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


# McNemar's test calls a difference between the two CNNs below this two-sided p-value.
PAIRED_P_BELOW = 0.05


def versus_q7_verdict(b: int, c: int, p_value: float) -> str:
    """``tuned_better`` or ``q7_better`` (the side with more images only it gets right)
    when McNemar's p < ``PAIRED_P_BELOW``, else ``no_difference``."""
    if p_value >= PAIRED_P_BELOW or b == c:
        return "no_difference"
    return "tuned_better" if b > c else "q7_better"


def versus_q7_claim(paired: dict) -> Claim:
    """The tuned CNN against the fixed Q7 CNN on the same test images (paired_test.json)."""
    return Claim(
        "tuning.versus_q7",
        versus_q7_verdict(paired["b"], paired["c"], paired["p_value"]),
        {
            "n": paired["n"],
            "tuned": paired["tuned_accuracy"],
            "q7": paired["q7_accuracy"],
            "b": paired["b"],
            "c": paired["c"],
            "p": paired["p_value"],
            "p_small": paired["p_value"] < 0.001,
        },
    )


def dropout_claim(section: dict) -> Claim:
    relation = section["dropout_relation"]
    undefined = relation["rho"] is None
    return Claim(
        "tuning.dropout_effect",
        relation["verdict"],
        {
            # An undefined rho is never printed (its verdict's wording reads neither).
            "rho": 0.0 if undefined else relation["rho"],
            "p": 1.0 if undefined else relation["p_value"],
            "configurations": relation["configurations"],
            "trials": relation["trials_completed"],
        },
    )


def retrained_versus_search_claim(section: dict) -> Claim:
    """Retraining on every training image against the search's own best model, on the same
    test images. Only the retrained model is kept, so no paired test is possible: the claim
    states the change and does not call it beyond or within the noise."""
    best = section["best"]
    difference = best["test_accuracy"] - best["search_model_test_accuracy"]
    verdict = "gained" if difference > 0 else "lost" if difference < 0 else "same"
    return Claim(
        "tuning.retrained_versus_search",
        verdict,
        {
            "retrained": best["test_accuracy"],
            "searched": best["search_model_test_accuracy"],
            "points": abs(100 * difference),
            "fit_images": best["fit_images"],
            "validation_images": best["validation_images"],
            "train_images": best["train_images"],
            "test_images": best["test_images"],
        },
    )


def target_claim(section: dict, mnist: dict) -> Claim:
    target = section["best"]["target"]
    if target["applies"]:
        verdict = "met" if target["met"] else "missed"
    else:
        verdict = f"not_applicable_{target['reason']}"
    return Claim(
        "tuning.target",
        verdict,
        {
            "target": target["target"],
            "target_train_images": target["train_images"],
            "budget": section["target_budget"],
            "accuracy": section["best"]["test_accuracy"],
            "source": mnist["source"],
            "train_images": section["best"]["train_images"],
            "budget_changes": target["detail"].split(": ", 1)[-1],
        },
    )


def same_trial(first, second) -> bool:
    """Whether two trial ids name one trial: ``"0024"``, ``24`` and ``"24"`` do (a CSV reader
    may have turned the id into a number)."""
    try:
        return int(first) == int(second)
    except (TypeError, ValueError):
        return str(first) == str(second)


def impossible_depths_claim(section: dict) -> Claim:
    """What the Q5 arithmetic says of the searched depths (best.json's block sizes)."""
    best = section["best"]
    return Claim(
        "tuning.impossible_depths",
        "some_impossible" if section["impossible_depths"] else "all_buildable",
        {
            "padding": best["padding"],
            "image_side": best["image_size"][0],
            # The sizes up to the first block whose kernel no longer fits: past it the
            # arithmetic gives numbers (-1) that are no size at all.
            "block_sizes": list(itertools.takewhile(lambda size: size >= 1, best["block_sizes"])),
            "depths": section["impossible_depths"],
            "deepest": len(best["block_sizes"]),
        },
    )


def failed_trials_claim(section: dict) -> Claim:
    """How many trials failed, in the space searched: the corrected one bounds the depth,
    the original one counts the trials whose model could not be built."""
    best = section["best"]
    bounded = best["search_space"] == "corrected"
    failed = best["trials_failed"]
    verdict = ("bounded_" if bounded else "unbounded_") + (
        "some_failed" if failed else "none_failed"
    )
    return Claim(
        "tuning.failed_trials",
        verdict,
        {
            "depth_bound": best["depth_bound"],
            "shallowest": best["conv_layers_searched"][0],
            "deepest": best["conv_layers_searched"][1],
            "failed": failed,
            "trials": best["trials_completed"] + failed,
            "failed_depths": section["failed_depths"],
        },
    )


def search_state_claim(section: dict) -> Claim:
    """Whether the search resumed its own saved state, set another's aside, or began anew
    (best.json's ``search_state``: ``resumed``, ``fresh`` or ``new``)."""
    best = section["best"]
    return Claim(
        "tuning.search_state",
        best["search_state"] if best["search_state"] in ("resumed", "fresh") else "new",
        {
            "tuner": best["tuner"],
            "space": best["search_space"],
            "trial_epochs": best["trial_epochs"] or 0,
            "per_trial_epochs": best["trial_epochs"] is not None,
            "trials": best["trials_run"],
            "epochs": best["epochs_run"],
        },
    )


def original_schedule_claim(original: dict) -> Claim:
    """What the original's "22 trials" counts: its Hyperband settings' schedule, from
    KerasTuner's own size and epoch rules (hw4.methods.hyperband.hyperband_schedule)."""
    tuning = original["tuning"]
    totals = schedule_totals(hyperband_schedule(tuning["max_epochs"], tuning["factor"]))
    return Claim(
        "tuning.original_schedule",
        "fresh_configurations"
        if totals["new_configurations"] == tuning["trials"]
        else "all_trials"
        if totals["trials"] == tuning["trials"]
        else "other_count",
        {
            "reported": tuning["trials"],
            "max_epochs": tuning["max_epochs"],
            "factor": tuning["factor"],
            "trials": totals["trials"],
            "fresh": totals["new_configurations"],
            "continued": totals["trials"] - totals["new_configurations"],
            "epochs": totals["epochs"],
        },
    )


def search_end_claim(section: dict) -> Claim:
    """Whether the search ran its whole schedule or stopped when its space held no new
    configuration (best.json's ``stopped_because``), with the trials that ran of those planned."""
    best = section["best"]
    return Claim(
        "tuning.search_end",
        best["stopped_because"],
        {
            "trials_run": best["trials_run"],
            "trials_planned": best["trials_planned"],
            # None: a continuous range, so the space never runs out.
            "distinct": best["distinct_configurations"] or 0,
        },
    )


def final_epochs_claim(section: dict) -> Claim:
    """How long the best configuration was retrained, and why that many epochs."""
    best = section["best"]
    return Claim(
        "tuning.final_epochs",
        "continued" if section["continued"] else "single_round",
        {
            "trial": str(best["best_trial"]),
            "train_images": best["train_images"],
            "epochs": best["final_epochs"],
            "chain": [
                {"epochs": link["epochs"], "trial": str(link["trial"])}
                for link in best["epochs_chain"]
            ],
            "round_epochs": section["round_epochs"],
            "params": best["params"],
            "device": best["device"],
        },
    )
