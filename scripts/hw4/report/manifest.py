"""What the PDF carries so that anyone can check it against a rebuild: two attachments.

``hw4-manifest.json``: the resolved config and its sha256; the commit and whether the tree
was clean (a sha256 of ``git diff HEAD`` when it was not); Python, Snakemake, OS, package and
backend versions, devices and threads; every data source's and every artifact's sha256
(with the rule that wrote it); and the report rule's own inputs, so that ``hw4.verify``
can build the numbers again from an existing ``results/`` without training.

``hw4-numbers.json``: every number the report prints, by a stable key:

- ``claim:<claim id>.<value>`` for a value a claim's wording prints (``claim:q7.test_accuracy.test``;
  a list's items get ``.0``, ``.1``), and ``claim:<claim id>`` for its verdict;
- ``context:<path>`` for a leaf of the context the templates read (``context:q3.chosen.val_rmse``,
  ``context:provenance.rules.train_cnn.seconds``), the tables' cells among them.

Each with ``value``, ``rounding`` (how a claim's wording prints it, ``num 4`` for four
decimals; ``null`` where a table's template sets it), ``tolerance`` (``hw4.io.tolerances``)
and ``source``: ``{rule, artifact, key}`` when the value is a field of one artifact, else
``{derived_in, artifacts}`` (the section module that computed it and the artifacts it read).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import platform
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from jinja2 import nodes

from hw4.io.files import read_json
from hw4.io.tolerances import DECLARED, EXACT, is_number, tolerance_of
from hw4.report.artifacts import typed_rows

MANIFEST_NAME = "hw4-manifest.json"
NUMBERS_NAME = "hw4-numbers.json"
FORMAT = 1

# Context parts that are no numbers the report prints: where files are, the code listings,
# the section list, the title page's settings, the preview's list of settings.
NOT_PRINTED = ("sources", "listings", "section_list", "report", "preview", "claims")
# The functions and filters the claims' wordings print numbers with (hw4.report.typography).
PRINTERS = ("num", "fa", "pct", "scientific")


def git_state(repo: str | Path) -> dict:
    """``{commit, clean, diff_sha256}`` of the checkout at ``repo``: ``clean`` is False when
    a tracked file differs from the commit, and ``diff_sha256`` is then the sha256 of
    ``git diff HEAD --binary`` (None when clean). ``commit`` is None outside a git checkout."""

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)

    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": None, "clean": False, "diff_sha256": None}
    diff = git("diff", "HEAD", "--binary").stdout
    return {
        "commit": head.stdout.decode().strip(),
        "clean": not diff,
        "diff_sha256": hashlib.sha256(diff).hexdigest() if diff else None,
    }


def leaves(value, path: tuple = ()) -> Iterator[tuple[tuple, object]]:
    """Every number and boolean under ``value`` with its path (dict keys, list indices)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, str(index)))
    elif is_number(value) or isinstance(value, bool):
        yield path, value


def value_key(value) -> str:
    """A number as an index key: 1 and 1.0 alike, NaN as ``nan``."""
    return "nan" if value != value else repr(float(value))


def artifact_fields(artifacts: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """``{value key: [(artifact name, key inside it)]}`` over every JSON and CSV artifact:
    a JSON field by its dotted path, a CSV cell as ``<row>.<column>``."""
    index: dict[str, list[tuple[str, str]]] = {}
    for name, path in sorted(artifacts.items()):
        if path.endswith(".json"):
            found = leaves(read_json(path))
        elif path.endswith(".csv"):
            found = leaves(typed_rows(path))
        else:
            continue
        for field_path, value in found:
            if is_number(value):
                index.setdefault(value_key(value), []).append((name, ".".join(field_path)))
    return index


def artifacts_read_by(module) -> list[str]:
    """The artifact names a section module reads (``inputs["..."]`` or ``artifacts["..."]``)."""
    return sorted(set(re.findall(r"(?:inputs|artifacts)\[\"(\w+)\"\]", inspect.getsource(module))))


def last_name(parts) -> str:
    names = [part for part in parts if not part.isdigit()]
    return names[-1] if names else ""


def claim_roundings(catalogue: dict[str, dict]) -> dict[str, dict[str, str]]:
    """``{claim id: {value name: "num 4"}}``: how each claim's wordings print each value
    (the printing function and its digits; ``num`` alone for its default), read from the
    wordings' Jinja syntax trees. Several ways in one claim are joined by ``, ``."""
    parser = jinja2.Environment()
    roundings: dict[str, dict[str, set[str]]] = {}
    for claim_id, entry in catalogue.items():
        found = roundings.setdefault(claim_id, {})
        for wording in entry["verdicts"].values():
            for text in wording.values():
                tree = parser.parse(text)
                calls = [
                    (call.node.name, call.args[0] if call.args else None, call.args[1:])
                    for call in tree.find_all(nodes.Call)
                    if isinstance(call.node, nodes.Name) and call.node.name in PRINTERS
                ] + [
                    (item.name, item.node, item.args)
                    for item in tree.find_all(nodes.Filter)
                    if item.name in PRINTERS
                ]
                for printer, subject, arguments in calls:
                    while isinstance(subject, nodes.Getattr | nodes.Getitem):
                        subject = subject.node
                    if not isinstance(subject, nodes.Name):
                        continue
                    digits = [a.value for a in arguments if isinstance(a, nodes.Const)][:1]
                    label = f"{'num' if printer == 'fa' else printer}"
                    label += f" {digits[0]}" if digits else ""
                    found.setdefault(subject.name, set()).add(label)
    return {
        claim_id: {name: ", ".join(sorted(labels)) for name, labels in values.items()}
        for claim_id, values in roundings.items()
    }


class Sources:
    """Where each printed number comes from: the artifact field equal to it, preferring a
    field of the same name in an artifact its section reads; else the section that computed
    it (a sum, an interval, a ratio)."""

    def __init__(self, artifacts: dict[str, str], sources: dict[str, dict], sections: dict):
        self.index = artifact_fields(artifacts)
        self.sources = sources
        self.read_by = {key: artifacts_read_by(module) for key, module in sections.items()}
        self.modules = {key: module.__name__ for key, module in sections.items()}

    def of(self, section: str, path: tuple, value) -> dict:
        read = self.read_by.get(section, [])
        derived = {"derived_in": self.modules.get(section, "hw4.report.context"), "artifacts": read}
        if isinstance(value, bool):
            return derived
        name = last_name(path)
        candidates = self.index.get(value_key(value), [])
        named = [c for c in candidates if last_name(c[1].split(".")) == name]
        mine = [c for c in candidates if c[0] in read]
        # A whole number matches too many fields by chance: only a field of its own name.
        float_only = isinstance(value, float) and not float(value).is_integer()
        chosen = [c for c in named if c[0] in read] or named or (mine if float_only else [])
        if not chosen:
            return derived
        artifact, key = min(chosen, key=lambda c: (c[0] not in read, len(c[1]), c))
        return {
            "rule": self.sources[artifact]["rule"],
            "artifact": self.sources[artifact]["file"],
            "key": key,
        }


def entry(value, key: str, rounding: str | None, source: dict) -> dict:
    field = f"{source['artifact']}:{source['key']}" if "artifact" in source else ""
    return {
        "value": value,
        "rounding": rounding,
        "tolerance": tolerance_of(key, field).label(),
        "source": source,
    }


def printed_numbers(
    context: dict,
    claims: dict[str, dict],
    artifacts: dict[str, str],
    sections: dict,
    catalogue: dict[str, dict],
) -> dict[str, dict]:
    """Every number the report prints, by key (the module's docstring), sorted by key.

    ``context`` is the report's context (``hw4.report.context.build_context``); ``claims``
    its claims as ``{id: {verdict, values}}``; ``artifacts`` maps the names the loaders use
    to files; ``sections`` maps section keys to their modules (``SECTION_MODULES``);
    ``catalogue`` the claims' wordings (``hw4.report.claims.load_catalogue``).
    """
    finder = Sources(artifacts, context["sources"], {**sections, "glance": _context_module()})
    roundings = claim_roundings(catalogue)
    numbers: dict[str, dict] = {}
    for claim_id, claim in claims.items():
        section = claim_id.split(".", 1)[0]
        verdict_key = f"claim:{claim_id}"
        numbers[verdict_key] = entry(
            claim["verdict"],
            verdict_key,
            None,
            {"derived_in": finder.modules[section], "artifacts": finder.read_by[section]},
        )
        for path, value in leaves(claim["values"]):
            key = f"claim:{claim_id}." + ".".join(path)
            numbers[key] = entry(
                value,
                key,
                roundings.get(claim_id, {}).get(path[0]),
                finder.of(section, path, value),
            )
    benchmarks = context["provenance"]["rules"]
    columns = {"seconds": "s", "cpu_seconds": "cpu_time", "max_rss_mb": "max_rss"}
    for part, content in context.items():
        if part in NOT_PRINTED:
            continue
        for path, value in leaves(content):
            # The provenance's git state and versions are the manifest's; its numbers are
            # the rules' times and memory.
            if part == "provenance" and path[0] != "rules":
                continue
            key = f"context:{part}." + ".".join(path)
            if part == "provenance" and path[0] == "rules":
                # By the rule's name: the table's order is the workflow's, not a key.
                record = benchmarks[int(path[1])]
                key = f"context:provenance.rules.{record['rule']}." + ".".join(path[2:])
                source = {
                    "rule": record["rule"],
                    "artifact": record["benchmark"],
                    "key": columns.get(path[2], path[2]),
                }
            elif part == "original":
                source = {"file": "report/original_handin.yaml", "key": ".".join(path)}
            else:
                source = finder.of(part, path, value)
            numbers[key] = entry(value, key, None, source)
    return dict(sorted(numbers.items()))


def _context_module():
    from hw4.report import context as context_module

    return context_module


def data_sources(context: dict) -> dict[str, dict]:
    """Every data file the data rules read: ``{"<data>/<file>": {sha256, source, package}}``
    (``package``: the Python package that ships an embedded file, else None)."""
    found = {}
    for data_name in ("mnist", "consumption"):
        record = context["data"][data_name]
        for file_name, digest in record.get("files", {}).items():
            found[f"{data_name}/{file_name}"] = {
                "sha256": digest,
                "source": record.get("source"),
                "package": record.get("package"),
                "url": record.get("url"),
            }
    return found


def recorded_threads(artifacts: dict[str, str]) -> dict[str, dict]:
    """The CPU threads each JSON artifact's provenance records (``hw4.device``), by name."""
    found = {}
    for name, path in sorted(artifacts.items()):
        if path.endswith(".json"):
            record = read_json(path)
            threads = (
                record.get("provenance", {}).get("threads") if isinstance(record, dict) else None
            )
            if threads is not None:
                found[name] = threads
    return found


def build_manifest(
    context: dict,
    config: dict,
    config_sha256: str,
    snakemake_version: str,
    report_inputs: dict,
    repo: str | Path,
) -> dict:
    """The manifest (the module's docstring). ``report_inputs``: the report step's
    ``artifacts``, ``figures`` and ``rules`` as given, for a fast check of a ``results/``."""
    return {
        "format": FORMAT,
        "config": config,
        "config_sha256": config_sha256,
        "git": git_state(repo),
        "environment": {
            "python": platform.python_version(),
            "snakemake": snakemake_version,
            "os": platform.platform(),
            "cpus": os.cpu_count(),
            "threads_configured": config.get("compute", {}).get("threads"),
            "threads_recorded": recorded_threads(report_inputs["artifacts"]),
            "devices": context["provenance"]["devices"],
            "backends": context["provenance"]["backends"],
            "versions": context["provenance"]["versions"],
        },
        "data_sources": data_sources(context),
        # The title page's date: report.date when set, else the day the newest artifact was
        # made, which a rebuild on a later day does not share.
        "report_date": {
            "configured": bool(config.get("report", {}).get("date")),
            "iso": context["report"]["date"],
            "solar_hijri": context["report"]["date_solar_hijri"],
        },
        "artifacts": context["sources"],
        "report_inputs": report_inputs,
        "tolerances": {
            tolerance.label(): tolerance.why for _, tolerance in [("", EXACT), *DECLARED]
        },
    }


def attachment_texts(manifest: dict, numbers: dict[str, dict]) -> dict[str, str]:
    """``{file name: JSON text}`` of the two attachments, keys sorted: same inputs, same bytes."""

    def dumped(value) -> str:
        return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)

    return {
        MANIFEST_NAME: dumped(manifest),
        NUMBERS_NAME: dumped({"format": FORMAT, "numbers": numbers}),
    }


def attachment_date(report_date: str) -> datetime:
    """The attachments' creation and modification date: the report's date, never the clock."""
    return datetime.fromisoformat(report_date).replace(tzinfo=UTC)
