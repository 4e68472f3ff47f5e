"""The workflow through the Slurm profile, on a real single-node Slurm started here."""

from __future__ import annotations

import os
import re

import pytest
from conftest import REPO, run_snakemake
from slurm_cluster import LocalSlurm, available

TINY = REPO / "tests" / "configs" / "tiny.yaml"
GPU_RULES = {
    "tune_cnn",
    "train_cnn",
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
