"""Rule mnist: wires Snakemake to hw4.steps.mnist and writes the data with its provenance."""

from hw4.io.files import write_json, write_npz
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])

from hw4.steps import mnist  # noqa: E402

result = mnist.run(snakemake.params.settings, snakemake.params.cache_dir, snakemake.params.seed)
write_npz(snakemake.output.data, **result["arrays"])
write_json(snakemake.output.provenance, result["provenance"])
