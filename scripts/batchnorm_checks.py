"""Rule batchnorm_checks: Q6's claims, each backed by a check this rule runs."""

import numpy as np

from hw4 import figures
from hw4.device import claim_gpu, configure_framework
from hw4.io.files import write_json
from hw4.io.logs import setup_logging
from hw4.io.provenance import framework_versions, provenance
from hw4.methods.batchnorm import running_stats_drift

log = setup_logging(snakemake.log[0])
claim_gpu(snakemake.params.lock_dir)
device = configure_framework(snakemake.params.seed)

from hw4.methods import batchnorm_experiments as bn_checks  # noqa: E402
from hw4.methods.mnist_cnn import scale_images  # noqa: E402

s, seed = snakemake.params.settings, snakemake.params.seed
with np.load(snakemake.input.data) as loaded:
    data = {k: loaded[k] for k in loaded.files}
rng = np.random.default_rng(seed)
order = rng.permutation(len(data["y_train"]))
n = min(s["train_images"], len(order) - 500)
x, y = scale_images(data["x_train"][order[:n]]), data["y_train"][order[:n]]
x_val, y_val = (
    scale_images(data["x_train"][order[n : n + 500]]),
    data["y_train"][order[n : n + 500]],
)
x_test, y_test = scale_images(data["x_test"]), data["y_test"]

log.info("batchnorm_checks: step 1 of 6, NumPy batch norm against Keras")
shapes = [tuple(v) for v in s["shapes"]]
comparisons = [bn_checks.compare_with_keras(shape, seed + i) for i, shape in enumerate(shapes)]
log.info("batchnorm_checks: step 2 of 6, epsilon and batch size 1")
drift = [
    {
        "batch_size": b,
        **dict(
            zip(
                ("running_mean", "running_var"),
                running_stats_drift(b, s["drift_steps"], 3.0, 2.0, seed),
                strict=True,
            )
        ),
    }
    for b in s["drift_batch_sizes"]
]
log.info("batchnorm_checks: step 3 of 6, parameter counts")
params = bn_checks.parameter_counts()
log.info("batchnorm_checks: step 4 of 6, small batches")
small = bn_checks.small_batch_accuracy(
    x, y, x_test, y_test, s["small_batch_sizes"], s["small_batch_steps"], seed
)
log.info("batchnorm_checks: step 5 of 6, speed and convergence with and without BN")
speed = bn_checks.speed_and_convergence(x, y, x_val, y_val, s, seed)
log.info("batchnorm_checks: step 6 of 6, folding BN into the layer before it")
folding = bn_checks.folding_check(x, y, seed)

write_json(
    snakemake.output.checks,
    {
        "keras_comparison": comparisons,
        "largest_difference": max(
            max(v for k, v in c.items() if k != "shape") for c in comparisons
        ),
        "epsilon": bn_checks.epsilon_case(),
        "batch_of_one": bn_checks.batch_of_one(seed),
        "running_stats_drift": {
            "true_mean": 3.0,
            "true_var": 4.0,
            "steps": s["drift_steps"],
            "rows": drift,
        },
        "parameter_counts": params,
        "small_batches": {"steps": s["small_batch_steps"], "train_images": int(n), "rows": small},
        "speed": speed,
        "target_accuracy": s["target_accuracy"],
        "bn_momentum": bn_checks.SMALL_CNN_MOMENTUM,
        "folding": folding,
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    },
)
figures.small_batches(small, drift, snakemake.output.small_batches)
figures.bn_convergence(speed, s["target_accuracy"], snakemake.output.convergence)
