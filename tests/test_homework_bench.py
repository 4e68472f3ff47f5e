"""bench/homework_vs_workflow.py: its parts on tiny settings (the full run takes half an hour)."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import REPO

spec = importlib.util.spec_from_file_location(
    "homework_vs_workflow", REPO / "bench" / "homework_vs_workflow.py"
)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def images():
    from hw4.data.mnist import load_embedded

    arrays = load_embedded(0, 0.2)
    return arrays["x_train"][:300], arrays["y_train"][:300]


@pytest.mark.slow
def test_the_homework_search_runs_its_failing_depths_to_the_end(images, tmp_path):
    pytest.importorskip("keras_tuner")
    x, y = images
    search = bench.homework_search(x, y, max_epochs=2, factor=2, seed=0, directory=tmp_path)
    assert search["trials"] >= 2 and search["epochs"] >= 1
    assert search["images"] == search["epochs"] * 240  # the 80% the search fits on
    assert 0 <= search["failed"] < search["trials"]


@pytest.mark.slow
def test_the_homework_q7_fit_counts_its_epochs_and_images(images):
    pytest.importorskip("keras")
    x, y = images
    fit = bench.homework_q7(x, y, epochs=1, batch_size=64, seed=0)
    assert fit["epochs"] == 1 and fit["images"] == 270 and fit["seconds"] > 0


def test_parts_and_ratios_from_a_run(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for folder, rule, seconds in [
        ("tuning", "tune_cnn", 80.0),
        ("cnn", "train_cnn", 10.0),
        ("report", "report", 10.0),
    ]:
        (tmp_path / "benchmarks" / folder).mkdir(parents=True)
        (tmp_path / "benchmarks" / folder / f"{rule}.tsv").write_text(
            header + f"{seconds}\t0:00:10\t700\t2000\t700\t700\t1\t1\t90\t9\n"
        )
    (tmp_path / "results" / "tuning").mkdir(parents=True)
    (tmp_path / "results" / "cnn").mkdir(parents=True)
    best = {"final_epochs": 2, "fit_images": 800, "train_images": 1000}
    (tmp_path / "results/tuning/best.json").write_text(json.dumps(best))
    (tmp_path / "results/tuning/trials.csv").write_text(
        "trial,status,epochs_run\n0000,COMPLETED,3\n0001,FAILED,\n0002,COMPLETED,5\n"
    )
    cnn = {"epochs": 2, "train_images": 900}
    (tmp_path / "results/cnn/metrics.json").write_text(json.dumps(cnn))
    parts = {part["part"]: part for part in bench.workflow_parts(tmp_path)}
    assert parts["tune_cnn"]["epochs"] == 10  # 8 searched, 2 retrained
    assert parts["tune_cnn"]["images"] == 8 * 800 + 2 * 1000
    assert parts["train_cnn"]["images"] == 1800 and parts["report"]["epochs"] is None
    homework = {
        "search": {"seconds": 40.0, "epochs": 8, "images": 6400},
        "q7_fit": {"seconds": 10.0, "epochs": 2, "images": 1800},
    }
    ratios = bench.comparison(homework, list(parts.values()), workflow_total=120.0)
    assert ratios["rules"]["train_cnn"]["images_per_second_ratio"] == pytest.approx(1.0)
    assert ratios["rules"]["tune_cnn"]["seconds_ratio"] == pytest.approx(2.0)
    assert ratios["beyond_homework_share"] == pytest.approx(30 / 120)
    assert ratios["total_ratio"] == pytest.approx(120 / 50)
    printed = bench.table(homework, list(parts.values()), 120.0)
    assert "workflow beyond the homework's own training: 25% of its time" in printed
