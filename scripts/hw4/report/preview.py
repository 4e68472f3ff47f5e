"""A preview run's budget beside the full one, for the report's title page and sections.

A config with ``report.preview: true`` (config/preview.yaml) builds the whole report on a
small budget. The full budget is the shipped ``config.yaml``: every setting where the run
differs from it is listed, in the sections whose results it changes, with both values.
Framework-free: it runs when the workflow starts, from the two configs.
"""

from __future__ import annotations

import json

from hw4.report.typography import PERSIAN_DECIMAL, PERSIAN_DIGITS

# Settings that are not a budget: who the report is for, where the jobs run, and which data
# and columns a user brought (their own CSV or MNIST file is a choice of data, not a smaller
# budget; only data.mnist.subset, a sample of the data, is one).
NOT_BUDGET = ("seed", "report", "compute")
DATA_CHOICES = ("data.consumption", "lstm.features", "lstm.include_target_history")
DATA_BUDGET = ("data.mnist.subset",)


def is_budget(key: str) -> bool:
    """Whether the setting ``key`` (a dotted path) sizes the run rather than choosing its data."""
    if key.split(".")[0] in NOT_BUDGET:
        return False
    if key.startswith("data.mnist."):
        return any(key == k or key.startswith(f"{k}.") for k in DATA_BUDGET)
    return not any(key == k or key.startswith(f"{k}.") for k in DATA_CHOICES)


# The report sections (report/sections.yaml keys) whose results a setting changes, by the
# setting's key path prefix; the first matching prefix wins.
SECTIONS_BY_PREFIX = [
    ("data.mnist", ["data", "tuning", "q6", "q7"]),
    ("data.consumption", ["data", "q3"]),
    ("tuning", ["tuning"]),
    ("lstm", ["q3"]),
    ("lookback_sweep", ["q3"]),
    ("rnn_vs_cnn", ["q4"]),
    ("shapes", ["q5"]),
    ("batchnorm", ["q6"]),
    ("cnn", ["q7"]),
    ("gradcam", ["q7"]),
]


def flatten(config: dict, prefix: str = "") -> dict[str, object]:
    """``{"a.b.c": value}`` for every leaf of a nested dict (lists are leaves)."""
    leaves = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            leaves.update(flatten(value, f"{path}."))
        else:
            leaves[path] = value
    return leaves


def shown(value) -> str:
    """A setting as the report prints it: YAML-like; an absent one (a subset) is all the data."""
    if value is None:
        return "not set (all)"
    return json.dumps(value, ensure_ascii=False).replace('"', "")


def shown_fa(value) -> str:
    """``shown(value)`` for Persian prose: Persian digits, decimal point and comma."""
    if value is None:
        return "تعیین‌نشده (همه)"
    return shown(value).replace(".", PERSIAN_DECIMAL).replace(",", "،").translate(PERSIAN_DIGITS)


def sections_of(key: str) -> list[str]:
    """The report sections whose results the setting ``key`` (a dotted path) changes."""
    for prefix, sections in SECTIONS_BY_PREFIX:
        if key == prefix or key.startswith(f"{prefix}."):
            return sections
    raise KeyError(f"{key}: no report section is known for this setting")


def preview_budget(run_config: dict, full_config: dict) -> dict:
    """Every budget setting where ``run_config`` differs from ``full_config``, by section.

    Both configs are validated (schema defaults filled in). Returns ``{"settings": [...],
    "sections": {section: [...]}}``, each entry ``{"key", "value", "full", "value_fa",
    "full_fa"}`` with the values as printed (Persian digits in the ``_fa`` fields).
    """
    run_leaves, full_leaves = flatten(run_config), flatten(full_config)
    settings = []
    sections: dict[str, list[dict]] = {}
    for key in sorted(set(run_leaves) | set(full_leaves)):
        if not is_budget(key) or run_leaves.get(key) == full_leaves.get(key):
            continue
        value, full = run_leaves.get(key), full_leaves.get(key)
        entry = {
            "key": key,
            "value": shown(value),
            "full": shown(full),
            "value_fa": shown_fa(value),
            "full_fa": shown_fa(full),
        }
        settings.append(entry)
        for section in sections_of(key):
            sections.setdefault(section, []).append(entry)
    return {"settings": settings, "sections": sections}
