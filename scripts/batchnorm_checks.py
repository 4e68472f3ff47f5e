"""Rule batchnorm_checks: wires Snakemake to hw4.steps.batchnorm_checks and writes its results."""

from hw4.device import claim_gpu, configure_framework
from hw4.io.files import read_npz, write_json
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
# Deterministic ops off: this rule measures speed, and deterministic kernels are slower.
device = configure_framework(snakemake.params.seed, snakemake.threads, deterministic=False)

from hw4 import figures  # noqa: E402
from hw4.steps import batchnorm_checks  # noqa: E402

result = batchnorm_checks.run(
    read_npz(snakemake.input.data),
    snakemake.params.settings,
    snakemake.params.seed,
    device,
)
write_json(snakemake.output.checks, result["checks"])
figures.small_batches(
    result["checks"]["small_batches"]["rows"],
    result["checks"]["running_stats_drift"],
    snakemake.output.small_batches,
)
figures.bn_convergence(
    result["checks"]["speed"],
    snakemake.params.settings["target_accuracy"],
    snakemake.output.convergence,
)
