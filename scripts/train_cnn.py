"""Rule train_cnn: the fixed Q7 CNN on MNIST, with its metrics, history, model and figures."""

import numpy as np

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import save_model, write_csv, write_json, write_npz
from hw4.io.logs import setup_logging
from hw4.io.provenance import framework_versions, provenance

log = setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed, snakemake.params.mixed_precision)

from hw4.methods.mnist_cnn import train_q7  # noqa: E402  (after the GPU is chosen)

with np.load(snakemake.input.data) as loaded:
    data = {k: loaded[k] for k in loaded.files}
model, history, metrics, order = train_q7(data, snakemake.params.settings, snakemake.params.seed)

save_model(model, snakemake.output.model)
write_csv(snakemake.output.history, history, list(history[0]))
write_npz(snakemake.output.order, order=order)
metrics.update(device=device["device"])
write_json(
    snakemake.output.metrics,
    {**metrics, "provenance": provenance(versions=framework_versions(), **device)},
)
shown = snakemake.params.settings["show_digits"]
figures.digits_grid(
    data["x_train"][order[:shown]], data["y_train"][order[:shown]], snakemake.output.digits
)
figures.learning_curves(history, snakemake.output.curves)
figures.confusion(metrics["confusion_matrix"], snakemake.output.confusion)
