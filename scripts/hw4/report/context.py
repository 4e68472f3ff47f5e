"""Everything the templates show, read from artifacts (JSON, CSV, figures) only."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict
from datetime import date
from pathlib import Path

from hw4.io.files import read_json, sha256_of
from hw4.report.artifacts import MissingArtifact, read_csv_rows
from hw4.report.claims import Claim
from hw4.report.dates import parse_report_date, solar_hijri
from hw4.report.listings import read_listings
from hw4.report.sections import data, q3, q4, q5, q6, q7, tuning

# Names the tests and other modules import from here.
__all__ = [
    "SECTION_LOADERS",
    "MissingArtifact",
    "artifact_sources",
    "build_context",
    "read_benchmark",
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


# Each section: its loader (artifacts -> what the templates show) and its claims
# (hw4.report.claims), in hw4.report.sections.<key>.
SECTION_MODULES = {
    "data": data,
    "tuning": tuning,
    "q3": q3,
    "q4": q4,
    "q5": q5,
    "q6": q6,
    "q7": q7,
}
SECTION_LOADERS = {key: module.load for key, module in SECTION_MODULES.items()}


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
        # "ranking_fails", "beats_every_baseline", "loses_to_a_baseline" or "within_noise"
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
    listings: dict | None = None,
) -> dict:
    """Load every section's artifacts; a missing file fails here, before any rendering.

    ``artifacts`` and ``figures`` map the names the templates use to files; ``rules`` maps
    each rule whose outputs the report reads to ``{script, benchmark, outputs}``; ``sections``
    is report/sections.yaml; ``settings`` is the config's ``report`` block; ``listings``
    is report/listings.yaml (the functions shown as code, read from ``repo``).
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
    context["tuning"]["versus_original"] = tuning.versus_original(
        context["tuning"], original, context["data"]["mnist"]
    )
    context["q5"]["comparison"] = q5.compare_q5(context["q5"]["layers"], original["q5"]["layers"])
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
    context["listings"] = {
        key: asdict(listing) for key, listing in read_listings(repo, listings or {}).items()
    }
    context["claims"] = collect_claims(
        [SECTION_MODULES[section["key"]] for section in sections], context
    )
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


def saved_context(context: dict) -> str:
    """The whole context as JSON text (claims as ``{id, verdict, values}``): what the report
    printed, for a re-render from the same values (``loaded_context``) and for checking."""
    return json.dumps(
        {**context, "claims": {key: asdict(claim) for key, claim in context["claims"].items()}},
        ensure_ascii=False,
        indent=1,
        sort_keys=True,
    )


def loaded_context(text: str) -> dict:
    """A context saved by ``saved_context``, its claims ``Claim`` objects again."""
    context = json.loads(text)
    context["claims"] = {key: Claim(**claim) for key, claim in context["claims"].items()}
    return context


def collect_claims(modules: list, context: dict) -> dict[str, Claim]:
    """Every claim of the rendered sections, by id; an id made twice fails here."""
    claims: dict[str, Claim] = {}
    for module in modules:
        for claim in module.claims(context):
            if claim.id in claims:
                raise ValueError(f"claim {claim.id} is made twice")
            claims[claim.id] = claim
    return claims


def merge_versions(provenances: list[dict]) -> dict[str, str]:
    versions: dict[str, str] = {}
    for record in provenances:
        versions.update(record.get("versions", {}))
    return dict(sorted(versions.items()))
