"""End to end: the whole workflow on the tiny config, then its outputs and the PDF."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest
from conftest import REPO, run_snakemake
from pdftools import fonts, numbers_in, page_count, pdf_text, render_pages

TINY = REPO / "tests" / "configs" / "tiny.yaml"

EXPECTED = [
    "results/data/mnist.npz",
    "results/data/mnist.provenance.json",
    "results/data/energy.csv",
    "results/data/energy.provenance.json",
    "results/shapes/q5_layers.csv",
    "results/shapes/same_padding.csv",
    "results/shapes/q5_summary.json",
    "results/report/hw4-report.html",
    "results/report/hw4-report.pdf",
]


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
    assert "IBMPlexSansArabic" in names.replace("-", "") and "JetBrains-Mono" in names
    assert 5 <= page_count(pdf) <= 80
    log = (run / "logs/report/report.log").read_text()
    assert "WARNING" not in log, log
    pages = render_pages(pdf, tmp_path / "png")
    assert len(pages) == page_count(pdf)


@pytest.mark.slow
def test_pdf_holds_words_and_every_q5_number(run):
    text = pdf_text(run / "results/report/hw4-report.pdf")
    for word in ["Output shapes", "Appendix", "MNIST", "لایه", "پارامتر", "پیوست", "elecdemand"]:
        assert word in text, word
    found = numbers_in(text)
    with open(run / "results/shapes/q5_layers.csv") as handle:
        for row in csv.DictReader(handle):
            assert f"{int(row['params']):,}" in found, row["params"]
            assert row["effective_kernel"] in found
            if row["valid"] == "True":
                for side in row["output_shape"].split("x"):
                    assert side in found


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
