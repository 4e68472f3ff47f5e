"""Everything the templates show, read from artifacts (JSON, CSV, figures) only."""

from __future__ import annotations

import csv
import subprocess
from datetime import date
from pathlib import Path

from hw4.io.files import read_json, sha256_of
from hw4.methods.proportion_interval import compare_shares, wilson_interval
from hw4.report.dates import parse_report_date, solar_hijri


class MissingArtifact(FileNotFoundError):
    """An artifact the report needs is absent, empty, or claimed by no rule."""


def required(record: dict, key: str, path: str | Path, rule: str):
    """``record[key]``, or ``MissingArtifact`` naming the file and the rule to rerun when an
    artifact written before the field existed lacks it."""
    if key not in record:
        raise MissingArtifact(f"{path}: no {key!r} field; rerun rule {rule} to rewrite it")
    return record[key]


def read_csv_rows(path: str | Path, delimiter: str = ",") -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def parse_value(text: str):
    """CSV cells back to Python values: booleans, integers, floats, or text."""
    if text in ("True", "False"):
        return text == "True"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def typed_rows(path: str | Path) -> list[dict]:
    return [
        {column: parse_value(cell) for column, cell in row.items()} for row in read_csv_rows(path)
    ]


def read_benchmark(path: str | Path) -> dict:
    """Wall time, CPU time (s) and peak memory (MB) of a rule's last run, from its benchmark file.

    Snakemake writes ``-`` or ``NA`` where it could not measure; those become ``None``.
    """
    table = read_csv_rows(path, delimiter="\t")
    if not table:
        raise MissingArtifact(f"{path}: empty benchmark file")
    last_run = table[-1]

    def measured(column: str) -> float | None:
        text = last_run.get(column)
        return None if text in (None, "-", "NA", "") else float(text)

    # "s" is Snakemake's name for the wall-clock seconds column.
    return {
        "seconds": float(last_run["s"]),
        "cpu_seconds": measured("cpu_time"),
        "max_rss_mb": measured("max_rss"),
    }


def git_commit(repo: str | Path) -> dict:
    def run(*args):
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )

    head = run("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": "not a git checkout", "dirty": False}
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def report_date(configured: str, provenances: list[dict]) -> date:
    """The configured day (ISO or Solar Hijri), else the day the newest artifact was made.

    Never the clock: the same artifacts give the same PDF.
    """
    if configured:
        return parse_report_date(configured)
    stamps = sorted(p["created"] for p in provenances if p.get("created"))
    if not stamps:
        raise MissingArtifact("no artifact records when it was created; set report.date")
    return date.fromisoformat(stamps[-1][:10])


def mnist_origin(mnist: dict, path: str | Path) -> dict:
    """How this run's MNIST came to be, from the mnist rule's provenance record.

    ``download_failed``: the embedded digits stand in for a download that was tried and
    failed (``source: auto``), not for one chosen on purpose. ``images_available``: what the
    source held; ``subset``: whether a stratified subset of it was kept (``images_used``).
    """
    available = required(mnist, "images_before_subset", path, "mnist")
    used = {split: mnist["counts"][split]["total"] for split in ("train", "test")}
    return {
        "download_failed": mnist["source"] == "embedded" and "fallback_reason" in mnist,
        "images_available": sum(available.values()),
        "images_used": sum(used.values()),
        "subset": used != available,
    }


def data_section(inputs: dict) -> dict:
    mnist = read_json(inputs["mnist_provenance"])
    consumption = read_json(inputs["consumption_provenance"])
    return {
        "mnist": mnist,
        "mnist_origin": mnist_origin(mnist, inputs["mnist_provenance"]),
        "consumption": consumption,
        "files": {
            "results/data/mnist.npz": sha256_of(inputs["mnist"]),
            "results/data/consumption.csv": sha256_of(inputs["consumption"]),
        },
    }


def q5_section(inputs: dict) -> dict:
    return {
        "layers": typed_rows(inputs["q5_table"]),
        "padding": typed_rows(inputs["q5_padding"]),
        "summary": read_json(inputs["q5_summary"]),
    }


# A map's brightest third of the image (hw4.methods.gradcam_checks.describe_peak), in each
# language: Persian prose names it in Persian, never with the English words.
REGION_NAMES = {
    "en": {
        "top-left": "top left",
        "top-centre": "top centre",
        "top-right": "top right",
        "middle-left": "middle left",
        "middle-centre": "centre",
        "middle-right": "middle right",
        "bottom-left": "bottom left",
        "bottom-centre": "bottom centre",
        "bottom-right": "bottom right",
    },
    "fa": {
        "top-left": "بالا، سمت چپ",
        "top-centre": "بالا، وسط",
        "top-right": "بالا، سمت راست",
        "middle-left": "میانه، سمت چپ",
        "middle-centre": "مرکز",
        "middle-right": "میانه، سمت راست",
        "bottom-left": "پایین، سمت چپ",
        "bottom-centre": "پایین، وسط",
        "bottom-right": "پایین، سمت راست",
    },
}

# keras.layers.BatchNormalization's default momentum: the share of the running statistics
# kept at each update. Q6's small CNN uses a lower one; the section says why.
KERAS_BATCHNORM_MOMENTUM = 0.99

# A training accuracy this far (fraction) above the test accuracy is called overfitting.
OVERFITTING_GAP = 0.02


def with_region_names(peak: dict) -> dict:
    """A peak description with its region named in English and Persian (None: no peak)."""
    region = peak["region"]
    return {
        **peak,
        "region_en": REGION_NAMES["en"][region] if region else None,
        "region_fa": REGION_NAMES["fa"][region] if region else None,
    }


def q7_section(inputs: dict) -> dict:
    cnn = read_json(inputs["cnn_metrics"])
    gradcam = read_json(inputs["gradcam_metrics"])
    history = typed_rows(inputs["cnn_history"])
    agreement = gradcam["agreement"]
    gap = cnn["train_accuracy"] - cnn["test_accuracy"]
    return {
        "cnn": cnn,
        "gradcam": gradcam,
        "provenance": cnn["provenance"],
        "gradcam_provenance": gradcam["provenance"],
        "test_interval": wilson_interval(cnn["test_accuracy"], cnn["test_images"]),
        "best_val_epoch": max(history, key=lambda row: row["val_accuracy"])["epoch"],
        "gap_points": 100 * abs(gap),
        "overfitting": gap > OVERFITTING_GAP,
        "test_above_train": gap < 0,
        "first_images": [with_region_names(image) for image in gradcam["first_images"]],
        "class_peaks": [with_region_names(peak) for peak in gradcam["class_peaks"]],
        # Deletion baselines that lower the class probability faster than the map's order, and
        # those it cannot be told from (hw4.methods.gradcam_checks.compare_to_baseline).
        "baselines_ahead": [
            name
            for name, c in gradcam["deletion"]["comparisons"].items()
            if c["verdict"] == "higher"
        ],
        "baselines_tied": [
            name
            for name, c in gradcam["deletion"]["comparisons"].items()
            if c["verdict"] == "within_noise"
        ],
        "maps_alike": None
        if None in (agreement["same_digit"], agreement["other_digit"])
        else agreement["same_digit"] > agreement["other_digit"],
    }


def q3_section(inputs: dict) -> dict:
    metrics = read_json(inputs["lstm_metrics"])
    sweep = read_json(inputs["lookback_summary"])
    if metrics["look_back"] != sweep["chosen_look_back"]:
        raise MissingArtifact(
            f"{inputs['lstm_metrics']}: the model's look-back {metrics['look_back']} is not the "
            f"one the sweep chose ({sweep['chosen_look_back']}); rerun train_lstm"
        )
    return {
        "metrics": metrics,
        "sweep": sweep,
        "chosen": next(row for row in sweep["rows"] if row["chosen"]),
        "homework": next(row for row in sweep["rows"] if row["homework"]),
        "best_test_look_back": min(sweep["rows"], key=lambda row: row["test_rmse"])["look_back"],
        "best_baseline": min(metrics["baselines"].items(), key=lambda item: item[1]["rmse"]),
        "windows_dropped": sum(metrics["windows_dropped_for_gaps"].values()),
        "mape_left_out": metrics["model"]["mape_left_out"],
        "provenance": metrics["provenance"],
        "sweep_provenance": sweep["provenance"],
    }


def q4_section(inputs: dict) -> dict:
    measurements = read_json(inputs["rnn_vs_cnn"])
    timing = measurements["timing"]
    longest = max(r["length"] for r in timing)
    shortest = min(r["length"] for r in timing)
    conv, lstm = measurements["models"]["Conv1D stack"], measurements["models"]["LSTM"]
    growth_conv = measurements["growth"]["Conv1D stack"]
    growth_lstm = measurements["growth"]["LSTM"]

    def at(model, length):
        return next(r for r in timing if r["model"] == model and r["length"] == length)

    if growth_lstm["lower"] > growth_conv["upper"]:
        growth_order = "lstm_steeper"
    elif growth_conv["lower"] > growth_lstm["upper"]:
        growth_order = "conv_steeper"
    else:
        growth_order = "overlap"
    return {
        "measurements": measurements,
        "provenance": measurements["provenance"],
        "params_agree": all(r["formula"] == r["keras"] for r in measurements["parameters"]),
        "conv": conv,
        "lstm": lstm,
        "params_gap_percent": 100 * abs(conv["params"] - lstm["params"]) / lstm["params"],
        "growth_conv": growth_conv,
        "growth_lstm": growth_lstm,
        "growth_order": growth_order,
        "shortest": shortest,
        "longest": longest,
        "conv_short": at("Conv1D stack", shortest),
        "conv_long": at("Conv1D stack", longest),
        "lstm_short": at("LSTM", shortest),
        "lstm_long": at("LSTM", longest),
        "ratio_long": at("LSTM", longest)["median"] / at("Conv1D stack", longest)["median"],
        "lstm_at_longest": measurements["lstm_at_longest"],
        "conditions": measurements["timing_conditions"],
    }


def q6_section(inputs: dict) -> dict:
    checks = read_json(inputs["batchnorm"])
    speed, folding = checks["speed"], checks["folding"]
    drift_rows = checks["running_stats_drift"]["rows"]
    # Each small-batch test accuracy with its 95 % interval on the test images it was measured on.
    test_images = required(
        checks["small_batches"], "test_images", inputs["batchnorm"], "batchnorm_checks"
    )
    small = [
        {**row, "interval": wilson_interval(row["test_accuracy"], test_images)}
        for row in checks["small_batches"]["rows"]
    ]
    best_small = max(small, key=lambda r: r["test_accuracy"])
    worst_small = min(small, key=lambda r: r["test_accuracy"])
    return {
        "checks": checks,
        "provenance": checks["provenance"],
        "verdicts": checks["verdicts"],
        "step_ratio": speed["with_bn"]["step_seconds"]["median"]
        / speed["without_bn"]["step_seconds"]["median"],
        "fold_ratio": folding["seconds_folded"]["median"] / folding["seconds_with_bn"]["median"],
        "drift_one": min(drift_rows, key=lambda r: r["batch_size"]),
        "keras_momentum": KERAS_BATCHNORM_MOMENTUM,
        # What Keras' momentum leaves of the running variance's starting value after as many
        # updates as the small-batch runs make.
        "keras_start_left": KERAS_BATCHNORM_MOMENTUM ** checks["small_batches"]["steps"],
        "small_rows": small,
        "best_small": best_small,
        "worst_small": worst_small,
        "best_versus_worst_small": compare_shares(
            best_small["test_accuracy"], test_images, worst_small["test_accuracy"], test_images
        ),
    }


def tuning_section(inputs: dict) -> dict:
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


def versus_original(section: dict, original: dict) -> dict:
    """This run's tuned test accuracy against the original hand-in's (report/original_handin.yaml),
    each with its 95 % Wilson interval on its own test images (the original's: full MNIST)."""
    best = section["best"]
    theirs = original["tuning"]["test_accuracy"]
    test_images = original["mnist"]["test_images"]
    return {
        "interval": wilson_interval(theirs, test_images),
        **compare_shares(best["test_accuracy"], best["test_images"], theirs, test_images),
    }


def best_space_rows(best: dict) -> list[dict]:
    hp = best["hyperparameters"]
    return [{"name": k, "value": v} for k, v in sorted(hp.items())]


SECTION_LOADERS = {
    "data": data_section,
    "tuning": tuning_section,
    "q3": q3_section,
    "q4": q4_section,
    "q5": q5_section,
    "q6": q6_section,
    "q7": q7_section,
}


def artifact_sources(paths: dict[str, str], made_by: dict[str, str]) -> dict[str, dict]:
    """Where each artifact the report shows comes from: ``{name: {rule, file, sha256}}``.

    ``paths`` maps the names the templates use (``q5_table``, ``cnn_confusion``) to files;
    ``made_by`` maps each file to the rule that wrote it. A file no rule claims fails here.
    """
    sources = {}
    for name, path in sorted(paths.items()):
        if str(path) not in made_by:
            raise MissingArtifact(f"{name}: {path} is not an output of any rule the report reads")
        sources[name] = {"rule": made_by[str(path)], "file": str(path), "sha256": sha256_of(path)}
    return sources


def results_at_a_glance(artifacts: dict[str, str], context: dict) -> dict:
    """The headline numbers and verdicts of this run, for the page after the title page.

    Read from the artifacts, and from the choices the sections already made (the best
    baseline, the Q5 comparison, the Grad-CAM randomisation check), so that the page and
    the sections never disagree. Test accuracies come with their 95 % intervals.
    """
    best = read_json(artifacts["tuning_best"])
    cnn = read_json(artifacts["cnn_metrics"])
    lstm = read_json(artifacts["lstm_metrics"])
    checks = read_json(artifacts["batchnorm"])
    gradcam = read_json(artifacts["gradcam_metrics"])
    baseline, baseline_errors = context["q3"]["best_baseline"]
    comparison = context["q5"]["comparison"]
    return {
        "tuned_test_accuracy": best["test_accuracy"],
        "tuned_test_interval": context["tuning"]["retrained_interval"],
        # Against the original hand-in's, with the original's interval: "higher", "lower" or
        # "within_noise" (the two 95 % intervals overlap).
        "tuned_versus_original": context["tuning"]["versus_original"],
        "cnn_test_accuracy": cnn["test_accuracy"],
        "cnn_test_interval": context["q7"]["test_interval"],
        "lstm_rmse": lstm["model"]["rmse"],
        "lstm_unit": lstm["unit"],
        "best_baseline": baseline,
        "best_baseline_rmse": baseline_errors["rmse"],
        "beats_every_baseline": lstm["beats_every_baseline"],
        "q5_layers_agreeing": sum(row["agrees"] for row in comparison),
        "q5_layers": len(comparison),
        "batchnorm_largest_difference": checks["largest_difference"],
        "batchnorm_trainable": checks["parameter_counts"]["with_bias"]["trainable"],
        "batchnorm_non_trainable": checks["parameter_counts"]["with_bias"]["non_trainable"],
        "gradcam_model_unchanged": gradcam["model_unchanged"],
        # "passes", "fails" or "undefined" (hw4.steps.gradcam.randomisation_verdict)
        "gradcam_randomisation": gradcam["randomisation"]["verdict"],
        # "beats_every_baseline", "loses_to_a_baseline" or "within_noise"
        "gradcam_deletion": gradcam["deletion"]["verdict"],
    }


def build_context(
    artifacts: dict[str, str],
    figures: dict[str, str],
    rules: dict[str, dict],
    sections: list[dict],
    settings: dict,
    config_sha256: str,
    repo: str | Path,
    original: dict,
) -> dict:
    """Load every section's artifacts; a missing file fails here, before any rendering.

    ``artifacts`` and ``figures`` map the names the templates use to files; ``rules`` maps
    each rule whose outputs the report reads to ``{script, benchmark, outputs}``; ``sections``
    is report/sections.yaml; ``settings`` is the config's ``report`` block.
    """
    for name, path in {**artifacts, **figures}.items():
        if not Path(path).exists():
            raise MissingArtifact(f"{name}: {path} does not exist")
    unknown = [section["key"] for section in sections if section["key"] not in SECTION_LOADERS]
    if unknown or sections[0]["key"] != "data":
        problem = f"no loader for section {unknown[0]!r}" if unknown else "data must come first"
        raise MissingArtifact(f"report/sections.yaml: {problem}")
    context = {section["key"]: SECTION_LOADERS[section["key"]](artifacts) for section in sections}
    # The data section holds the data's provenance records themselves; the other sections
    # hold their artifacts, each carrying a provenance block.
    provenances = [context["data"]["mnist"], context["data"]["consumption"]]
    for name in [section["key"] for section in sections[1:]]:
        for key, value in context[name].items():
            if key.endswith("provenance") and isinstance(value, dict):
                provenances.append(value)
            elif isinstance(value, dict) and isinstance(value.get("provenance"), dict):
                provenances.append(value["provenance"])
    context["section_list"] = sections
    context["original"] = original
    context["tuning"]["versus_original"] = versus_original(context["tuning"], original)
    context["q5"]["comparison"] = compare_q5(context["q5"]["layers"], original["q5"]["layers"])
    context["glance"] = results_at_a_glance(artifacts, context)
    day = report_date(settings["date"], provenances)
    context["report"] = {
        **settings,
        # An ID typed without quotes reaches the config as a number.
        "student_id": str(settings["student_id"]),
        "date": day.isoformat(),
        "date_solar_hijri": solar_hijri(day),
    }
    made_by = {output: rule for rule, record in rules.items() for output in record["outputs"]}
    context["sources"] = artifact_sources({**artifacts, **figures}, made_by)
    context["provenance"] = {
        "git": git_commit(repo),
        "config_sha256": config_sha256,
        "rules": [
            {
                "rule": rule,
                "script": record["script"],
                "benchmark": record["benchmark"],
                **read_benchmark(record["benchmark"]),
            }
            for rule, record in rules.items()
        ],
        "devices": sorted({p["device"] for p in provenances if p.get("device")}),
        # The Keras backend of every rule that computed with Keras ("none": it did not).
        "backends": sorted(
            {p["backend"] for p in provenances if p.get("backend", "none") != "none"}
        ),
        "versions": merge_versions(provenances),
    }
    return context


def merge_versions(provenances: list[dict]) -> dict[str, str]:
    versions: dict[str, str] = {}
    for record in provenances:
        versions.update(record.get("versions", {}))
    return dict(sorted(versions.items()))


def compare_q5(rows: list[dict], original: list[dict]) -> list[dict]:
    """Each layer beside the original hand-in's answer, and whether the two agree."""
    by_index = {answer["index"]: answer for answer in original}
    comparison = []
    for row in rows:
        theirs = by_index.get(row["index"])
        if row["valid"]:
            ours = row["output_shape"]
        elif row["raw_output_size"] and "follows" not in row["reason"]:
            ours = f"{row['raw_output_size']}x{row['raw_output_size']}x{row['output_channels']}"
        else:
            ours = "undefined"
        comparison.append(
            {
                "index": row["index"],
                "ours_shape": ours,
                "ours_params": row["params"],
                "theirs_shape": theirs["output_shape"] if theirs else "",
                "theirs_params": theirs["params"] if theirs else "",
                "agrees": bool(theirs)
                and theirs["output_shape"] == ours
                and theirs["params"] == row["params"],
            }
        )
    return comparison
