"""The hourly energy series: the embedded default and every way a CSV can be bad."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hw4.data.consumption import add_calendar_features, prepare_energy
from hw4.data.errors import DataError


def settings(**over):
    base = {
        "source": "embedded",
        "path": "",
        "url": "",
        "sha256": "",
        "time_column": "time",
        "target_column": "demand",
        "raw_feature_columns": ["temperature", "workday"],
        "flag_columns": ["workday"],
    }
    base.update(over)
    return base


def good_csv(path, rows=300):
    times = pd.date_range("2021-01-01", periods=rows, freq="1h")
    frame = pd.DataFrame(
        {
            "ts": times.astype(str),
            "gas": np.linspace(1, 2, rows),
            "temp": np.linspace(10, 20, rows),
            "holiday": np.zeros(rows),
        }
    )
    frame.to_csv(path, index=False)
    return frame


def path_settings(path, **over):
    return settings(
        source="path",
        path=str(path),
        time_column="ts",
        target_column="gas",
        raw_feature_columns=["temp", "holiday"],
        flag_columns=["holiday"],
        **over,
    )


def test_embedded_series_is_hourly_2014():
    table, record = prepare_energy(settings(), cache_dir="unused", min_rows=200)
    assert len(table) == 8760  # 365 days of hours
    assert record["start"].startswith("2014-01-01 00:00")
    assert record["end"].startswith("2014-12-31 23:00")
    assert table["time"].diff().iloc[1:].eq(pd.Timedelta("1h")).all()
    assert {"demand", "temperature", "workday", "hour_sin", "dow_cos"} <= set(table.columns)
    assert set(table["workday"].unique()) <= {0.0, 1.0}
    assert 2 < table["demand"].mean() < 8  # GW, Victoria


def test_calendar_features_are_on_the_unit_circle():
    frame = pd.DataFrame({"time": pd.date_range("2020-01-01", periods=48, freq="1h")})
    out = add_calendar_features(frame, "time")
    np.testing.assert_allclose(out.hour_sin**2 + out.hour_cos**2, 1)
    assert out.hour_sin.iloc[0] == pytest.approx(0) and out.hour_cos.iloc[0] == pytest.approx(1)


def test_path_csv_is_read(tmp_path):
    good_csv(tmp_path / "g.csv")
    table, record = prepare_energy(path_settings(tmp_path / "g.csv"), tmp_path, min_rows=200)
    assert len(table) == 300 and "gas" in table


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: f.drop(columns="temp"), "column 'temp' is missing"),
        (lambda f: f.assign(gas=f.gas.where(f.index != 5)), r"row 7 .*column 'gas' is empty"),
        (
            lambda f: f.assign(temp=f.temp.astype(object).where(f.index != 3, "warm")),
            r"row 5 .*'warm' is not a number",
        ),
        (lambda f: f.assign(ts=f.ts.where(f.index != 10, f.ts[9])), r"row 12 .*repeats"),
        (lambda f: f.assign(ts=f.ts.where(f.index != 10, f.ts[2])), r"row 12 .*not sorted"),
        (lambda f: f.assign(ts=f.ts.where(f.index != 4, "yesterday")), r"row 6 .*not a timestamp"),
        (lambda f: f.iloc[:50], "fewer than the 200"),
    ],
)
def test_bad_csv_names_the_row_or_column(tmp_path, mutate, message):
    frame = good_csv(tmp_path / "g.csv")
    mutate(frame).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=message):
        prepare_energy(path_settings(tmp_path / "bad.csv"), tmp_path, min_rows=200)


def test_url_source_downloads_and_checks(http_server, tmp_path):
    import hashlib

    url, www = http_server
    good_csv(www / "g.csv")
    sha = hashlib.sha256((www / "g.csv").read_bytes()).hexdigest()
    s = path_settings("", url=f"{url}/g.csv")
    s.update(source="url", sha256=sha)
    table, record = prepare_energy(s, tmp_path, min_rows=200)
    assert record["url"].endswith("g.csv") and len(table) == 300
    s["sha256"] = "f" * 64
    (tmp_path / "energy.csv").unlink()
    with pytest.raises(DataError, match="sha256"):
        prepare_energy(s, tmp_path, min_rows=200)
