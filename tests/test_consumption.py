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
        "thousands": "",
        "time_format": "",
        "time_zone": "",
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
        (
            lambda f: f.assign(gas=f.gas.where(f.index != 5)),
            r"row 7 .*column 'gas' is empty .*set data.consumption.missing_hours: drop_windows",
        ),
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
    with pytest.raises(
        DataError,
        match=r"'42,26' is not a number .*\(it reads as a number with data.consumption.decimal: ','\)$",
    ):
        read_consumption(case_settings("gas_semicolon_decimal_comma.csv", separator=";"), "unused")


def test_semicolon_file_with_the_dialect_is_read():
    table, record = read_consumption(
        case_settings("gas_semicolon_decimal_comma.csv", separator=";", decimal=","), "unused"
    )
    assert table["consumption"].iloc[0] == pytest.approx(42.26)
    assert table["temp"].iloc[0] == pytest.approx(1.7)
    assert len(table) == 336 and record["dialect"] == {
        "separator": ";",
        "decimal": ",",
        "thousands": "",
    }


def test_zero_readings_are_read_as_zeros():
    table, _ = read_consumption(case_settings("gas_zero_readings.csv"), "unused")
    assert (table["consumption"] == 0).sum() == 48


# --- number formats: the dialect read strictly ---------------------------------------------------

THOUSANDS = {"separator": ";", "decimal": ","}


def test_thousands_grouped_by_a_dot_are_refused_until_named():
    with pytest.raises(DataError) as info:
        read_consumption(case_settings("gas_thousands_separator.csv", **THOUSANDS), "unused")
    message = str(info.value)
    assert (
        "gas_thousands_separator.csv: row 2 (data row 1), column 'consumption': '1.485,6'"
        in message
    )
    assert message.endswith("(it reads as a number with data.consumption.thousands: '.')")
    assert "data.consumption.decimal" not in message  # already given: never pointed to again


def test_thousands_grouped_by_a_dot_are_read_at_their_true_value():
    table, record = read_consumption(
        case_settings("gas_thousands_separator.csv", thousands=".", **THOUSANDS), "unused"
    )
    assert table["consumption"].iloc[:4].tolist() == [1485.6, 1668.0, 1794.0, 2062.7]
    assert table["consumption"].min() > 500  # 968,8 and 1.111 alike; never 1000x too small
    assert table["temp"].iloc[0] == pytest.approx(10.3)
    assert record["dialect"] == {"separator": ";", "decimal": ",", "thousands": "."}


@pytest.mark.parametrize(
    "value, over, message",
    [
        # a '.' with decimal ',' is never a decimal point, grouped in threes or not
        (
            "1.66",
            {"thousands": "."},
            "'1.66' is not a number with decimal mark ',' and thousands separator '.'$",
        ),
        ("12.3456,7", {"thousands": "."}, "'12.3456,7' is not a number with decimal mark ','"),
        ("1.668", {}, r"\(it reads as a number with data.consumption.thousands: '.'\)$"),
        ("1.5", {}, "'1.5' is not a number with decimal mark ',' and no thousands separator$"),
    ],
)
def test_a_dot_after_a_decimal_comma_is_refused_naming_row_and_column(
    tmp_path, value, over, message
):
    lines = ["time;consumption;temp", "2024-01-01 00:00;1,5;2", f"2024-01-01 01:00;{value};2"]
    (tmp_path / "dots.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=message) as info:
        read_consumption(case_settings(str(tmp_path / "dots.csv"), **THOUSANDS, **over), "unused")
    assert "row 3 (data row 2), column 'consumption'" in str(info.value)


def test_a_hint_never_points_to_a_setting_already_given(tmp_path):
    lines = ["time;consumption;temp", "2024-01-01 00:00;1.234,5;2"]
    (tmp_path / "both.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as info:  # neither named: both suggested, as one change
        read_consumption(case_settings(str(tmp_path / "both.csv"), separator=";"), "unused")
    assert str(info.value).endswith(
        "(it reads as a number with data.consumption.decimal: ',' and data.consumption.thousands: '.')"
    )
    with pytest.raises(DataError) as info:  # thousands given as ',': no hint undoes it
        read_consumption(
            case_settings(str(tmp_path / "both.csv"), separator=";", thousands=","), "unused"
        )
    assert "(it reads" not in str(info.value)


def test_a_dialect_with_one_character_in_two_roles_is_refused():
    with pytest.raises(
        DataError, match="data.consumption.separator and data.consumption.decimal are both ','"
    ):
        read_consumption(case_settings("gas_zero_readings.csv", decimal=","), "unused")


# --- header and fields -------------------------------------------------------------------------------


def test_header_names_with_spaces_are_stripped_and_said(caplog):
    with caplog.at_level("INFO", logger="hw4"):
        table, _ = read_consumption(case_settings("gas_header_spaces.csv"), "unused")
    assert len(table) == 360 and table["consumption"].iloc[0] == pytest.approx(37.53)
    assert "' time ' as 'time', ' consumption ' as 'consumption', 'temp ' as 'temp'" in caplog.text


def test_missing_columns_are_named_all_at_once_in_quotes():
    with pytest.raises(DataError) as info:
        settings_ = case_settings("gas_header_spaces.csv")
        settings_["raw_feature_columns"] = ["temp", "wind", "sun"]
        read_consumption(settings_, "unused")
    assert (
        "columns 'wind', 'sun' are missing (columns present: 'time', 'consumption', 'temp')"
        in str(info.value)
    )


def test_a_value_after_the_last_column_is_refused_naming_line_and_counts():
    with pytest.raises(DataError) as info:
        read_consumption(case_settings("gas_trailing_separator.csv"), "unused")
    message = str(info.value)
    assert (
        "gas_trailing_separator.csv: line 102 has 4 fields but the header (line 1) has 3" in message
    )
    assert "holds '3.5'" in message and "time format" not in message and "\n" not in message


def test_an_empty_field_after_the_last_column_is_ignored(tmp_path, caplog):
    lines = (CASES / "gas_trailing_separator.csv").read_text().splitlines()
    lines[101] = lines[101].rsplit(",", 1)[0] + ","
    (tmp_path / "trailing.csv").write_text("\n".join(lines) + "\n")
    with caplog.at_level("INFO", logger="hw4"):
        table, _ = read_consumption(case_settings(str(tmp_path / "trailing.csv")), "unused")
    assert table["consumption"].iloc[0] == pytest.approx(37.43)  # columns not shifted
    assert table["temp"].iloc[0] == pytest.approx(6.6)
    assert "ignored on 360 line(s)" in caplog.text


def test_a_row_with_too_few_fields_is_refused(tmp_path):
    lines = ["time,consumption,temp", "2024-01-01 00:00,1,2", "2024-01-01 01:00,1"]
    (tmp_path / "short.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 3 has 2 fields but the header .line 1. has 3"):
        read_consumption(case_settings(str(tmp_path / "short.csv")), "unused")


# --- empty readings ------------------------------------------------------------------------------


def empty_reading_file(tmp_path):
    lines = (CASES / "gas_zero_readings.csv").read_text().splitlines()
    time, _, temp = lines[11].split(",")
    lines[11] = f"{time},,{temp}"  # row 12: the hour 2024-06-01 10:00
    (tmp_path / "empty.csv").write_text("\n".join(lines) + "\n")
    return tmp_path / "empty.csv"


def test_an_empty_reading_is_refused_naming_the_setting(tmp_path):
    with pytest.raises(DataError) as info:
        read_consumption(case_settings(str(empty_reading_file(tmp_path))), "unused")
    message = str(info.value)
    assert "row 12 (data row 11), column 'consumption' is empty" in message
    assert "data.consumption.missing_hours: drop_windows" in message


def test_an_empty_reading_is_a_missing_hour_under_drop_windows(tmp_path):
    settings_ = case_settings(str(empty_reading_file(tmp_path)), missing_hours="drop_windows")
    table, record = read_consumption(settings_, "unused")
    assert record["gaps"] == [
        {"after": "2024-06-01 09:00:00", "before": "2024-06-01 11:00:00", "hours": 1}
    ]
    assert record["empty_readings"] == {"rows": 1, "values": 1} and len(table) == 479


# --- time zones ----------------------------------------------------------------------------------


def local_csv(path, times):
    lines = ["time,consumption,temp"] + [f"{t},{i + 1},2" for i, t in enumerate(times)]
    path.write_text("\n".join(lines) + "\n")
    return path


def wall_clock(start, end):
    return [str(t)[:16] for t in pd.date_range(start, end, freq="1h")]


def test_a_repeated_autumn_hour_is_read_by_its_order_in_the_zone(tmp_path):
    # Europe/Berlin: 2024-10-27 02:00 comes twice (CEST, then CET)
    times = wall_clock("2024-10-27 00:00", "2024-10-27 02:00") + wall_clock(
        "2024-10-27 02:00", "2024-10-27 05:00"
    )
    file = local_csv(tmp_path / "autumn.csv", times)
    table, record = read_consumption(case_settings(str(file), time_zone="Europe/Berlin"), "unused")
    assert record["gaps"] == [] and len(table) == 7
    assert table["time"].iloc[0] == pd.Timestamp("2024-10-26 22:00")  # UTC
    assert table["time"].diff().iloc[1:].eq(pd.Timedelta("1h")).all()
    assert record["time_zone"].startswith("UTC, converted from local time in Europe/Berlin")
    # the hour-of-day features on the local clock: both 02:00 readings at 02:00
    hour = np.degrees(np.arctan2(table["hour_sin"], table["hour_cos"])) / 15 % 24
    assert hour.round(6).tolist() == [0, 1, 2, 2, 3, 4, 5]
    with pytest.raises(DataError, match="repeats the row before .*data.consumption.time_zone"):
        read_consumption(case_settings(str(file)), "unused")  # without the zone


def test_the_skipped_spring_hour_is_no_gap_in_the_zone(tmp_path):
    times = [t for t in wall_clock("2024-03-31 00:00", "2024-03-31 05:00") if "02:00" not in t]
    file = local_csv(tmp_path / "spring.csv", times)
    table, record = read_consumption(case_settings(str(file), time_zone="Europe/Berlin"), "unused")
    assert record["gaps"] == [] and len(table) == 5
    _, naive = read_consumption(case_settings(str(file), missing_hours="drop_windows"), "unused")
    assert naive["gaps"][0]["hours"] == 1 and naive["time_zone"] == "none (naive timestamps)"


def test_a_time_the_spring_clock_skips_is_refused(tmp_path):
    file = local_csv(tmp_path / "skipped.csv", wall_clock("2024-03-31 00:00", "2024-03-31 03:00"))
    with pytest.raises(
        DataError,
        match=r"row 4 .*'2024-03-31 02:00' does not exist in data.consumption.time_zone 'Europe/Berlin'",
    ):
        read_consumption(case_settings(str(file), time_zone="Europe/Berlin"), "unused")


def test_a_half_hour_zone_keeps_local_hours_whole(tmp_path):
    file = local_csv(tmp_path / "tehran.csv", wall_clock("2024-01-01 00:00", "2024-01-01 03:00"))
    table, _ = read_consumption(case_settings(str(file), time_zone="Asia/Tehran"), "unused")
    assert table["time"].iloc[0] == pd.Timestamp("2023-12-31 20:30")  # +03:30
    assert table["hour_sin"].iloc[0] == pytest.approx(0) and table["hour_cos"].iloc[
        0
    ] == pytest.approx(1)


def test_every_provenance_names_its_time_zone():
    _, embedded = read_consumption(settings(), "unused")
    assert embedded["time_zone"] == "none (naive timestamps)"
