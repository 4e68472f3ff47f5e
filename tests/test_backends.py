"""Every rule on JAX and on PyTorch: the tiny config end to end under KERAS_BACKEND=jax
and =torch, each artifact's provenance naming the backend it was computed with, and the
report's appendix saying it. Each test runs where its backend is installed
(tools/bootstrap.sh --test installs both).

The other tests run on the backend the environment selects (TensorFlow by default)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, run_snakemake

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


def tiny_run(tmp_path, backend: str):
    result = run_snakemake(
        tmp_path,
        "--cores",
        "2",
        "--resources",
        "gpu=1",
        configfile=TINY,
        env={"KERAS_BACKEND": backend},
    )
    assert result.returncode == 0, result.stderr[-5000:]
    for path in KERAS_ARTIFACTS:
        artifact = json.loads((tmp_path / path).read_text())
        assert artifact["provenance"]["backend"] == backend, path
        assert backend in artifact["provenance"]["versions"], path
    html = (tmp_path / "results/report/hw4-report.html").read_text()
    assert re.search(rf"Keras backend</span></th><td>{backend}</td>", html)
    assert (tmp_path / "results/report/hw4-report.pdf").stat().st_size > 0
    return html


@pytest.mark.slow
def test_the_tiny_config_runs_end_to_end_on_jax(tmp_path):
    pytest.importorskip("jax")
    html = tiny_run(tmp_path, "jax")
    data = json.loads((tmp_path / "results/data/consumption.provenance.json").read_text())
    assert data["backend"] == "none"  # read and checked without Keras
    timing = json.loads((tmp_path / "results/rnn_vs_cnn/measurements.json").read_text())
    threads = timing["timing_conditions"]["threads"]
    assert threads["intra_op_threads"] is None and "not pinned" in threads["not_pinned"]
    assert "with the threads not pinned (the jax backend has no setting for them)" in html


@pytest.mark.slow
def test_the_tiny_config_runs_end_to_end_on_pytorch(tmp_path):
    pytest.importorskip("torch")
    tiny_run(tmp_path, "torch")
    for path in KERAS_ARTIFACTS:  # PyTorch's thread pools can be pinned, unlike JAX's
        threads = json.loads((tmp_path / path).read_text())["provenance"]["threads"]
        assert threads == {"intra_op_threads": 2, "inter_op_threads": 2}, path
