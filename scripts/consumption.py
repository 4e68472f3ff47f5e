"""Rule consumption: wires Snakemake to hw4.steps.consumption and writes the hourly series."""

from hw4.io.files import write_frame, write_json
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])

from hw4.steps import consumption  # noqa: E402

result = consumption.run(
    snakemake.params.settings,
    snakemake.params.features,
    snakemake.params.look_back,
    snakemake.params.sweep_look_backs,
    snakemake.params.seasonal_period,
    snakemake.params.split,
    snakemake.params.cache_dir,
)
write_frame(snakemake.output.table, result["table"])
write_json(snakemake.output.provenance, result["provenance"])
