"""End to end: the whole workflow on the tiny config, then its outputs and the PDF."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest
import yaml
from conftest import REPO, run_snakemake
from pdftools import (
    contents_entries,
    fonts,
    heading_on,
    html_tables,
    misplaced_values,
    normalise,
    numbers_in,
    page_count,
    pdf_text,
    render_pages,
    word_boxes,
)

TINY = REPO / "tests" / "configs" / "tiny.yaml"

EXPECTED = [
    "results/data/mnist.npz",
    "results/data/mnist.provenance.json",
    "results/data/consumption.csv",
    "results/data/consumption.provenance.json",
    "results/shapes/q5_layers.csv",
    "results/shapes/same_padding.csv",
    "results/shapes/q5_summary.json",
    "results/tuning/trials.csv",
    "results/tuning/best.json",
    "results/tuning/best_model.keras",
    "results/tuning/final_history.csv",
    "results/tuning/trials.png",
    "results/tuning/explored_space.png",
    "results/tuning/final_curves.png",
    "results/cnn/model.keras",
    "results/cnn/metrics.json",
    "results/cnn/history.csv",
    "results/cnn/first_digits.png",
    "results/cnn/learning_curves.png",
    "results/cnn/confusion_matrix.png",
    "results/compare/paired_test.json",
    "results/gradcam/heatmaps.npz",
    "results/gradcam/metrics.json",
    "results/gradcam/first_images.png",
    "results/gradcam/class_mean_maps.png",
    "results/gradcam/randomisation_check.png",
    "results/gradcam/deletion_curves.png",
    "results/lstm/model.keras",
    "results/lstm/metrics.json",
    "results/lstm/history.csv",
    "results/lstm/forecast_week.png",
    "results/lstm/error_by_hour.png",
    "results/lstm/lookback.csv",
    "results/lstm/lookback.json",
    "results/lstm/lookback.png",
    "results/batchnorm/checks.json",
    "results/batchnorm/small_batches.png",
    "results/batchnorm/convergence.png",
    "results/rnn_vs_cnn/measurements.json",
    "results/rnn_vs_cnn/timing.png",
    "results/report/hw4-report.html",
    "results/report/hw4-report.pdf",
]


@pytest.mark.slow
def test_artifact_contents(run):
    best = json.loads((run / "results/tuning/best.json").read_text())
    for key in (
        "hyperparameters",
        "val_accuracy",
        "test_accuracy",
        "test_loss",
        "trials_completed",
        "trials_failed",
        "seconds",
        "device",
    ):
        assert key in best, key
    assert best["trials_failed"] == 0 and best["trials_completed"] == best["trials_planned"]
    assert 0 <= best["test_accuracy"] <= 1
    cnn = json.loads((run / "results/cnn/metrics.json").read_text())
    for key in (
        "test_accuracy",
        "train_accuracy",
        "val_accuracy",
        "epochs",
        "seconds_per_epoch",
        "images_per_second",
        "device",
    ):
        assert key in cnn, key
    import numpy as np

    with np.load(run / "results/gradcam/heatmaps.npz") as maps:
        assert maps["first_maps"].shape == (10, 7, 7)
        assert maps["first_maps_upsampled"].shape == (10, 28, 28)
        assert maps["first_maps"].min() >= 0 and maps["first_maps"].max() <= 1
        assert maps["class_mean_maps"].shape == (10, 7, 7)
    gradcam = json.loads((run / "results/gradcam/metrics.json").read_text())
    assert gradcam["model_unchanged"] and gradcam["layer"] == "conv_3"
    lstm = json.loads((run / "results/lstm/metrics.json").read_text())
    assert set(lstm["baselines"]) == {"persistence", "seasonal_naive", "linear_regression"}
    assert all(k in lstm["model"] for k in ("mae", "rmse", "mape"))
    assert lstm["original_bug"]["distinct_labels"] == 1
    sweep = json.loads((run / "results/lstm/lookback.json").read_text())
    assert lstm["look_back"] == sweep["chosen_look_back"]  # the model trains at the choice
    assert lstm["homework_look_back"] in [row["look_back"] for row in sweep["rows"]]
    checks = json.loads((run / "results/batchnorm/checks.json").read_text())
    assert checks["largest_difference"] < 1e-6
    assert checks["parameter_counts"]["with_bias"]["trainable"] == 260
    measurements = json.loads((run / "results/rnn_vs_cnn/measurements.json").read_text())
    assert all(r["formula"] == r["keras"] for r in measurements["parameters"])


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny")
    result = run_snakemake(workdir, "--cores", "2", "--resources", "gpu=1", configfile=TINY)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


@pytest.mark.slow
def test_every_output_exists(run):
    for path in EXPECTED:
        assert (run / path).stat().st_size > 0, path
    for log in ["logs/data/mnist.log", "logs/shapes/q5_shapes.log", "logs/report/report.log"]:
        assert (run / log).exists(), log
    for bench in ["benchmarks/data/mnist.tsv", "benchmarks/report/report.tsv"]:
        assert (run / bench).exists(), bench
    provenance = json.loads((run / "results/data/mnist.provenance.json").read_text())
    assert provenance["source"] == "embedded" and provenance["counts"]["train"]["total"] == 600


@pytest.mark.slow
def test_pdf_fonts_pages_and_warnings(run, tmp_path):
    pdf = run / "results/report/hw4-report.pdf"
    listed = fonts(pdf)
    assert listed and all(f["emb"] == "yes" for f in listed), listed
    names = " ".join(f["name"] for f in listed)
    assert (
        "IBMPlexSansArabic" in names.replace("-", "")
        and "IBM-Plex-Mono" in names
        and "Fira-Sans" in names
    )
    assert 5 <= page_count(pdf) <= 80
    log = (run / "logs/report/report.log").read_text()
    assert "WARNING" not in log, log
    pages = render_pages(pdf, tmp_path / "png")
    assert len(pages) == page_count(pdf)


@pytest.mark.slow
def test_pdf_holds_words_and_every_q5_number(run):
    text = pdf_text(run / "results/report/hw4-report.pdf")
    for word in [
        "Output shapes",
        "Appendix",
        "MNIST",
        "KerasTuner",
        "Grad-CAM",
        "LSTM",
        "Batch normalisation",
        "لایه",
        "پارامتر",
        "پیوست",
        "نرمال‌سازی",
        "دقت",
        "پیش‌بینی",
        "elecdemand",
    ]:
        assert normalise(word) in text, word
    found = numbers_in(text)
    cnn = json.loads((run / "results/cnn/metrics.json").read_text())
    best = json.loads((run / "results/tuning/best.json").read_text())
    lstm = json.loads((run / "results/lstm/metrics.json").read_text())
    checks = json.loads((run / "results/batchnorm/checks.json").read_text())
    for value in (
        cnn["test_accuracy"],
        cnn["train_accuracy"],
        best["test_accuracy"],
        best["val_accuracy"],
    ):
        assert f"{value:.4f}" in found, value
    for value in (lstm["model"]["rmse"], *(b["rmse"] for b in lstm["baselines"].values())):
        assert f"{value:.3f}" in found, value
    assert str(checks["parameter_counts"]["with_bias"]["non_trainable"]) in found
    with open(run / "results/shapes/q5_layers.csv") as handle:
        for row in csv.DictReader(handle):
            assert f"{int(row['params']):,}" in found, row["params"]
            assert row["effective_kernel"] in found
            if row["valid"] == "True":
                for side in row["output_shape"].split("x"):
                    assert side in found


@pytest.mark.slow
def test_every_table_value_stands_under_its_header(run):
    """In both directions a value's box overlaps its column header's box on the page."""
    report = run / "results/report"
    tables = html_tables(report / "hw4-report.html")
    checked, problems = misplaced_values(word_boxes(report / "hw4-report.pdf"), tables)
    # A header or row whose text wraps over several lines (the glance page's sentences, a
    # long header) is not found as one line of words; it is counted, not judged. Every value
    # that is found must stand under its own header.
    unlocated = [p for p in problems if p.endswith("not found")]
    misplaced = [p for p in problems if not p.endswith("not found")]
    assert not misplaced, "\n".join(misplaced[:20])
    headers_missing = sum("header row not found" in p for p in unlocated)
    assert len(tables) - headers_missing >= 18 and checked >= 300, (unlocated, checked)
    assert {table["dir"] for table in tables} == {"rtl", "ltr"}


@pytest.mark.slow
def test_title_page_lines_are_centred(run):
    """Every line of the title page, the titles included, stands on the page's centre."""
    a4_centre = 595.28 / 2
    # Words of one line, whatever their font: a Latin name in the Persian line is set in
    # another face than the Persian around it, and its box starts a point lower or higher.
    lines: list[list[dict]] = []
    for word in sorted(
        word_boxes(run / "results/report/hw4-report.pdf")[0], key=lambda w: w["yMin"]
    ):
        if lines and abs(word["yMin"] - lines[-1][0]["yMin"]) <= 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    assert len(lines) >= 5
    for words in lines:
        centre = (min(w["xMin"] for w in words) + max(w["xMax"] for w in words)) / 2
        assert abs(centre - a4_centre) < 3, (" ".join(w["text"] for w in words), centre)


@pytest.mark.slow
def test_contents_point_to_each_language_s_own_heading(run):
    """A Persian entry leads to the Persian heading, an English one to the English heading."""
    pdf = run / "results/report/hw4-report.pdf"
    pages = word_boxes(pdf)
    contents = next(
        number for number, words in enumerate(pages, start=1) if heading_on(words, "Contents")
    )
    english, persian = contents_entries(pdf, contents)
    sections = yaml.safe_load((REPO / "report" / "sections.yaml").read_text())
    titles = [("نتایج در یک نگاه", "Results at a glance")]
    titles += [(section["title_fa"], section["title_en"]) for section in sections]
    titles.append(("پیوست — منشأ نتایج و زمان اجرا", "Appendix — provenance and run times"))
    # Both columns list the same entries in the same order: each section, then its
    # sub-questions (hw4.report.render.with_subsection_contents).
    assert len(persian) == len(english) > len(titles), (len(persian), len(english))
    order = [title for title, _ in english]
    # The results-at-a-glance page is the page after the title page, in both columns.
    assert english[order.index("Results at a glance")][1] == persian[0] == 2
    for title_fa, title_en in titles[1:]:
        assert title_en in order, title_en
        index = order.index(title_en)
        # Headings are set at 13 pt and more, the running heads at 8 and the text at 9.
        assert heading_on(pages[english[index][1] - 1], title_en, 12), (title_en, english[index])
        assert heading_on(pages[persian[index] - 1], title_fa, 12), (title_fa, persian[index])


@pytest.mark.slow
def test_same_artifacts_same_bytes_and_template_change_reruns_only_report(run):
    pdf = run / "results/report/hw4-report.pdf"
    first = pdf.read_bytes()
    again = run_snakemake(run, "--cores", "1", "--forcerun", "report", configfile=TINY)
    assert again.returncode == 0, again.stderr[-3000:]
    assert pdf.read_bytes() == first
    # A template edit: only the report rule is out of date.
    template = REPO / "report" / "templates" / "sections" / "q5.en.html.j2"
    saved = template.read_text()
    try:
        template.write_text(saved + "\n")
        dry = run_snakemake(run, "-n", "--quiet", "rules", configfile=TINY)
        stats = dry.stdout + dry.stderr
        planned = set(re.findall(r"^(\w+)\s+\d+$", stats, flags=re.M)) - {"total"}
        assert planned == {"report", "all"}, stats
    finally:
        template.write_text(saved)


@pytest.mark.slow
def test_killed_report_leaves_no_finished_pdf(run, tmp_path):
    """A missing artifact fails the report rule and leaves no PDF under the final name."""
    copy = tmp_path / "copy"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns(".snakemake"))
    (copy / "results/shapes/q5_summary.json").write_text("{}")
    (copy / "results/report/hw4-report.pdf").unlink()
    result = run_snakemake(copy, "--cores", "1", "--forcerun", "report", configfile=TINY)
    assert result.returncode != 0
    assert not (copy / "results/report/hw4-report.pdf").exists()


def test_failed_job_log_holds_its_error(tmp_path):
    """A job that fails keeps its error in its log, and Snakemake shows that log."""
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not an npz archive")
    config = yaml.safe_load(TINY.read_text())
    config["data"]["mnist"] = {"source": "path", "path": str(corrupt)}
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    result = run_snakemake(
        tmp_path / "run", "--cores", "1", "results/data/mnist.npz", configfile=config_file
    )
    assert result.returncode != 0
    log = (tmp_path / "run/logs/data/mnist.log").read_text()
    # Bad input: its one line, naming the file, and no traceback to bury it.
    assert f"refused: {corrupt}: not a readable .npz file" in log, log
    assert "Traceback" not in log, log
    shown = result.stdout + result.stderr
    assert "Logfile logs/data/mnist.log" in shown and "not a readable .npz file" in shown, shown
    assert not (tmp_path / "run/results/data/mnist.npz").exists()


@pytest.mark.slow
def test_snakemake_html_report(run):
    out = run / "results/report/snakemake-report.html"
    result = run_snakemake(run, "--report", str(out), configfile=TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    text = out.read_text(errors="replace")
    assert out.stat().st_size > 10_000 and "Grad-CAM" in text


def rendered_claims(run, context: dict) -> list[dict]:
    """The claims of the report rendered (HTML only) from ``context``."""
    from claimtools import claims_in

    from hw4.report.render import render_html

    figures = {name: "file:///figure.png" for name in context["sources"]}
    html = render_html(
        REPO / "report" / "templates", context, REPO / "report" / "css" / "report.css", figures
    )
    return claims_in(html)


@pytest.mark.slow
def test_every_claim_is_stated_in_both_languages_with_the_same_numbers(run):
    from claimtools import numbers_of

    from hw4.report.context import loaded_context

    context = loaded_context((run / "results/report/hw4-report.context.json").read_text())
    found = rendered_claims(run, context)
    for claim_id, claim in context["claims"].items():
        printed = [c for c in found if c["id"] == claim_id]
        body = {c["language"]: c for c in printed if c["part"] == "body"}
        assert set(body) == {"fa", "en"}, f"{claim_id} is printed in {sorted(body)} only"
        assert all(c["verdict"] == claim.verdict for c in printed), claim_id
        assert numbers_of(body["fa"]["text"]) == numbers_of(body["en"]["text"]), (
            claim_id,
            body["fa"]["text"],
            body["en"]["text"],
        )


@pytest.mark.slow
def test_a_flipped_verdict_changes_both_languages_and_the_glance_page_together(run):
    """Each claim rendered with every verdict its catalogue words (including "not
    comparable"): both languages of the body, and the glance page where the claim is a row,
    print the new verdict, and every other claim keeps its own."""
    from dataclasses import replace

    from hw4.report.claims import load_catalogue
    from hw4.report.context import loaded_context

    context = loaded_context((run / "results/report/hw4-report.context.json").read_text())
    catalogue = load_catalogue(REPO / "report" / "claims")
    original_verdicts = {key: claim.verdict for key, claim in context["claims"].items()}
    flips = 0
    for claim_id, claim in context["claims"].items():
        on_glance = bool(catalogue[claim_id].get("glance"))
        for verdict in catalogue[claim_id]["verdicts"]:
            if verdict == claim.verdict:
                continue
            flipped = {**context["claims"], claim_id: replace(claim, verdict=verdict)}
            found = rendered_claims(run, {**context, "claims": flipped})
            places = {(c["part"], c["language"]) for c in found if c["id"] == claim_id}
            expected = {("body", "fa"), ("body", "en")}
            if on_glance:
                expected |= {("glance", "fa"), ("glance", "en")}
            assert expected <= places, (claim_id, verdict, places)
            for c in found:
                want = verdict if c["id"] == claim_id else original_verdicts[c["id"]]
                assert c["verdict"] == want, (claim_id, verdict, c["id"])
            flips += 1
    assert flips >= len(context["claims"])


@pytest.mark.slow
def test_copied_text_never_holds_a_mirrored_bracket_beside_a_number(run):
    """A bracket drawn mirrored in right-to-left text shares its glyph with left-to-right
    text set in the same font, and copying from the PDF then gives ``2.92 )2.80–3.04(`` or
    ``MAE )GW(``: left-to-right runs are set in another font than Persian text and Latin runs
    inside Persian strings are isolated, so the text layer never shows one the wrong way
    round."""
    import subprocess

    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(run / "results/report/hw4-report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Left-to-right text (Latin letters and digits) copied with its brackets the wrong way
    # round: ")GW(", "2.92 )2.80–3.04(". Persian digits are left out: pdftotext orders a
    # right-to-left line's numbers its own way (REPORTING.md).
    mirrored = re.findall(
        r".{0,30}(?:\)[A-Za-z0-9][^()\n]{0,40}?[A-Za-z0-9]\(|\)[0-9]|[0-9]\().{0,30}", text
    )
    assert not mirrored, mirrored[:5]


@pytest.mark.slow
def test_each_sub_question_heading_is_a_bookmark_and_listed_in_the_contents(run):
    from html import unescape

    from pypdf import PdfReader

    html = (run / "results/report/hw4-report.html").read_text()
    subheadings = re.findall(r'<h3 class="(fa|en)"[^>]*id="(sub-[^"]+|detail-[^"]+)"', html)
    assert subheadings
    for _, anchor in subheadings:
        if anchor.startswith("sub-"):
            assert f'href="#{anchor}"' in html, anchor

    def titles(outline) -> list[str]:
        found = []
        for item in outline:
            found += titles(item) if isinstance(item, list) else [item.title]
        return found

    bookmarks = titles(PdfReader(run / "results/report/hw4-report.pdf").outline)
    headings = re.findall(r'<h3 class="en"[^>]*>(.*?)</h3>', html, flags=re.S)
    for heading in headings:
        plain = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", heading)).strip())
        assert any(plain == normalise(title).strip() for title in bookmarks), plain


def planned_rules(result) -> set[str]:
    """The rules a dry run would run, from its job-stats table."""
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return set()
    table = text.split("Job stats:")[1].split("\n\n")[0]
    rows = [line.split() for line in table.splitlines()[3:]]
    return {row[0] for row in rows if len(row) == 2 and row[0] != "total"}


@pytest.mark.slow
def test_an_edited_method_reruns_exactly_the_rules_that_import_it(run, tmp_path):
    """A copy of the project, dry-run against the tiny build: editing a method module plans
    the rules that import it (and what follows them); an unrelated edit and an unchanged copy
    plan nothing of the analysis. The report (and the default target after it) is planned in every case here only
    because the copy's templates live under another path (its inputs are the repository's
    files)."""
    copy = tmp_path / "project"
    shutil.copytree(
        REPO,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "results", ".snakemake", "resources", "__pycache__"
        ),
    )

    def plan() -> set[str]:
        result = subprocess_snakemake(copy, run)
        return planned_rules(result) - {"report", "all"}

    assert plan() == set()
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "\nA note.\n")
    assert plan() == set()
    # A module only Q5's rule imports: exactly that rule.
    dilated = copy / "scripts" / "hw4" / "methods" / "dilated_conv.py"
    dilated.write_text(dilated.read_text() + "\n# An edit.\n")
    assert plan() == {"q5_shapes"}
    # Q5's arithmetic: Q5 and the search, whose depth bound it computes, and what follows
    # the search; no rule that trains something else.
    shapes = copy / "scripts" / "hw4" / "methods" / "shapes.py"
    shapes.write_text(shapes.read_text() + "\n# An edit.\n")
    planned = plan()
    assert {"q5_shapes", "tune_cnn"} <= planned
    assert not planned & {"train_lstm", "lookback_sweep", "train_cnn", "rnn_vs_cnn"}, planned
    mnist_cnn = copy / "scripts" / "hw4" / "methods" / "mnist_cnn.py"
    mnist_cnn.write_text(mnist_cnn.read_text() + "\n# An edit.\n")
    assert {"train_cnn", "tune_cnn", "q5_shapes"} <= plan()


def subprocess_snakemake(project, workdir):
    import subprocess
    import sys
    from pathlib import Path

    bin_dir = Path(sys.executable).parent
    return subprocess.run(
        [
            str(bin_dir / "snakemake"),
            "-s",
            str(project / "Snakefile"),
            "-d",
            str(workdir),
            "--configfile",
            str(TINY),
            "-n",
            "--cores",
            "1",
            "--resources",
            "gpu=1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
