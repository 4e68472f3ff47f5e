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
    energy = read_json(inputs["energy_provenance"])
    return {
        "mnist": mnist,
        "energy": energy,
        "files": {
            "results/data/mnist.npz": sha256_of(inputs["mnist"]),
            "results/data/energy.csv": sha256_of(inputs["energy"]),
        },
    }


def q5_section(inputs: dict) -> dict:
    return {
        "layers": typed_rows(inputs["q5_table"]),
        "padding": typed_rows(inputs["q5_padding"]),
        "summary": read_json(inputs["q5_summary"]),
    }


def q7_section(inputs: dict) -> dict:
    cnn = read_json(inputs["cnn_metrics"])
    gradcam = read_json(inputs["gradcam_metrics"])
    sanity = gradcam["sanity_check"]
    return {
        "cnn": cnn,
        "history": typed_rows(inputs["cnn_history"]),
        "gradcam": gradcam,
        "provenance": cnn["provenance"],
        "gradcam_provenance": gradcam["provenance"],
        "sanity_passes": sanity[-1]["spearman"] < 0.3
        and min(r["spearman"] for r in sanity[1:]) < 0.5,
        "best_val_epoch": max(typed_rows(inputs["cnn_history"]), key=lambda r: r["val_accuracy"])[
            "epoch"
        ],
    }


def q3_section(inputs: dict) -> dict:
    metrics = read_json(inputs["lstm_metrics"])
    sweep = read_json(inputs["lookback_summary"])
    return {
        "m": metrics,
        "sweep": sweep,
        "chosen": next(r for r in sweep["rows"] if r["chosen"]),
        "best_test_look_back": min(sweep["rows"], key=lambda r: r["test_rmse"])["look_back"],
        "best_baseline": min(metrics["baselines"].items(), key=lambda kv: kv[1]["rmse"]),
        "provenance": metrics["provenance"],
        "sweep_provenance": sweep["provenance"],
    }


def q4_section(inputs: dict) -> dict:
    m = read_json(inputs["rnn_vs_cnn"])
    timing = m["timing"]
    longest = max(r["length"] for r in timing)
    shortest = min(r["length"] for r in timing)

    def at(model, length):
        return next(r for r in timing if r["model"] == model and r["length"] == length)

    return {
        "m": m,
        "provenance": m["provenance"],
        "params_agree": all(r["formula"] == r["keras"] for r in m["parameters"]),
        "shortest": shortest,
        "longest": longest,
        "conv_short": at("Conv1D stack", shortest),
        "conv_long": at("Conv1D stack", longest),
        "lstm_short": at("LSTM", shortest),
        "lstm_long": at("LSTM", longest),
        "ratio_long": at("LSTM", longest)["seconds_per_step"]
        / at("Conv1D stack", longest)["seconds_per_step"],
    }


def q6_section(inputs: dict) -> dict:
    c = read_json(inputs["batchnorm"])
    speed = c["speed"]
    return {
        "c": c,
        "provenance": c["provenance"],
        "step_ratio": speed["with_bn"]["seconds_per_step"]
        / speed["without_bn"]["seconds_per_step"],
        "fold_speedup": c["folding"]["seconds_with_bn"] / c["folding"]["seconds_folded"],
        "drift_one": next(
            r
            for r in c["running_stats_drift"]["rows"]
            if r["batch_size"] == min(x["batch_size"] for x in c["running_stats_drift"]["rows"])
        ),
        "best_small": max(c["small_batches"]["rows"], key=lambda r: r["test_accuracy"]),
        "worst_small": min(c["small_batches"]["rows"], key=lambda r: r["test_accuracy"]),
    }


def tuning_section(inputs: dict) -> dict:
    """The tuning section: best.json and trials.csv, both test accuracies of the search
    with their intervals, and the fixed Q7 CNN's on the same test digits when present.

    Intervals: Wilson's score interval at 95 % for a share of ``n`` test images
    (Wilson, 1927; ``z`` = 1.96), ``[low, high]``.
    """
    best = read_json(inputs["tuning_best"])
    trials = typed_rows(inputs["tuning_trials"])
    images = best["test_images"]
    z = 1.959963984540054

    def interval(accuracy: float) -> list[float]:
        centre = (accuracy + z * z / (2 * images)) / (1 + z * z / images)
        spread = (accuracy * (1 - accuracy) / images + z * z / (4 * images * images)) ** 0.5
        half = z * spread / (1 + z * z / images)
        return [centre - half, centre + half]

    def versus(first: float, second: float) -> dict:
        """Which of two test accuracies is higher, by how much, and whether their
        intervals overlap (then the test digits cannot tell them apart)."""
        low_first, high_first = interval(first)
        low_second, high_second = interval(second)
        return {
            "difference": first - second,
            "higher": "first" if first > second else "second" if second > first else "equal",
            "overlap": low_first <= high_second and low_second <= high_first,
        }

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
        "retrained_interval": interval(retrained),
        "search_interval": interval(searched),
        "retrained_versus_search": versus(retrained, searched),
        "q7": (
            {
                "test_accuracy": cnn["test_accuracy"],
                "interval": interval(cnn["test_accuracy"]),
                "epochs": cnn["epochs"],
                "versus": versus(retrained, cnn["test_accuracy"]),
            }
            if same_test_digits
            else None
        ),
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
    provenances = [context["data"]["mnist"], context["data"]["energy"]]
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
