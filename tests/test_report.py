"""The report stack's own decisions: where each artifact comes from, benchmark files,
the section list, and the report settings the config accepts."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest
import yaml
from conftest import REPO, loaded_packages, run_snakemake

from hw4.config_check import check_config, missing_student_details
from hw4.report.context import (
    SECTION_LOADERS,
    MissingArtifact,
    artifact_sources,
    build_context,
    read_benchmark,
)
from hw4.report.dates import DateError, parse_report_date, solar_hijri

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def test_artifact_sources_name_rule_file_and_digest(tmp_path):
    table = tmp_path / "q5_layers.csv"
    table.write_text("index,params\n1,1792\n")
    sources = artifact_sources({"q5_table": str(table)}, {str(table): "q5_shapes"})
    digest = hashlib.sha256(table.read_bytes()).hexdigest()
    assert sources == {"q5_table": {"rule": "q5_shapes", "file": str(table), "sha256": digest}}
    with pytest.raises(MissingArtifact, match="q5_table: .* is not an output of any rule"):
        artifact_sources({"q5_table": str(table)}, {})


def test_benchmark_file_without_memory_reads_as_none(tmp_path):
    bench = tmp_path / "rule.tsv"
    bench.write_text("s\th:m:s\tmax_rss\tcpu_time\n1.5\t0:00:01\t-\tNA\n2.5\t0:00:02\t100.0\t3.0\n")
    assert read_benchmark(bench) == {"seconds": 2.5, "cpu_seconds": 3.0, "max_rss_mb": 100.0}
    bench.write_text("s\th:m:s\tmax_rss\tcpu_time\n1.5\t0:00:01\t-\tNA\n")
    assert read_benchmark(bench) == {"seconds": 1.5, "cpu_seconds": None, "max_rss_mb": None}
    bench.write_text("s\th:m:s\tmax_rss\n")
    with pytest.raises(MissingArtifact, match="empty benchmark file"):
        read_benchmark(bench)


def test_every_listed_section_has_a_loader_and_data_comes_first():
    sections = yaml.safe_load((REPO / "report" / "sections.yaml").read_text())
    keys = [section["key"] for section in sections]
    assert keys[0] == "data" and set(keys) == set(SECTION_LOADERS)
    for section in sections:
        assert (REPO / f"report/templates/sections/{section['key']}.fa.html.j2").exists()
        assert (REPO / f"report/templates/sections/{section['key']}.en.html.j2").exists()
        assert (REPO / f"report/templates/sections/{section['key']}.html.j2").exists()


SECTIONS = REPO / "report" / "templates" / "sections"


@pytest.mark.parametrize(
    "key",
    [section["key"] for section in yaml.safe_load((REPO / "report/sections.yaml").read_text())]
    + ["appendix"],
)
def test_every_part_of_a_language_template_is_laid_out(key):
    """A part the layouts (the body's and the appendix's detail) do not name would never be
    shown; a part they name that neither language has would show nothing."""
    layouts = [SECTIONS / f"{key}.html.j2", SECTIONS / f"{key}.detail.html.j2"]
    laid_out = [
        part
        for layout in layouts
        if layout.exists()
        for part in re.findall(r'm\.texts\("' + key + r'", "(\w+)"\)', layout.read_text())
    ]
    assert laid_out and len(laid_out) == len(set(laid_out)), laid_out
    parts = {
        language: set(
            re.findall(r'part == "(\w+)"', (SECTIONS / f"{key}.{language}.html.j2").read_text())
        )
        for language in ("fa", "en")
    }
    assert parts["fa"] | parts["en"] == set(laid_out), (parts, laid_out)


def test_no_text_sends_its_reader_to_the_other_language():
    """Every table, equation and figure is shown once for both languages: no "see the other part"."""
    other_part = re.compile(
        r"Persian part|in the Persian|English part|in the English|بخش (انگلیسی|فارسی)|متن (انگلیسی|فارسی)",
        re.IGNORECASE,
    )
    for template in sorted((REPO / "report" / "templates").rglob("*.j2")):
        found = other_part.search(template.read_text(encoding="utf-8"))
        assert found is None, (template.name, found and found.group(0))


def test_a_section_without_a_loader_is_refused_before_reading_anything():
    with pytest.raises(MissingArtifact, match="no loader for section 'q9'"):
        build_context({}, {}, {}, [{"key": "data"}, {"key": "q9"}], {}, "", REPO, {})


@pytest.mark.parametrize("student_id", [400123456, "400123456", "0123", ""])
def test_student_id_may_be_typed_without_quotes(student_id):
    check_config({"report": {"student_id": student_id}}, SCHEMA)


def test_report_step_never_imports_the_framework():
    """A template edit re-renders without TensorFlow: the step's imports included."""
    assert loaded_packages(["hw4.steps.report"], ("tensorflow", "keras")) == []


def test_report_date_in_iso_form():
    assert parse_report_date("2024-01-05") == date(2024, 1, 5)
    with pytest.raises(DateError, match="'2026-02-30' is not a day of the calendar"):
        parse_report_date("2026-02-30")
    with pytest.raises(DateError, match="'28/11/2026' is not allowed"):
        parse_report_date("28/11/2026")


def test_report_date_in_the_solar_hijri_calendar():
    pytest.importorskip("jdatetime")
    assert parse_report_date("1402/10/15") == date(2024, 1, 5)
    assert solar_hijri(date(2024, 1, 5)) == {
        "year": 1402,
        "month": 10,
        "day": 15,
        "month_name": "دی",
    }
    assert solar_hijri(date(2026, 3, 21)) == {
        "year": 1405,
        "month": 1,
        "day": 1,
        "month_name": "فروردین",
    }
    assert parse_report_date("1403/12/30") == date(2025, 3, 20)  # 1403 is a leap year
    with pytest.raises(DateError, match="'1402/12/30' is not a day of the calendar"):
        parse_report_date("1402/12/30")


@pytest.mark.parametrize("value", ["1402/10/15", "2024-01-05", ""])
def test_config_accepts_both_calendars(value):
    check_config({"report": {"date": value}}, SCHEMA)


def test_a_date_that_names_no_day_stops_the_run_before_any_job(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"report": {"date": "2026-02-30"}}))
    result = run_snakemake(tmp_path, "-n", configfile=config)
    assert result.returncode != 0
    assert "config error: report.date: '2026-02-30' is not a day of the calendar" in (
        result.stdout + result.stderr
    )


def test_config_digest_ignores_key_order_and_sees_every_value():
    from hw4.config_check import config_hash

    assert config_hash({"seed": 0, "report": {"series": 4}}) == config_hash(
        {"report": {"series": 4}, "seed": 0}
    )
    assert config_hash({"seed": 0}) != config_hash({"seed": 1})


def test_the_workflow_reads_the_report_modules_without_numpy():
    """report.smk imports them when the workflow starts, before any job's environment."""
    modules = ["hw4.config_check", "hw4.report.dates", "hw4.report.preview"]
    assert loaded_packages(modules, ("numpy",)) == []


@pytest.mark.parametrize(
    ("report", "named"),
    [
        ({"student_name": "", "student_id": ""}, "report.student_name and report.student_id are"),
        ({"student_name": "Sara Ahmadi", "student_id": ""}, "report.student_id is"),
        ({"student_name": "", "student_id": 400123456}, "report.student_name is"),
        ({"student_name": "Sara Ahmadi", "student_id": "0012"}, None),
        ({"student_name": "", "student_id": "", "preview": True}, None),
    ],
)
def test_an_empty_student_setting_is_named_unless_preview(report, named):
    line = missing_student_details({"report": report})
    if named is None:
        assert line is None
    else:
        assert named in line and "\n" not in line


def test_the_run_says_once_at_its_start_that_the_name_is_empty(tmp_path):
    unnamed = tmp_path / "unnamed.yaml"
    unnamed.write_text('report: {student_name: "", student_id: ""}\n')
    result = run_snakemake(tmp_path, "-n", "--cores", "1", configfile=unnamed)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "report.student_name" in line]
    assert len(lines) == 1 and "title page" in lines[0]
    named = tmp_path / "named.yaml"
    named.write_text('report: {student_name: "Sara Ahmadi", student_id: "400123456"}\n')
    result = run_snakemake(tmp_path, "-n", "--cores", "1", configfile=named)
    assert result.returncode == 0 and "report.student_name" not in result.stderr
