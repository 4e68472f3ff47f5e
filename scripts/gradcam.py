"""Rule gradcam: wires Snakemake to hw4.steps.gradcam and writes the maps, metrics and figures."""

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import load_model, read_npz, write_json, write_npz
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed, snakemake.threads)

from hw4.steps import gradcam  # noqa: E402  (after the GPU is chosen)

result = gradcam.run(
    load_model(snakemake.input.model),
    read_npz(snakemake.input.data),
    read_npz(snakemake.input.order)["order"],
    snakemake.params.settings,
    snakemake.params.seed,
    device,
)
write_npz(snakemake.output.heatmaps, **result["arrays"])
write_json(snakemake.output.metrics, result["metrics"])
drawn = result["figures"]
figures.heatmap_grid(**drawn["grid"], path=snakemake.output.grid)
figures.class_maps(**drawn["class_maps"], path=snakemake.output.class_maps)
figures.sanity_curve(**drawn["sanity"], path=snakemake.output.sanity)
figures.deletion_plot(**drawn["deletion"], path=snakemake.output.deletion)
