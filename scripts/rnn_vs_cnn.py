"""Rule rnn_vs_cnn: Q4's comparison in numbers: parameters, and time per step as sequences grow."""

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import write_json
from hw4.io.logs import setup_logging
from hw4.io.provenance import framework_versions, provenance

log = setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed)

from hw4.methods.sequence_timing import loglog_slope, parameter_table, timing_table  # noqa: E402

s = snakemake.params.settings
params = parameter_table(s["channels"], s["widths"], s["kernel"])
timing, receptive = timing_table(s, snakemake.params.seed)
slopes = {
    name: loglog_slope(
        [r["length"] for r in timing if r["model"] == name],
        [r["seconds_per_step"] for r in timing if r["model"] == name],
    )
    for name in ("Conv1D stack", "LSTM")
}
write_json(
    snakemake.output.measurements,
    {
        "parameters": params,
        "timing": timing,
        "slopes": slopes,
        "settings": s,
        "conv_receptive_field": receptive,
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    },
)
figures.timing_loglog(timing, snakemake.output.plot)
