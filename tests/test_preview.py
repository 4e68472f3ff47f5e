"""The preview config: it passes the config check, plans every rule, and the report names
each setting below the full budget (config.yaml's) in the sections it changes."""

from __future__ import annotations

import re

import yaml
from conftest import REPO, run_snakemake
from snakemake.utils import validate

from hw4.config_check import check_config
from hw4.report.preview import SECTIONS_BY_PREFIX, preview_budget, sections_of

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
PREVIEW = REPO / "config" / "preview.yaml"
SECTIONS = [entry["key"] for entry in yaml.safe_load((REPO / "report/sections.yaml").read_text())]


def merged(over: dict, base: dict) -> dict:
    """``over`` merged into ``base`` key by key, as Snakemake merges --configfile over configfile:."""
    result = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            result[key] = merged(value, base[key])
        else:
            result[key] = value
    return result


def validated(config: dict) -> dict:
    validate(config, str(SCHEMA))
    return config


def configs() -> tuple[dict, dict]:
    full = yaml.safe_load((REPO / "config.yaml").read_text())
    preview = merged(yaml.safe_load(PREVIEW.read_text()), full)
    return validated(preview), validated(yaml.safe_load((REPO / "config.yaml").read_text()))


def test_the_preview_config_passes_the_check_and_plans_every_rule(tmp_path):
    check_config(yaml.safe_load(PREVIEW.read_text()), SCHEMA)
    result = run_snakemake(tmp_path, "-n", "--cores", "2", configfile=PREVIEW, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    planned = set(re.findall(r"^rule (\w+):$|^localrule (\w+):$", result.stdout, re.M))
    planned = {name for pair in planned for name in pair if name}
    rules = {
        "mnist", "consumption", "q5_shapes", "tune_cnn", "train_cnn", "gradcam",
        "lookback_sweep", "train_lstm", "rnn_vs_cnn", "batchnorm_checks", "report", "all",
    }  # fmt: skip
    assert rules <= planned, result.stdout


def test_every_budget_setting_below_the_full_one_is_named_with_both_values():
    preview, full = configs()
    budget = preview_budget(preview, full)
    by_key = {entry["key"]: entry for entry in budget["settings"]}
    assert by_key["tuning.max_epochs"]["value"] == "2"
    assert by_key["tuning.max_epochs"]["full"] == "10"
    assert by_key["tuning.max_epochs"]["full_fa"] == "۱۰"
    assert by_key["data.mnist.subset.train"]["value"] == "1000"
    assert by_key["data.mnist.subset.train"]["full"] == "not set (all)"
    assert by_key["lookback_sweep.look_backs"]["full"] == "[6, 12, 24, 48]"
    assert by_key["lookback_sweep.look_backs"]["full_fa"] == "[۶، ۱۲، ۲۴، ۴۸]"
    assert "report.preview" not in by_key  # not a budget
    # The search space is config.yaml's (the corrected one): the preview narrows only the budget.
    assert not [key for key in by_key if key.startswith("tuning.space")]
    assert preview["tuning"]["search_space"] == "corrected"
    # Every section whose results a preview setting changes says so; Q5 (shapes only) does not.
    assert set(budget["sections"]) == set(SECTIONS) - {"q5"}
    assert by_key["tuning.max_epochs"] in budget["sections"]["tuning"]
    assert by_key["data.mnist.subset.train"] in budget["sections"]["q7"]


def test_a_full_budget_run_names_nothing():
    _, full = configs()
    assert preview_budget(full, full) == {"settings": [], "sections": {}}


def test_every_config_section_maps_to_report_sections():
    schema = yaml.safe_load(SCHEMA.read_text())
    budget_keys = set(schema["properties"]) - {"seed", "report", "compute", "data"}
    for key in budget_keys | {"data.mnist", "data.consumption"}:
        assert set(sections_of(f"{key}.anything")) <= set(SECTIONS), key
    assert {prefix for prefix, _ in SECTIONS_BY_PREFIX} >= budget_keys


def test_the_schema_defaults_are_the_shipped_config():
    """A --configfile run in another --directory finds no config.yaml and takes the schema's
    defaults for the keys it leaves out: they must be config.yaml's values."""
    from hw4.report.preview import flatten

    defaults = validated({})
    _, full = configs()
    assert flatten(defaults) == flatten(full)


def test_a_user_s_own_data_is_not_listed_as_a_smaller_budget():
    preview, full = configs()
    own = merged(
        {
            "data": {
                "consumption": {"source": "path", "path": "/data/gas.csv", "target_column": "m3"},
                "mnist": {"source": "path", "path": "/data/mnist.npz"},
            },
            "lstm": {"features": ["temp"]},
        },
        preview,
    )
    keys = {entry["key"] for entry in preview_budget(own, full)["settings"]}
    assert keys == {entry["key"] for entry in preview_budget(preview, full)["settings"]}
    assert "data.mnist.subset.train" in keys  # a sample of the data is a budget
