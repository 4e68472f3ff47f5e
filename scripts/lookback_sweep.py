"""Rule lookback_sweep: wires Snakemake to hw4.steps.lookback_sweep and writes its table, plot and the chosen model."""

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import read_frame, save_model, write_csv, write_json
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(
    snakemake.params.seed, snakemake.threads, snakemake.params.mixed_precision
)

from hw4.steps import lookback_sweep  # noqa: E402

result = lookback_sweep.run(
    read_frame(snakemake.input.table),
    snakemake.params.settings,
    snakemake.params.look_backs,
    snakemake.params.target,
    snakemake.params.unit,
    snakemake.params.seed,
    device,
)
write_csv(snakemake.output.table, result["rows"], result["columns"])
write_json(snakemake.output.summary, result["summary"])
save_model(result["model"], snakemake.output.model)
write_csv(snakemake.output.history, result["history"], result["history_columns"])
figures.learning_curves(result["history"], snakemake.output.curves, metric="loss")
figures.lookback_plot(result["rows"], result["summary"]["unit"], snakemake.output.plot)
