"""Rule compare_cnns: wires Snakemake to hw4.steps.compare_cnns and writes the paired test."""

from hw4.device import claim_gpu, configure_framework
from hw4.io.files import load_model, read_npz, write_json
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed, snakemake.threads)

from hw4.steps import compare_cnns  # noqa: E402  (after the GPU is chosen)

result = compare_cnns.run(
    load_model(snakemake.input.tuned_model),
    load_model(snakemake.input.q7_model),
    read_npz(snakemake.input.data),
    device,
)
write_json(snakemake.output.paired_test, result)
