"""Everything the templates show, read from artifacts (JSON, CSV, figures) only."""

from __future__ import annotations

import csv
import subprocess
from datetime import date
from pathlib import Path

from hw4.io.files import read_json, sha256_of
from hw4.report.dates import parse_report_date, solar_hijri


class MissingArtifact(FileNotFoundError):
    """An artifact the report needs is absent, empty, or claimed by no rule."""


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
    the sections never disagree.
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
        "cnn_test_accuracy": cnn["test_accuracy"],
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
        "gradcam_randomisation_passes": context["q7"]["sanity_passes"],
        "gradcam_faithful": gradcam["faithfulness"]["faithful"],
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
    provenances = [context["data"]["mnist"], context["data"]["energy"]]
    for name in [section["key"] for section in sections[1:]]:
        for key, value in context[name].items():
            if key.endswith("provenance") and isinstance(value, dict):
                provenances.append(value)
            elif isinstance(value, dict) and isinstance(value.get("provenance"), dict):
                provenances.append(value["provenance"])
    context["section_list"] = sections
    context["original"] = original
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
