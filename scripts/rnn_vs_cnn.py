"""Rule rnn_vs_cnn: wires Snakemake to hw4.steps.rnn_vs_cnn and writes its measurements."""

from hw4.device import claim_gpu, configure_framework
from hw4.io.files import write_json
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
# Deterministic ops off: this rule measures speed, and deterministic kernels are slower.
device = configure_framework(snakemake.params.seed, snakemake.threads, deterministic=False)

from hw4 import figures  # noqa: E402
from hw4.steps import rnn_vs_cnn  # noqa: E402

result = rnn_vs_cnn.run(snakemake.params.settings, snakemake.params.seed, device)
write_json(snakemake.output.measurements, result["measurements"])
figures.timing_loglog(result["measurements"], snakemake.output.plot)
