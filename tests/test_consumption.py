"""The hourly consumption series as read: the embedded default, the CSV dialects and timestamp
formats a student brings, and every way a CSV can be bad (one line naming the row or column)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hw4.data.consumption import add_calendar_features, read_consumption
from hw4.data.errors import DataError

CASES = __import__("pathlib").Path(__file__).parent / "data"


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
        "unit": "GW",
        "separator": ",",
        "decimal": ".",
        "time_format": "",
        "missing_hours": "refuse",
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


def case_settings(name, **over):
    """Settings for one of the case files (columns time, consumption, temp)."""
    return settings(
        source="path",
        path=str(CASES / name),
        target_column="consumption",
        raw_feature_columns=["temp"],
        flag_columns=[],
        **over,
    )


def test_embedded_series_is_hourly_2014():
    table, record = read_consumption(settings(), cache_dir="unused")
    assert len(table) == 8760  # 365 days of hours
    assert record["start"].startswith("2014-01-01 00:00")
    assert record["end"].startswith("2014-12-31 23:00")
    assert record["gaps"] == []
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
    table, record = read_consumption(path_settings(tmp_path / "g.csv"), tmp_path)
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
        (
            lambda f: f.assign(gas=f.gas.where(f.index != 8, np.inf)),
            r"row 10 .*column 'gas': inf is not a finite number",
        ),
        (lambda f: f.iloc[:0], "a header line but no rows of data"),
    ],
)
def test_bad_csv_names_the_row_or_column(tmp_path, mutate, message):
    frame = good_csv(tmp_path / "g.csv")
    mutate(frame).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=message) as info:
        read_consumption(path_settings(tmp_path / "bad.csv"), tmp_path)
    assert str(tmp_path / "bad.csv") in str(info.value) and "\n" not in str(info.value)


def test_url_source_downloads_and_checks(http_server, tmp_path):
    import hashlib

    url, www = http_server
    good_csv(www / "g.csv")
    sha = hashlib.sha256((www / "g.csv").read_bytes()).hexdigest()
    s = path_settings("", url=f"{url}/g.csv")
    s.update(source="url", sha256=sha)
    table, record = read_consumption(s, tmp_path)
    assert record["url"].endswith("g.csv") and len(table) == 300
    s["sha256"] = "f" * 64
    (tmp_path / "consumption.csv").unlink()
    with pytest.raises(DataError, match="sha256"):
        read_consumption(s, tmp_path)


def test_url_that_cannot_be_downloaded_names_the_key(http_server, tmp_path):
    url, _ = http_server
    s = path_settings("", url=f"{url}/absent.csv")
    s.update(source="url", sha256="")
    with pytest.raises(
        DataError, match=r"data.consumption.url: .*absent.csv could not be downloaded"
    ):
        read_consumption(s, tmp_path)


# --- the case files: what students bring -------------------------------------------------------


def test_missing_hours_are_found_on_the_hour_axis():
    table, record = read_consumption(case_settings("gas_missing_hours.csv"), "unused")
    assert record["gaps"] == [
        {"after": "2024-03-24 03:00:00", "before": "2024-03-24 09:00:00", "hours": 5},
        {"after": "2024-03-31 01:00:00", "before": "2024-03-31 03:00:00", "hours": 1},
    ]
    assert len(table) == 14 * 24 - 6  # the hours present, none invented


def test_day_first_dates_are_refused_without_a_format():
    with pytest.raises(DataError) as info:
        read_consumption(case_settings("gas_dayfirst.csv"), "unused")
    message = str(info.value)
    assert "gas_dayfirst.csv: row 2" in message and "'01/01/2024 00:00'" in message
    assert "day-first or month-first" in message and "data.consumption.time_format" in message


def test_day_first_dates_are_read_right_with_the_format():
    table, record = read_consumption(
        case_settings("gas_dayfirst.csv", time_format="%d/%m/%Y %H:%M"), "unused"
    )
    # 20 days of hours in January, not 12 months of the year
    assert record["start"] == "2024-01-01 00:00:00" and record["end"] == "2024-01-20 23:00:00"
    assert len(table) == 480 and record["gaps"] == []


def test_a_month_first_format_on_day_first_dates_is_refused():
    with pytest.raises(DataError, match=r"row 290 .*'13/01/2024 00:00' does not match"):
        read_consumption(case_settings("gas_dayfirst.csv", time_format="%m/%d/%Y %H:%M"), "unused")


def test_utc_offsets_changing_at_dst_are_converted_to_utc():
    table, record = read_consumption(case_settings("gas_utc_offsets.csv"), "unused")
    assert record["time_zone"] == "UTC, converted from the file's offsets +01:00, +02:00"
    assert record["start"] == "2024-03-24 23:00:00"  # 2024-03-25T00:00+01:00
    assert record["gaps"] == []  # the clock change is no gap in UTC
    assert table["time"].diff().iloc[1:].eq(pd.Timedelta("1h")).all()


def test_mixed_naive_and_offset_timestamps_are_refused(tmp_path):
    lines = ["time,consumption,temp", "2024-01-01 00:00,1,2", "2024-01-01T01:00+01:00,1,2"]
    (tmp_path / "mixed.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"row 2 .*has no UTC offset but row 3"):
        read_consumption(case_settings(str(tmp_path / "mixed.csv")), "unused")


def test_semicolon_file_without_the_dialect_says_how_to_name_it():
    with pytest.raises(DataError, match=r"separated by ';': set data.consumption.separator"):
        read_consumption(case_settings("gas_semicolon_decimal_comma.csv"), "unused")
    with pytest.raises(DataError, match=r"'42,26' is not a number \(a decimal comma\? set data"):
        read_consumption(case_settings("gas_semicolon_decimal_comma.csv", separator=";"), "unused")


def test_semicolon_file_with_the_dialect_is_read():
    table, record = read_consumption(
        case_settings("gas_semicolon_decimal_comma.csv", separator=";", decimal=","), "unused"
    )
    assert table["consumption"].iloc[0] == pytest.approx(42.26)
    assert table["temp"].iloc[0] == pytest.approx(1.7)
    assert len(table) == 336 and record["dialect"] == {"separator": ";", "decimal": ","}


def test_zero_readings_are_read_as_zeros():
    table, _ = read_consumption(case_settings("gas_zero_readings.csv"), "unused")
    assert (table["consumption"] == 0).sum() == 48
