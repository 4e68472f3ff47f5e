"""Which device a job runs on, and how it shares GPUs with the jobs beside it.

Snakemake's ``--resources gpu=N`` only counts GPUs; it does not say which one a
job may use. ``claim_gpu`` picks a free one by holding an exclusive file lock
on ``<lock_dir>/gpu<i>.lock`` for the life of the process, and sets
CUDA_VISIBLE_DEVICES to it before the framework starts. Where a scheduler
(Slurm) has already set CUDA_VISIBLE_DEVICES, that choice stands.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
from pathlib import Path

from hw4.io.provenance import cpu_model

log = logging.getLogger("hw4")

_held_locks: list = []  # open lock files: released when the process exits


def visible_gpu_ids() -> list[str]:
    """GPU ids on this machine: HW4_GPU_IDS (comma-separated) if set, else nvidia-smi's list."""
    configured = os.environ.get("HW4_GPU_IDS")
    if configured is not None:
        return [g for g in configured.split(",") if g.strip()]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def claim_gpu(lock_dir: str | os.PathLike) -> str | None:
    """Claim one free GPU for this process; return its id, or None (CPU, or already assigned)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES"):
        log.info(
            "CUDA_VISIBLE_DEVICES=%s was set by the scheduler", os.environ["CUDA_VISIBLE_DEVICES"]
        )
        return os.environ["CUDA_VISIBLE_DEVICES"]
    ids = visible_gpu_ids()
    if not ids:
        log.info("no GPU found: running on the CPU")
        return None
    Path(lock_dir).mkdir(parents=True, exist_ok=True)
    for gpu in ids:
        handle = open(Path(lock_dir) / f"gpu{gpu}.lock", "w")  # noqa: SIM115 - held until exit
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        handle.write(str(os.getpid()))
        handle.flush()
        _held_locks.append(handle)
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
        log.info("claimed GPU %s (lock %s)", gpu, handle.name)
        return gpu
    raise RuntimeError(
        f"all {len(ids)} GPUs are held by other jobs; run with --resources gpu={len(ids)} at most"
    )


def configure_framework(
    seed: int, threads: int, mixed_precision: bool = False, deterministic: bool = True
) -> dict:
    """Pin the framework to the rule's ``threads`` CPU threads, seed everything, make ops
    deterministic where the backend can, grow GPU memory on demand.

    Must run before the framework executes its first op (TensorFlow refuses a change of
    threads after). Returns a description of the device for the artifacts' provenance,
    ``threads`` included as the backend reports it (``pin_threads``).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    backend = keras.backend.backend()
    pinned = pin_threads(backend, threads)
    gpus: list[str] = []
    if backend == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            # Allocate GPU memory as it is needed, not all at start.
            tf.config.experimental.set_memory_growth(gpu, True)
            details = tf.config.experimental.get_device_details(gpu)
            gpus.append(details.get("device_name", gpu.name))
        if deterministic:
            tf.config.experimental.enable_op_determinism()
    elif backend == "jax":
        import jax

        gpus = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
    keras.utils.set_random_seed(seed)
    if mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    # The same words as the provenance of rules that never look for a GPU, so the appendix
    # lists one CPU once.
    device = f"GPU: {', '.join(gpus)}" if gpus else f"CPU: {cpu_model()}"
    log.info("keras %s on %s backend, %s", keras.__version__, backend, device)
    return {
        "device": device,
        "backend": backend,
        "mixed_precision": mixed_precision,
        "deterministic_ops": deterministic,
        "threads": pinned,
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
    }


def pin_threads(backend: str, threads: int) -> dict:
    """Make the Keras ``backend`` use ``threads`` CPU threads, within and between ops.

    Returns ``{"intra_op_threads": n, "inter_op_threads": n}`` as the backend reports them.
    JAX fixes its thread pools when it is imported (before this can run): its counts are
    recorded as None, ``"not_pinned"`` says why (the report prints it), and so does the log.
    Raises ``RuntimeError`` when TensorFlow has already executed an op.
    """
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        pinned = {
            "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        }
    elif backend == "torch":
        import torch

        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:  # PyTorch allows it once, before any parallel work
            log.warning("PyTorch's inter-op threads were already fixed: left as they are")
        pinned = {
            "intra_op_threads": torch.get_num_threads(),
            "inter_op_threads": torch.get_num_interop_threads(),
        }
    else:
        log.warning("the %s backend's threads cannot be pinned after import: not pinned", backend)
        pinned = {
            "intra_op_threads": None,
            "inter_op_threads": None,
            "not_pinned": f"threads not pinned (the {backend} backend has no setting for them)",
        }
    log.info("framework threads: %s (the rule asked for %d)", pinned, threads)
    return pinned
