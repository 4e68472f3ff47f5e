"""Rule gradcam: Grad-CAM maps of the trained CNN, the randomisation check and deletion curves."""

import numpy as np

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import write_json, write_npz
from hw4.io.logs import setup_logging
from hw4.io.provenance import framework_versions, provenance

log = setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed)

import keras  # noqa: E402

from hw4.steps.gradcam import run_gradcam  # noqa: E402

settings = snakemake.params.settings
model = keras.models.load_model(snakemake.input.model)
weights_before = [w.copy() for w in model.get_weights()]
with np.load(snakemake.input.data) as loaded:
    data = {k: loaded[k] for k in loaded.files}
order = np.load(snakemake.input.order)["order"]
result = run_gradcam(model, data, order, settings, snakemake.params.seed)
# Grad-CAM must leave the trained model as it was.
unchanged = all(
    np.array_equal(a, b) for a, b in zip(weights_before, model.get_weights(), strict=True)
)
result["metrics"]["model_unchanged"] = unchanged
if not unchanged:
    raise RuntimeError("Grad-CAM changed the trained model's weights")

write_npz(snakemake.output.heatmaps, **result["arrays"])
write_json(
    snakemake.output.metrics,
    {**result["metrics"], "provenance": provenance(versions=framework_versions(), **device)},
)
a = result["arrays"]
first = a["first_indices"]
figures.heatmap_grid(
    data["x_train"][first],
    a["first_maps"],
    a["first_maps_upsampled"],
    a["first_true"],
    a["first_predicted"],
    snakemake.output.grid,
)
figures.class_maps(a["class_mean_maps"], a["class_counts"], snakemake.output.class_maps)
figures.sanity_curve(result["metrics"]["sanity_check"], snakemake.output.sanity)
m = result["metrics"]["faithfulness"]
figures.deletion_plot(m["fractions"], m["curves"], m["auc"], snakemake.output.deletion)
