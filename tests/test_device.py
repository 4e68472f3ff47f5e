"""GPU slots: concurrent jobs each claim a different GPU (faked device list), the scheduler's
choice stands, and with no GPU the job says it runs on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import REPO

from hw4 import device

CLAIM = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {scripts!r})
    from hw4.device import claim_gpu
    gpu = claim_gpu({lock_dir!r})
    print(gpu, os.environ.get("CUDA_VISIBLE_DEVICES"), flush=True)
    time.sleep({hold})
    """
)


def claim_in_subprocess(lock_dir, hold, env):
    code = CLAIM.format(scripts=str(REPO / "scripts"), lock_dir=str(lock_dir), hold=hold)
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("CUDA_VISIBLE_DEVICES", "HW4_GPU_IDS")}
    env.update(extra)
    return env


def test_concurrent_jobs_get_different_gpus(tmp_path):
    env = clean_env(HW4_GPU_IDS="0,1,2")
    jobs = [claim_in_subprocess(tmp_path, 3, env) for _ in range(3)]
    outputs = [job.communicate(timeout=60)[0].split() for job in jobs]
    claimed = sorted(out[0] for out in outputs)
    assert claimed == ["0", "1", "2"]
    assert all(out[0] == out[1] for out in outputs)  # CUDA_VISIBLE_DEVICES set to the claim


def test_a_freed_gpu_is_claimed_again(tmp_path):
    env = clean_env(HW4_GPU_IDS="0")
    first = claim_in_subprocess(tmp_path, 0, env)
    assert first.communicate(timeout=60)[0].split()[0] == "0"
    second = claim_in_subprocess(tmp_path, 0, env)
    assert second.communicate(timeout=60)[0].split()[0] == "0"


def test_more_jobs_than_gpus_fails_clearly(tmp_path):
    env = clean_env(HW4_GPU_IDS="0")
    holder = claim_in_subprocess(tmp_path, 5, env)
    time.sleep(2)
    extra = subprocess.run(
        [
            sys.executable,
            "-c",
            CLAIM.format(scripts=str(REPO / "scripts"), lock_dir=str(tmp_path), hold=0),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    holder.communicate(timeout=60)
    assert extra.returncode != 0 and "held by other jobs" in extra.stderr


def test_scheduler_choice_stands_and_cpu_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    assert device.claim_gpu(tmp_path) == "3"
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setenv("HW4_GPU_IDS", "")
    assert device.claim_gpu(tmp_path) is None


def test_framework_reports_the_device_and_pins_the_rules_threads():
    """In a fresh process: the threads must be set before the framework runs its first op."""
    pytest.importorskip("keras")
    code = (
        "import json\n"
        "from hw4.device import configure_framework\n"
        "print(json.dumps(configure_framework(seed=0, threads=1, deterministic=False)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "scripts"), "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info["device"].startswith(("CPU:", "GPU:"))
    assert info["backend"] in ("tensorflow", "jax", "torch")
    assert info["threads"] == {"intra_op_threads": 1, "inter_op_threads": 1}
    assert info["deterministic_ops"] is False


def test_a_backend_without_a_thread_setting_says_so_instead_of_a_count():
    pinned = device.pin_threads("jax", 2)
    assert pinned["intra_op_threads"] is None and pinned["inter_op_threads"] is None
    assert pinned["not_pinned"] == "threads not pinned (the jax backend has no setting for them)"
