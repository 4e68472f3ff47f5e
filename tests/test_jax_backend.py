"""Every rule on JAX: the tiny config end to end under KERAS_BACKEND=jax, each artifact's
provenance naming the backend it was computed with, and the report's appendix saying it.

The other tests run on the backend the environment selects (TensorFlow by default)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, run_snakemake

pytest.importorskip("jax")

TINY = REPO / "tests" / "configs" / "tiny.yaml"

# Artifacts of the rules that compute with Keras, and where each keeps its provenance.
KERAS_ARTIFACTS = [
    "results/tuning/best.json",
    "results/cnn/metrics.json",
    "results/gradcam/metrics.json",
    "results/lstm/lookback.json",
    "results/lstm/metrics.json",
    "results/batchnorm/checks.json",
    "results/rnn_vs_cnn/measurements.json",
]


@pytest.mark.slow
def test_the_tiny_config_runs_end_to_end_on_jax(tmp_path):
    result = run_snakemake(
        tmp_path,
        "--cores",
        "2",
        "--resources",
        "gpu=1",
        configfile=TINY,
        env={"KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-5000:]
    for path in KERAS_ARTIFACTS:
        artifact = json.loads((tmp_path / path).read_text())
        assert artifact["provenance"]["backend"] == "jax", path
        assert "jax" in artifact["provenance"]["versions"], path
    data = json.loads((tmp_path / "results/data/consumption.provenance.json").read_text())
    assert data["backend"] == "none"  # read and checked without Keras
    timing = json.loads((tmp_path / "results/rnn_vs_cnn/measurements.json").read_text())
    threads = timing["timing_conditions"]["threads"]
    assert threads["intra_op_threads"] is None and "not pinned" in threads["not_pinned"]
    html = (tmp_path / "results/report/hw4-report.html").read_text()
    assert re.search(r"Keras backend</span></th><td>jax</td>", html)
    assert "with the threads not pinned (the jax backend has no setting for them)" in html
    assert (tmp_path / "results/report/hw4-report.pdf").stat().st_size > 0
