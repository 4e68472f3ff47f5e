"""Test accuracies carry their 95% interval, and a comparison is called within the noise or
beyond it by the values: the tuning, data, results-at-a-glance, Q6 and Q7 sections rendered
from artifacts whose values are flipped, in both languages."""

from __future__ import annotations

import copy
import csv
import json

import pytest
import yaml
from conftest import REPO
from sections import plain_text, render_section

from hw4.io.files import write_json
from hw4.methods.proportion_interval import wilson_interval
from hw4.report import context
from hw4.report.sections import data

ORIGINAL = yaml.safe_load((REPO / "report" / "original_handin.yaml").read_text(encoding="utf-8"))
FIGURES = {
    name: f"{name}.png"
    for name in (
        "tuning_curves",
        "tuning_space",
        "tuning_trials",
        "bn_small",
        "bn_convergence",
        "cnn_digits",
        "cnn_curves",
        "cnn_confusion",
        "gradcam_grid",
        "gradcam_classes",
        "gradcam_sanity",
        "gradcam_deletion",
    )
}
BUDGET = {
    "tuner": "hyperband",
    "search_space": "corrected",
    "max_epochs": 10,
    "factor": 3,
    "hyperband_iterations": 1,
}


def mnist_provenance(**changes) -> dict:
    """The mnist rule's record of a full download, with ``changes``."""
    record = {
        "requested_source": "auto",
        "source": "download",
        "files": {"mnist.npz": "0" * 64},
        "images_before_subset": {"train": 60000, "test": 10000},
        "counts": {
            split: {"total": total, "per_class": {str(c): total // 10 for c in range(10)}}
            for split, total in (("train", 60000), ("test", 10000))
        },
    }
    record.update(changes)
    return record


def counts(train: int, test: int) -> dict:
    return {
        split: {"total": total, "per_class": {str(c): total // 10 for c in range(10)}}
        for split, total in (("train", train), ("test", test))
    }


def best(test_accuracy: float, search_accuracy: float, test_images: int = 10000) -> dict:
    """A best.json as the tune_cnn step writes it (the fields the section reads)."""
    return {
        "tuner": "hyperband",
        "search_space": "corrected",
        "search_state": "none",
        "trial_epochs": None,
        "hyperparameters": {"conv_layers": 2, "learning_rate": 0.001},
        "best_trial": "0007",
        "val_accuracy": 0.95,
        "best_step": 3,
        "final_epochs": 4,
        "epochs_chain": [{"trial": "0007", "epochs": 4}],
        "test_accuracy": test_accuracy,
        "test_loss": 0.2,
        "search_model_test_accuracy": search_accuracy,
        "target": {
            "target": 0.993,
            "budget": BUDGET,
            "train_images": 60000,
            "applies": False,
            "met": None,
            "reason": "subset",
            "detail": "3000 training images instead of 60,000",
        },
        "trials_completed": 30,
        "trials_failed": 0,
        "trials_planned": 30,
        "trials_run": 30,
        "stopped_because": "schedule_complete",
        "distinct_configurations": None,
        "epochs_run": 120,
        "seconds": 500.0,
        "workers": 1,
        "worker_placement": "",
        "worker_replacements": [],
        "worker_deaths": [],
        "padding": "valid",
        "image_size": [28, 28],
        "depth_bound": 3,
        "block_sizes": [13, 5, 1],
        "conv_layers_searched": [2, 3],
        "schedule": [],
        "schedule_totals": {},
        "params": 100000,
        "fit_images": 2400,
        "validation_images": 600,
        "train_images": 3000,
        "test_images": test_images,
        "device": "CPU: test",
        "provenance": {"created": "2026-01-01T00:00:00+00:00"},
    }


def tuning_context(tmp_path, best_record: dict, paired: dict | None = None) -> dict:
    """The tuning section's context as the report builds it: loader, comparison with the
    original, claims (hw4.report.sections.tuning), and the listing its layout shows."""
    from hw4.report.sections import tuning

    inputs = {"tuning_best": tmp_path / "best.json", "tuning_trials": tmp_path / "trials.csv"}
    write_json(inputs["tuning_best"], best_record)
    with inputs["tuning_trials"].open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["trial", "conv_layers", "status", "best_val_accuracy"])
        writer.writeheader()
        writer.writerow(
            {"trial": "0007", "conv_layers": 2, "status": "COMPLETED", "best_val_accuracy": 0.9}
        )
    if paired is not None:
        inputs["paired_test"] = tmp_path / "paired.json"
        write_json(inputs["paired_test"], paired)
    mnist = mnist_provenance(source="download")
    section = tuning.load(inputs)
    section["versus_original"] = tuning.versus_original(section, ORIGINAL, mnist)
    values = {"tuning": section, "data": {"mnist": mnist}, "original": ORIGINAL}
    values["claims"] = {claim.id: claim for claim in tuning.claims(values)}
    values["listings"] = {
        "model_builder": {
            "html": "<pre>def make_builder(): ...</pre>",
            "file": "scripts/hw4/methods/search_space.py",
            "function": "make_builder",
            "first_line": 1,
            "last_line": 2,
        }
    }
    values["provenance"] = {"git": {"commit": "0" * 40, "dirty": False}}
    return values


def render(section: str, values: dict) -> dict[str, str]:
    """Both languages of one section, as plain text; never None or NaN on the page."""
    pages = {}
    for language in ("en", "fa"):
        html = render_section(
            section, language, {"figures": FIGURES, "original": ORIGINAL, **values}
        )
        text = plain_text(html)
        assert "None" not in text
        # Q6 explains the NaN that epsilon prevents; elsewhere a NaN is a missing value.
        assert section == "q6" or "nan" not in text.lower().split()
        pages[language] = text
    return pages


def tuning_pages(tmp_path, best_record: dict, paired: dict | None = None) -> dict:
    return render("tuning", tuning_context(tmp_path, best_record, paired))


@pytest.mark.parametrize(
    ("accuracy", "english", "persian"),
    [
        (0.9480, "level with the original, within the noise", "در حد نوفه و هم‌تراز پاسخ اصلی"),
        (0.9900, "above the original, beyond the noise", "بالاتر از پاسخ اصلی و بیرون از نوفه"),
        (0.9000, "below the original, beyond the noise", "پایین‌تر از پاسخ اصلی و بیرون از نوفه"),
    ],
)
def test_tuned_against_the_original_is_within_the_noise_only_when_the_intervals_overlap(
    tmp_path, accuracy, english, persian
):
    record = best(accuracy, accuracy)
    record["train_images"] = 60000
    pages = tuning_pages(tmp_path, record)
    assert english in pages["en"]
    assert persian in pages["fa"]
    verdicts = ["level with the original", "above the original", "below the original"]
    assert sum(verdict in pages["en"] for verdict in verdicts) == 1
    low, high = wilson_interval(ORIGINAL["tuning"]["test_accuracy"], 10000)
    assert f"[{low:.4f}, {high:.4f}]" in pages["en"]


def test_retrained_against_search_states_the_change_and_q7_is_compared_by_mcnemar(tmp_path):
    paired = {"n": 10000, "tuned_accuracy": 0.99, "q7_accuracy": 0.985, "b": 30, "c": 28}
    close = tuning_pages(tmp_path, best(0.96, 0.95), {**paired, "p_value": 0.89})
    assert "1.00 points more" in close["en"] and "واحد درصد بیشتر" in close["fa"]
    assert "Not separated" in close["en"] and "جدا نمی‌شوند" in close["fa"]
    apart = tuning_pages(tmp_path, best(0.95, 0.99), {**paired, "b": 90, "p_value": 1e-6})
    assert "4.00 points less" in apart["en"] and "واحد درصد کمتر" in apart["fa"]
    assert "The tuned CNN is better" in apart["en"] and "&lt; 0.001" in apart["en"]
    assert "شبکهٔ تنظیم‌شده بهتر است" in apart["fa"]


def test_the_target_sentence_takes_its_budget_and_size_from_the_artifact(tmp_path):
    record = best(0.95, 0.95)
    record["target"]["budget"] = {**BUDGET, "max_epochs": 20}
    record["target"]["train_images"] = 12345
    values = tuning_context(tmp_path, record)
    assert "max_epochs=20" in values["claims"]["tuning.target"].values["budget"]
    pages = render("tuning", values)
    assert "12,345 training images" in pages["en"] and "۱۲٬۳۴۵" in pages["fa"]
    assert "max_epochs 10" not in pages["en"]


def test_the_workers_sentence_appears_only_for_a_distributed_search(tmp_path):
    pages = tuning_pages(tmp_path, best(0.95, 0.95))
    assert "Workers." not in pages["en"] and "کارگرها" not in pages["fa"]
    record = best(0.95, 0.95)
    record.update(
        workers=2,
        worker_placement="slurm",
        seconds=1234.4,
        worker_replacements=["tuner3"],
        worker_deaths=[
            {
                "worker": "tuner1",
                "how": "killed by signal SIGKILL",
                "trial": "0007",
                "outcome": "requeued",
                "final_status": "COMPLETED",
                "finished_by": "tuner0",
            },
            {
                "worker": "tuner2",
                "how": "exit status 1",
                "trial": "",
                "outcome": "none",
                "final_status": "",
                "finished_by": "",
            },
        ],
    )
    pages = tuning_pages(tmp_path, record)
    assert "The trials ran on 2 Slurm tasks sharing one oracle" in pages["en"]
    assert "the search took 1,234 s of wall time" in pages["en"]
    assert (
        "Worker tuner1 died (killed by signal SIGKILL) while running trial 0007, which ran"
        " again on tuner0 and completed." in pages["en"]
    )
    assert "Worker tuner2 died (exit status 1) before it took a trial." in pages["en"]
    assert "trials left, tuner3 was started to run them." in pages["en"]
    assert "tuner3 برای اجرای آن‌ها راه‌اندازی شد" in pages["fa"]
    assert "دوباره روی tuner0 اجرا شد و کامل شد" in pages["fa"]
    assert "پیش از آن‌که آزمایشی بگیرد" in pages["fa"]
    assert "کارگرها." in pages["fa"] and "Slurm" in pages["fa"] and "۱٬۲۳۴" in pages["fa"]


def q6_claim_texts(tmp_path, checks: dict, claim_id: str) -> dict[str, str]:
    """One Q6 claim's wording in both languages, as plain text, for these checks."""
    from hw4.report.claims import render_claim
    from hw4.report.render import make_environment
    from hw4.report.sections import q6

    write_json(tmp_path / "checks.json", checks)
    section = {"q6": q6.load({"batchnorm": tmp_path / "checks.json"}), "original": ORIGINAL}
    claim = {c.id: c for c in q6.claims(section)}[claim_id]
    environment = make_environment(REPO / "report" / "templates")
    catalogue = environment.globals["claim_catalogue"]
    return {
        language: plain_text(render_claim(environment, catalogue, claim, language))
        for language in ("en", "fa")
    }


def small_batch_pages(
    tmp_path, accuracies: tuple[float, float], test_images: int, discordant: tuple[int, int]
) -> dict:
    """The batch-size sentence for two accuracies on the same test images, ``discordant``
    being the images only the best and only the worst batch size got right."""
    from scipy.stats import binomtest

    checks = json.loads((REPO / "tests" / "artifacts" / "batchnorm_checks.json").read_text())
    checks = copy.deepcopy(checks)
    for row, accuracy in zip(checks["small_batches"]["rows"], accuracies, strict=True):
        row["test_accuracy"] = accuracy
    checks["small_batches"]["test_images"] = test_images
    b, c = discordant
    checks["small_batches"]["best_versus_worst"].update(
        b=b, c=c, p_value=binomtest(b, b + c, 0.5).pvalue
    )
    return q6_claim_texts(tmp_path, checks, "q6.small_batch_sizes")


def test_small_batch_sizes_are_told_apart_by_the_paired_test_on_the_same_images(tmp_path):
    close = small_batch_pages(tmp_path, (0.50, 0.52), 200, (12, 8))
    assert "McNemar's exact test gives p = 0.503" in close["en"] and "not below 0.05" in close["en"]
    assert "do not tell the two batch sizes apart" in close["en"]
    assert "جدا نمی‌کنند" in close["fa"] and "مک‌نمار" in close["fa"]
    apart = small_batch_pages(tmp_path, (0.10, 0.90), 1000, (800, 0))
    assert (
        "gives p &lt; 0.001" in apart["en"]
        and "so the difference is beyond the noise" in apart["en"]
    )
    assert "بیرون از نوفه" in apart["fa"]
    low, high = wilson_interval(0.10, 1000)
    assert f"0.1000 (95% interval [{low:.4f}, {high:.4f}])" in apart["en"]


def test_what_keras_momentum_leaves_follows_the_configured_updates(tmp_path):
    from hw4.report.sections import q6

    checks = json.loads((REPO / "tests" / "artifacts" / "batchnorm_checks.json").read_text())
    for steps, left in ((400, "1.8%"), (20, "81.8%")):
        checks["small_batches"]["steps"] = steps
        write_json(tmp_path / "checks.json", checks)
        values = {"q6": q6.load({"batchnorm": tmp_path / "checks.json"}), "part": "intro"}
        pages = {
            language: plain_text(render_section_part("q6", language, values))
            for language in ("en", "fa")
        }
        assert f"0.99 {steps} ≈ {left} of that start after {steps} updates" in pages["en"]
        assert (
            "۰٫۹۹" in pages["fa"]
            and left.translate(str.maketrans("0123456789.", "۰۱۲۳۴۵۶۷۸۹٫"))[:-1] in pages["fa"]
        )


def render_section_part(section: str, language: str, values: dict) -> str:
    """One part of a section's language template, alone."""
    from sections import TEMPLATES

    from hw4.report.render import make_environment

    template = make_environment(TEMPLATES).get_template(f"sections/{section}.{language}.html.j2")
    return template.render(**values)


def test_an_artifact_from_before_a_field_existed_is_refused_naming_file_and_rule(tmp_path):
    checks = json.loads((REPO / "tests" / "artifacts" / "batchnorm_checks.json").read_text())
    del checks["small_batches"]["test_images"]
    write_json(tmp_path / "checks.json", checks)
    from hw4.report.sections import q6

    with pytest.raises(context.MissingArtifact, match="checks.json: no 'test_images'.*batchnorm"):
        q6.load({"batchnorm": tmp_path / "checks.json"})
    record = mnist_provenance()
    del record["images_before_subset"]
    with pytest.raises(context.MissingArtifact, match="rerun rule mnist"):
        data.mnist_origin(record, "mnist.provenance.json")
