"""Bad configs stop the run before any job, with one line naming the key and what is allowed."""

from __future__ import annotations

import datetime

import pytest
import yaml
from conftest import REPO, run_snakemake

from hw4.config_check import ConfigError, check_config, check_config_files

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
    # data.consumption: what the config alone shows, before any job
    (
        {
            "data": {
                "consumption": {"source": "path", "path": "g.csv", "separator": ",", "decimal": ","}
            }
        },
        "data.consumption.separator and data.consumption.decimal are both ','",
    ),
    (
        {
            "data": {
                "consumption": {
                    "source": "path",
                    "path": "g.csv",
                    "decimal": ",",
                    "separator": ";",
                    "thousands": ",",
                }
            }
        },
        "data.consumption.decimal and data.consumption.thousands are both ','",
    ),
    (
        {"data": {"consumption": {"thousands": "_"}}},
        "data.consumption.thousands: '_' is not allowed",
    ),
    (
        {"data": {"consumption": {"source": "path", "path": "g.csv", "time_zone": "Europe/Berln"}}},
        "data.consumption.time_zone: 'Europe/Berln' is not an IANA time zone",
    ),
    (
        {"data": {"consumption": {"time_zone": "Europe/Berlin"}}},
        "data.consumption.time_zone: 'Europe/Berlin' is for a CSV (source path or url)",
    ),
    (
        {"data": {"consumption": {"flag_columns": ["holiday"]}}},
        "data.consumption.flag_columns: 'holiday' not in data.consumption.raw_feature_columns",
    ),
    (
        {"data": {"consumption": {"target_column": "load"}}},
        "data.consumption: the embedded series has no column 'load'",
    ),
    (
        {"lstm": {"features": ["temp", "wind", "hour_sin"]}},
        "lstm.features: 'temp', 'wind' not among the columns read and the calendar features",
    ),
    # the embedded series' length is known: a look-back it cannot hold stops the run at once
    (
        {"lstm": {"look_back": 7000}},
        "lstm.look_back: 7000 hours is not shorter than the training part (6132 of the 8760 hours in the embedded series",
    ),
    (
        {"lookback_sweep": {"look_backs": [6, 9000]}},
        "lookback_sweep.look_backs: 9000 hours is not shorter",
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


# --- the config files as typed ---------------------------------------------------------------

DUPLICATE_KEYS = REPO / "tests" / "cases" / "config_duplicate_keys.yaml"


def test_keys_given_twice_are_refused_naming_file_keys_and_lines():
    with pytest.raises(ConfigError) as info:
        check_config_files([DUPLICATE_KEYS])
    assert str(info.value) == (
        f"{DUPLICATE_KEYS}: keys given twice, of which YAML would keep only the last: 'lstm' "
        "(lines 3 and 10), 'cnn.epochs' (lines 7 and 9); merge or delete one of each"
    )


def test_a_key_given_twice_in_a_list_item_is_named_with_its_index(tmp_path):
    path = tmp_path / "layers.yaml"
    path.write_text("shapes:\n  layers:\n    - {type: conv, kernel: 3, kernel: 5, filters: 2}\n")
    with pytest.raises(ConfigError, match=r"'shapes.layers\[0\].kernel' \(lines 3 and 3\)"):
        check_config_files([path])


@pytest.mark.parametrize(
    "typed, read",
    [("0012345", "5349 (a number in base 8)"), ("1_234", "1234"), ("0x1F", "31")],
)
def test_a_student_id_whose_digits_yaml_changed_is_refused(tmp_path, typed, read):
    path = tmp_path / "id.yaml"
    path.write_text(f"report:\n  student_name: A\n  student_id: {typed}\n")
    with pytest.raises(ConfigError) as info:
        check_config_files([path])
    assert str(info.value) == (
        f"{path}: line 3: report.student_id: {typed} without quotes is read by YAML as {read}; "
        f'quote it: student_id: "{typed}"'
    )


@pytest.mark.parametrize("typed", ["400123456", '"0012345"', "'0012345'", '""'])
def test_a_student_id_read_as_typed_is_accepted(tmp_path, typed):
    path = tmp_path / "id.yaml"
    path.write_text(f"report:\n  student_id: {typed}\n")
    check_config_files([path, tmp_path / "absent.yaml"])


def test_a_duplicate_key_stops_snakemake_before_any_job(tmp_path):
    result = run_snakemake(tmp_path, "-n", configfile=DUPLICATE_KEYS, timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("config error:")]
    assert len(lines) == 1 and "'cnn.epochs' (lines 7 and 9)" in lines[0]
    assert "rule " not in result.stdout
