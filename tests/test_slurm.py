"""The workflow through the Slurm profile, on a real single-node Slurm started here."""

from __future__ import annotations

import csv
import json
import os
import re

import pytest
from conftest import REPO, run_snakemake
from slurm_cluster import LocalSlurm, available

TINY = REPO / "tests" / "configs" / "tiny.yaml"
GPU_RULES = {
    "tune_cnn",
    "train_cnn",
    "compare_cnns",
    "gradcam",
    "train_lstm",
    "lookback_sweep",
    "batchnorm_checks",
    "rnn_vs_cnn",
}


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Slurm test: {reason}")
        pytest.skip(reason)
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.mark.slurm
@pytest.mark.slow
def test_workflow_through_the_slurm_profile(slurm, tmp_path):
    result = run_snakemake(
        tmp_path,
        "--workflow-profile",
        str(REPO / "profiles" / "slurm"),
        "--jobs",
        "4",
        configfile=TINY,
        timeout=1500,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert (tmp_path / "results/report/hw4-report.pdf").stat().st_size > 0

    jobs = [j for j in slurm.jobs() if j["comment"].startswith("rule_")]
    by_rule = {re.sub(r"^rule_", "", j["comment"]).split("_wildcards_")[0]: j for j in jobs}
    expected = GPU_RULES | {"mnist", "consumption", "q5_shapes", "report"}
    assert expected <= set(by_rule), f"jobs Slurm saw: {sorted(by_rule)}"
    assert all(j["state"] == "COMPLETED" for j in by_rule.values()), jobs
    for rule, job in by_rule.items():
        asked = "gpu" in (job["tres_per_job"] + job["tres_per_node"])
        assert asked == (rule in GPU_RULES), f"{rule}: TresPerJob={job['tres_per_job']!r}"


@pytest.mark.slurm
@pytest.mark.slow
def test_the_search_on_two_slurm_tasks_in_the_partition_asked_for(slurm, tmp_path):
    # The partition as a default resource (the plugin always passes -p, so Slurm's own
    # SBATCH_PARTITION would be overridden by the cluster's default partition).
    earlier = {j["id"] for j in slurm.jobs()}  # the module's other test shares the cluster
    result = run_snakemake(
        tmp_path,
        "--workflow-profile",
        str(REPO / "profiles" / "slurm"),
        "--jobs",
        "2",
        "--configfile",
        str(TINY),
        str(REPO / "tests" / "configs" / "two_workers.yaml"),
        "--default-resources",
        "slurm_partition=gpu",
        "runtime=30",
        "mem_mb=2000",
        "--",
        "results/tuning/best.json",
        env={"SBATCH_PARTITION": "main"},
        timeout=1200,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    jobs = [j for j in slurm.jobs() if j["id"] not in earlier]
    tune = [j for j in jobs if j["comment"].startswith("rule_tune_cnn")]
    assert len(tune) == 1, f"jobs Slurm saw: {jobs}"
    job = tune[0]
    assert all(j["partition"] == "gpu" for j in jobs), jobs
    assert job["state"] == "COMPLETED" and job["partition"] == "gpu", job
    assert job["tasks"] == "2" and "gpu" in job["tres_per_job"] + job["tres_per_task"], job
    best = json.loads((tmp_path / "results/tuning/best.json").read_text())
    assert best["workers"] == 2 and best["worker_placement"] == "slurm"
    with open(tmp_path / "results/tuning/trials.csv") as handle:
        tuners = {row["tuner"] for row in csv.DictReader(handle)}
    assert tuners == {"tuner0", "tuner1"}
    log = (tmp_path / "logs/tuning/tune_cnn.log").read_text()
    assert "starting 2 workers (slurm" in log and "oracle served on 127.0.0.1:" in log
