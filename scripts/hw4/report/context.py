"""Everything the templates show, read from artifacts (JSON, CSV, figures) only."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
from datetime import date
from pathlib import Path

from hw4.io.files import read_json, sha256_of


class MissingArtifact(FileNotFoundError):
    pass


def read_csv_rows(path, delimiter: str = ",") -> list[dict]:
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


def typed_rows(path) -> list[dict]:
    return [{k: parse_value(v) for k, v in row.items()} for row in read_csv_rows(path)]


def read_benchmarks(paths: dict[str, str]) -> list[dict]:
    """Wall time and peak memory of each rule from Snakemake's benchmark files."""
    rows = []
    for rule, path in sorted(paths.items()):
        table = read_csv_rows(path, delimiter="\t")
        if not table:
            raise MissingArtifact(f"{path}: empty benchmark file")
        last = table[-1]
        rows.append(
            {
                "rule": rule,
                "seconds": float(last["s"]),
                "max_rss_mb": float(last["max_rss"])
                if last["max_rss"] not in ("-", "NA", "")
                else None,
                "cpu_seconds": float(last["cpu_time"])
                if last.get("cpu_time") not in (None, "-", "NA", "")
                else None,
            }
        )
    return rows


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


def config_hash(config: dict) -> str:
    text = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def report_date(configured: str, provenances: list[dict]) -> str:
    """The configured date, else the day the newest artifact was made (never the clock)."""
    if configured:
        return configured
    stamps = sorted(p["created"] for p in provenances if p.get("created"))
    if not stamps:
        raise MissingArtifact("no artifact records when it was created; set report.date")
    return date.fromisoformat(stamps[-1][:10]).isoformat()


def data_section(inputs: dict) -> dict:
    mnist = read_json(inputs["mnist_provenance"])
    consumption = read_json(inputs["consumption_provenance"])
    return {
        "mnist": mnist,
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
    return {
        "checks": checks,
        "provenance": checks["provenance"],
        "verdicts": checks["verdicts"],
        "step_ratio": speed["with_bn"]["step_seconds"]["median"]
        / speed["without_bn"]["step_seconds"]["median"],
        "fold_ratio": folding["seconds_folded"]["median"] / folding["seconds_with_bn"]["median"],
        "drift_one": min(drift_rows, key=lambda r: r["batch_size"]),
        "best_small": max(checks["small_batches"]["rows"], key=lambda r: r["test_accuracy"]),
        "worst_small": min(checks["small_batches"]["rows"], key=lambda r: r["test_accuracy"]),
    }


def tuning_section(inputs: dict) -> dict:
    best = read_json(inputs["tuning_best"])
    trials = typed_rows(inputs["tuning_trials"])
    space = best_space_rows(best)
    return {
        "best": best,
        "trials": trials,
        "space": space,
        "provenance": best["provenance"],
        "impossible_depths": [
            d + 1 for d, size in enumerate(best["block_sizes"]["valid"]) if size < 1
        ],
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


def build_context(
    inputs: dict, sections: list[str], config: dict, repo: str | Path, original: dict
) -> dict:
    """Load every section's artifacts; a missing file fails here, before any rendering."""
    for key, path in inputs.items():
        if isinstance(path, (str, Path)) and not Path(path).exists():
            raise MissingArtifact(f"{key}: {path} does not exist")
    context = {
        name: SECTION_LOADERS[name](inputs)
        for name in ["data", *sections]
        if name in SECTION_LOADERS
    }
    provenances = [context["data"]["mnist"], context["data"]["consumption"]]
    for name in sections:
        for key, value in context.get(name, {}).items():
            if key.endswith("provenance") and isinstance(value, dict):
                provenances.append(value)
            elif isinstance(value, dict) and isinstance(value.get("provenance"), dict):
                provenances.append(value["provenance"])
    context["sections"] = sections
    context["original"] = original
    if "q5" in context:
        context["q5"]["comparison"] = compare_q5(context["q5"]["layers"], original["q5"]["layers"])
    context["report"] = dict(config["report"])
    context["report"]["date"] = report_date(config["report"].get("date", ""), provenances)
    context["provenance"] = {
        "git": git_commit(repo),
        "config_sha256": config_hash(config),
        "benchmarks": read_benchmarks(inputs.get("benchmarks", {})),
        "devices": sorted({p.get("device", "") for p in provenances if p.get("device")}),
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
    by_index = {o["index"]: o for o in original}
    out = []
    for row in rows:
        theirs = by_index.get(row["index"])
        if row["valid"]:
            ours = row["output_shape"]
        elif row["raw_output_size"] and "follows" not in row["reason"]:
            ours = f"{row['raw_output_size']}x{row['raw_output_size']}x{row['output_channels']}"
        else:
            ours = "undefined"
        out.append(
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
    return out
