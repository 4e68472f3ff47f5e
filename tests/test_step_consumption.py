"""Rule consumption: its step's decisions (gaps, features, lengths) on the case files, and the
rule itself: a user's CSV is an input, and a look-back the data cannot hold stops it."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import run_snakemake
from test_consumption import CASES, case_settings

from hw4.data.errors import DataError
from hw4.steps import consumption

Q3 = {
    "features": ["temp", "hour_sin", "hour_cos"],
    "look_back": 12,
    "sweep_look_backs": [6, 12],
    "seasonal_period": 24,
    "split_settings": {"train": 0.7, "validation": 0.15},
}


def run_case(name, q3=None, **over):
    return consumption.run(case_settings(name, **over), **{**Q3, **(q3 or {})}, cache_dir="unused")


def test_missing_hours_are_refused_by_default_naming_the_first_gap():
    with pytest.raises(DataError) as info:
        run_case("gas_missing_hours.csv")
    message = str(info.value)
    assert message.startswith(str(CASES / "gas_missing_hours.csv"))
    assert "5 hour(s) missing between 2024-03-24 03:00:00 and 2024-03-24 09:00:00" in message
    assert "the first of 2 gap(s), 6 missing hour(s)" in message
    assert "data.consumption.missing_hours: drop_windows" in message and "\n" not in message


def test_missing_hours_with_drop_windows_are_recorded():
    result = run_case("gas_missing_hours.csv", missing_hours="drop_windows")
    record = result["provenance"]["missing_hours"]
    assert record["policy"] == "drop_windows" and record["gaps"] == 2 and record["hours"] == 6
    assert record["list"][1] == {
        "after": "2024-03-31 01:00:00",
        "before": "2024-03-31 03:00:00",
        "hours": 1,
    }
    assert len(result["table"]) == 330


@pytest.mark.parametrize(
    "name, over",
    [
        ("gas_dayfirst.csv", {"time_format": "%d/%m/%Y %H:%M"}),
        ("gas_utc_offsets.csv", {}),
        ("gas_semicolon_decimal_comma.csv", {"separator": ";", "decimal": ","}),
        ("gas_zero_readings.csv", {}),
    ],
)
def test_case_files_named_right_are_accepted(name, over):
    result = run_case(name, **over)
    assert result["provenance"]["missing_hours"]["gaps"] == 0
    assert not result["table"].isna().any().any()


def test_features_are_checked_against_the_file_all_at_once():
    with pytest.raises(DataError) as info:
        run_case("gas_zero_readings.csv", {"features": ["temperature", "workday", "temp"]})
    message = str(info.value)
    assert message.startswith("lstm.features: 'temperature', 'workday' are not columns of ")
    assert "gas_zero_readings.csv" in message and "'temp', 'hour_sin'" in message


def test_empty_readings_under_drop_windows_are_missing_hours_in_the_provenance(tmp_path):
    lines = (CASES / "gas_zero_readings.csv").read_text().splitlines()
    for row in (11, 12):
        time, _, temp = lines[row].split(",")
        lines[row] = f"{time},,{temp}"
    (tmp_path / "empty.csv").write_text("\n".join(lines) + "\n")
    result = run_case(str(tmp_path / "empty.csv"), missing_hours="drop_windows")
    provenance = result["provenance"]
    assert provenance["missing_hours"]["hours"] == 2 and provenance["missing_hours"]["gaps"] == 1
    assert provenance["empty_readings"] == {"rows": 2, "values": 2}
    assert provenance["time_zone"] == "none (naive timestamps)"


@pytest.mark.parametrize(
    "q3, key",
    [
        ({"look_back": 400}, "lstm.look_back: 400 hours"),
        ({"sweep_look_backs": [6, 336]}, "lookback_sweep.look_backs: 336 hours"),
        ({"seasonal_period": 168 * 2}, "lstm.seasonal_period: 336 hours"),
    ],
)
def test_look_backs_longer_than_the_training_part_are_refused(q3, key):
    with pytest.raises(DataError) as info:
        run_case("gas_zero_readings.csv", q3)  # 480 hours: 336 train
    assert str(info.value).startswith(key)
    assert "not shorter than the training part (336 of the 480 hours" in str(info.value)


def test_a_part_with_no_window_is_refused(tmp_path):
    # 480 hours; the test part is the last 24, and its first 14 are missing: the 10 hours
    # left cannot hold a 12-hour window, so the test part would be empty.
    lines = (CASES / "gas_zero_readings.csv").read_text().splitlines()
    del lines[1 + 456 : 1 + 470]
    (tmp_path / "gappy.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"gappy.csv: no test window has all its hours present"):
        run_case(
            str(tmp_path / "gappy.csv"),
            {"split_settings": {"train": 0.7, "validation": 0.25}},
            missing_hours="drop_windows",
        )


# --- the rule, run by Snakemake ------------------------------------------------------------------


def write_config(folder, **lstm):
    config = {
        "data": {
            "consumption": {
                "source": "path",
                "path": str(folder / "mine.csv"),
                "target_column": "consumption",
                "raw_feature_columns": ["temp"],
                "flag_columns": [],
                "unit": "m3",
            }
        },
        "lstm": {"features": ["temp"], **lstm},
        "lookback_sweep": {"look_backs": [6, 12]},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_editing_the_csv_reruns_the_rule(tmp_path):
    (tmp_path / "mine.csv").write_bytes((CASES / "gas_zero_readings.csv").read_bytes())
    config = write_config(tmp_path)
    target = "results/data/consumption.csv"
    first = run_snakemake(tmp_path, "--cores", "1", target, configfile=config, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    provenance = json.loads((tmp_path / "results/data/consumption.provenance.json").read_text())
    assert list(provenance["files"]) == ["mine.csv"]
    unchanged = run_snakemake(tmp_path, "-n", target, configfile=config, timeout=300)
    assert "Nothing to be done" in unchanged.stdout + unchanged.stderr
    with open(tmp_path / "mine.csv", "a") as handle:
        handle.write("2024-06-21 00:00,40.0,2.0\n")
    edited = run_snakemake(tmp_path, "-n", target, configfile=config, timeout=300)
    assert "rule consumption:" in edited.stdout + edited.stderr


def test_a_look_back_the_data_cannot_hold_stops_the_rule_before_training(tmp_path):
    (tmp_path / "mine.csv").write_bytes((CASES / "gas_zero_readings.csv").read_bytes())
    config = write_config(tmp_path, look_back=400)
    result = run_snakemake(
        tmp_path, "--cores", "1", "results/lstm/metrics.json", configfile=config, timeout=300
    )
    assert result.returncode != 0
    log = (tmp_path / "logs/data/consumption.log").read_text()
    assert "lstm.look_back: 400 hours is not shorter than the training part" in log
    assert not (tmp_path / "logs/lstm").exists()  # no training job started
