"""Rule train_cnn: wires Snakemake to hw4.steps.train_cnn and writes the model, metrics and figures."""

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import read_npz, save_model, write_csv, write_json, write_npz
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(
    snakemake.params.seed, snakemake.threads, snakemake.params.mixed_precision
)

from hw4.steps import train_cnn  # noqa: E402  (after the GPU is chosen)

data = read_npz(snakemake.input.data)
result = train_cnn.run(data, snakemake.params.settings, snakemake.params.seed, device)
save_model(result["model"], snakemake.output.model)
write_csv(snakemake.output.history, result["history"], result["history_columns"])
write_npz(snakemake.output.order, order=result["order"])
write_json(snakemake.output.metrics, result["metrics"])
figures.digits_grid(result["digits"]["images"], result["digits"]["labels"], snakemake.output.digits)
figures.learning_curves(result["history"], snakemake.output.curves)
figures.confusion(result["confusion_matrix"], snakemake.output.confusion)
