"""Rule train_lstm: wires Snakemake to hw4.steps.train_lstm (the sweep's model, evaluated) and writes its metrics and figures."""

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import load_model, read_frame, read_json, write_json
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(
    snakemake.params.seed, snakemake.threads, snakemake.params.mixed_precision
)

from hw4.steps import train_lstm  # noqa: E402

result = train_lstm.run(
    read_frame(snakemake.input.table),
    read_json(snakemake.input.sweep),
    load_model(snakemake.input.model),
    snakemake.params.settings,
    snakemake.params.target,
    snakemake.params.unit,
    device,
)
write_json(snakemake.output.metrics, result["metrics"])
figures.forecast_week(**result["forecast_week"], path=snakemake.output.week)
figures.error_by_hour(**result["error_by_hour"], path=snakemake.output.by_hour)
