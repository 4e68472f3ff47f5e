"""Bad configs stop the run before any job, with one line naming the key and what is allowed."""

from __future__ import annotations

import datetime

import pytest
import yaml
from conftest import REPO, run_snakemake

from hw4.config_check import ConfigError, check_config

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"

BAD = [
    (
        {"data": {"mnist": {"source": "ftp"}}},
        "data.mnist.source: 'ftp' is not allowed (allowed: auto, download, path, embedded)",
    ),
    ({"seed": -1}, "seed: -1 is not allowed (allowed: a number >= 0)"),
    ({"data": {"mnist": {"sorce": "auto"}}}, "data.mnist.sorce: unknown key"),
    (
        {"shapes": {"layers": [{"type": "conv", "kernel": 3}]}},
        "shapes.layers[0]: 'filters' is a required property",
    ),
    (
        {"shapes": {"layers": [{"type": "conv", "kernel": 3, "filters": 2, "padding": "full"}]}},
        "shapes.layers[0].padding: 'full' is not allowed",
    ),
    ({"data": {"mnist": {"source": "path"}}}, "data.mnist: 'path' is a required property"),
    (
        {"data": {"consumption": {"source": "url", "url": ""}}},
        "data.consumption.url: '' is not allowed (it must not be empty for this source)",
    ),
    (
        {"data": {"mnist": {"sha256": "abc"}}},
        "data.mnist.sha256: 'abc' is not allowed (allowed: text matching",
    ),
    ({"report": {"date": "28/11/2026"}}, "report.date: '28/11/2026' is not allowed"),
    (
        {"lstm": {"split": {"train": 0.9}}},
        "lstm.split: train 0.9 + validation 0.15 = 1.05 leaves no test part",
    ),
    (
        {"data": {"consumption": {"separator": ""}}},
        "data.consumption.separator: '' is not allowed (it must not be empty)",
    ),
    (
        {"data": {"consumption": {"missing_hours": "fill"}}},
        "data.consumption.missing_hours: 'fill' is not allowed (allowed: refuse, drop_windows)",
    ),
    ({"tuning": {"workers": 0}}, "tuning.workers: 0 is not allowed (allowed: a number >= 1)"),
    ({"tuning": {"workers": 1.5}}, "tuning.workers: 1.5 is not allowed"),
    ({"tuning": {"workers": 2.0}}, "tuning.workers: 2.0 is not allowed"),
    ({"cnn": {"epochs": 3.0}}, "cnn.epochs: 3.0 is not allowed"),
    (
        {"lstm": {"features": [], "include_target_history": False}},
        "lstm.features: empty while lstm.include_target_history is false leaves the model no input",
    ),
]


def test_an_unquoted_iso_date_is_read_as_its_text():
    config = {"report": {"date": datetime.date(2024, 1, 5)}}
    check_config(config, SCHEMA)
    assert config["report"]["date"] == "2024-01-05"


@pytest.mark.parametrize("config, message", BAD)
def test_check_config_names_the_key(config, message):
    with pytest.raises(ConfigError) as info:
        check_config(config, SCHEMA)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_shipped_configs_are_valid():
    for path in [REPO / "config.yaml", *sorted((REPO / "tests" / "configs").glob("*.yaml"))]:
        check_config(yaml.safe_load(path.read_text()), SCHEMA)


@pytest.mark.parametrize("config, message", [BAD[0], BAD[2]])
def test_snakemake_stops_before_any_job(tmp_path, config, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    result = run_snakemake(tmp_path, "-n", configfile=bad, timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("config error:")]
    assert lines == [f"config error: {message}"] or (len(lines) == 1 and message in lines[0])
    assert "rule " not in result.stdout  # no job was planned or run
    assert not (tmp_path / "results").exists()


GRADCAM_LAYERS = [
    (
        "dense_1",
        "gradcam.layer: 'dense_1' has output shape (128,), without spatial axes for a Grad-CAM"
        " map (allowed: conv_1, pool_1, conv_2, pool_2, conv_3, pool_3)",
    ),
    ("flatten", "gradcam.layer: 'flatten' has output shape (576,), without spatial axes"),
    ("conv_9", "gradcam.layer: 'conv_9' is not a layer of the Q7 network (allowed: conv_1,"),
]


@pytest.mark.parametrize("layer, message", GRADCAM_LAYERS)
def test_gradcam_layer_without_spatial_axes_is_refused(layer, message):
    with pytest.raises(ConfigError) as info:
        check_config({"gradcam": {"layer": layer}}, SCHEMA)
    assert message in str(info.value) and "\n" not in str(info.value)
    check_config({"gradcam": {"layer": "conv_2"}}, SCHEMA)  # a conv layer is accepted


def test_gradcam_layer_stops_snakemake_before_training(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"gradcam": {"layer": "dense_1"}}))
    result = run_snakemake(tmp_path, "-n", configfile=bad, timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("config error:")]
    assert len(lines) == 1 and lines[0].startswith("config error: gradcam.layer: 'dense_1'")
    assert "rule " not in result.stdout
