"""Rule tune_cnn: wires Snakemake to hw4.steps.tune_cnn and writes the search's results.

The search state lives in the ``search_dir`` param: a rerun of the same search (same
fingerprint) after a kill continues from its finished trials."""

import os

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import read_json, read_npz, save_model, write_csv, write_json
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(
    snakemake.params.seed, snakemake.threads, snakemake.params.mixed_precision
)

from hw4.methods.distributed_search import make_plan  # noqa: E402
from hw4.methods.time_left import RUN_PLAN_VARIABLE, other_cnn_images  # noqa: E402
from hw4.steps import tune_cnn  # noqa: E402

result = tune_cnn.run(
    read_npz(snakemake.input.data),
    read_json(snakemake.input.data_provenance),
    snakemake.params.settings,
    snakemake.params.seed,
    snakemake.params.search_dir,
    snakemake.params.mnist_sha256,
    device,
    make_plan(
        snakemake.params.workers,
        snakemake.input.data,
        snakemake.threads,
        snakemake.params.lock_dir,
        snakemake.params.mixed_precision,
    ),
    other_cnn_images(os.environ.get(RUN_PLAN_VARIABLE)),
)
save_model(result["model"], snakemake.output.model)
write_csv(snakemake.output.trials, result["trials"], result["trial_columns"])
write_csv(snakemake.output.history, result["history"], result["history_columns"])
write_json(snakemake.output.best, result["best"])
figures.trial_scores(result["trials"], snakemake.output.trial_plot)
figures.explored_space(result["trials"], snakemake.output.space_plot)
figures.learning_curves(result["history"], snakemake.output.curves)
