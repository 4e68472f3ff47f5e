"""The homework's KerasTuner search for an MNIST CNN, with its faults fixed.

Fixes, each explained in the report:
- one hyperparameter per layer (``filters_0``, ``dropout_conv_0``, ``units_1``, ...)
  instead of one shared name reused in the loop;
- the layers beyond the sampled depth live under conditional scopes, so they are
  neither sampled nor counted when inactive;
- the depth is bounded by the spatial size: 3x3 'valid' convolutions each followed
  by 2x2 pooling reach a size of zero on 28x28 input, so deeper models cannot be
  built. The bound comes from the same arithmetic as Q5 (``hw4.shapes``).
"""

from __future__ import annotations

import logging
import math

from hw4.methods.shapes import output_size

log = logging.getLogger("hw4")

TUNERS = ("hyperband", "random", "bayesian")


def max_conv_depth(size: int, kernel: int = 3, pool: int = 2, padding: str = "valid") -> int:
    """How many conv+pool blocks fit before the feature map shrinks to nothing."""
    depth = 0
    while True:
        after_conv = output_size(size, kernel, 1, padding)
        after_pool = output_size(after_conv, pool, pool, "valid") if after_conv > 0 else 0
        if after_pool < 1:
            return depth
        depth, size = depth + 1, after_pool


def block_sizes(
    size: int, blocks: int, padding: str = "valid", kernel: int = 3, pool: int = 2
) -> list[int]:
    """Spatial size after each conv+pool block; a size below 1 means the block cannot be built."""
    sizes = []
    for _ in range(blocks):
        if size < 1:
            sizes.append(size)
            continue
        after_conv = output_size(size, kernel, 1, padding)
        size = output_size(after_conv, pool, pool, "valid") if after_conv > 0 else after_conv
        sizes.append(size)
    return sizes


def hyperband_schedule(
    max_epochs: int, factor: int, iterations: int = 1, min_epochs: int = 1
) -> list[dict]:
    """The brackets and rounds KerasTuner's Hyperband runs (its own size and epoch rules)."""

    def size(bracket, round_):
        end = math.ceil(1 + math.log(max_epochs, factor)) / (bracket + 1)
        return math.ceil(end * factor ** (bracket - round_))

    def epochs(bracket, round_):
        return math.ceil(max_epochs / factor ** (bracket - round_))

    brackets, e = 0, max_epochs
    while e >= min_epochs:
        e, brackets = e / factor, brackets + 1
    rows = []
    for iteration in range(iterations):
        for bracket in range(brackets - 1, -1, -1):
            for round_ in range(bracket + 1):
                start = epochs(bracket, round_ - 1) if round_ else 0
                rows.append(
                    {
                        "iteration": iteration + 1,
                        "bracket": bracket,
                        "round": round_,
                        "trials": size(bracket, round_),
                        "epochs": epochs(bracket, round_),
                        "initial_epoch": start,
                        "new_configurations": size(bracket, round_) if round_ == 0 else 0,
                        "epochs_run": size(bracket, round_) * (epochs(bracket, round_) - start),
                    }
                )
    return rows


def schedule_totals(rows: list[dict]) -> dict:
    return {
        "trials": sum(r["trials"] for r in rows),
        "new_configurations": sum(r["new_configurations"] for r in rows),
        "epochs": sum(r["epochs_run"] for r in rows),
    }


def sampled_values(values: dict, keep_tuner_keys: bool = True) -> dict:
    """A trial's hyperparameters as written to logs, CSV and JSON.

    KerasTuner steps a float range by repeated addition, so a dropout of 0.3 is
    sampled as 0.30000000000000004; 12 significant digits give back the value on
    the grid. ``tuner/...`` bookkeeping (Hyperband's bracket and round) is dropped
    unless asked for.
    """
    return {
        name: float(f"{value:.12g}") if isinstance(value, float) else value
        for name, value in values.items()
        if keep_tuner_keys or not name.startswith("tuner/")
    }


def make_builder(space: dict, input_shape=(28, 28, 1), corrected: bool = True):
    """A KerasTuner model-building function over the homework's search space."""
    import keras

    lo_c, hi_c = space["conv_layers"]
    bound = max_conv_depth(input_shape[0], 3, 2, space["padding"])
    hi_c_used = min(hi_c, bound) if corrected else hi_c
    f_lo, f_hi, f_step = space["filters"]
    u_lo, u_hi, u_step = space["units"]
    d_lo, d_hi, d_step = space["dropout"]
    lo_d, hi_d = space["dense_layers"]
    lr_lo, lr_hi = space["learning_rate"]

    def build(hp):
        inputs = keras.Input(input_shape)
        x = inputs
        conv_layers = hp.Int("conv_layers", lo_c, hi_c_used)
        for i in range(hi_c_used):
            if corrected:
                # Registered for every possible layer (so the whole space is known from the
                # first trial), active only while layer i exists.
                with hp.conditional_scope("conv_layers", list(range(i + 1, hi_c_used + 1))):
                    filters = hp.Int(f"filters_{i}", f_lo, f_hi, step=f_step)
                    rate = hp.Float(f"dropout_conv_{i}", d_lo, d_hi, step=d_step)
                if i >= conv_layers:
                    continue
            else:  # the original: one shared name for every layer
                if i >= conv_layers:
                    break
                filters = hp.Int("filters", f_lo, f_hi, step=f_step)
                rate = hp.Float("dropout", d_lo, d_hi, step=d_step)
            x = keras.layers.Conv2D(
                filters, 3, padding=space["padding"], activation="relu", name=f"conv_{i}"
            )(x)
            x = keras.layers.MaxPooling2D(2, name=f"pool_{i}")(x)
            x = keras.layers.Dropout(rate, name=f"dropout_conv_{i}")(x)
        x = keras.layers.Flatten()(x)
        dense_layers = hp.Int("dense_layers", lo_d, hi_d)
        for i in range(hi_d):
            if corrected:
                with hp.conditional_scope("dense_layers", list(range(i + 1, hi_d + 1))):
                    units = hp.Int(f"units_{i}", u_lo, u_hi, step=u_step)
                    rate = hp.Float(f"dropout_dense_{i}", d_lo, d_hi, step=d_step)
                if i >= dense_layers:
                    continue
            else:
                if i >= dense_layers:
                    break
                units = hp.Int("neurons", u_lo, u_hi, step=u_step)
                rate = hp.Float("dropout", d_lo, d_hi, step=d_step)
            x = keras.layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
            x = keras.layers.Dropout(rate, name=f"dropout_dense_{i}")(x)
        outputs = keras.layers.Dense(10, activation="softmax", name="digit")(x)
        model = keras.Model(inputs, outputs)
        model.compile(
            optimizer=keras.optimizers.Adam(
                hp.Float("learning_rate", lr_lo, lr_hi, sampling="log")
            ),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    return build, hi_c_used, bound


def planned_trials(settings: dict) -> int:
    if settings["tuner"] == "hyperband":
        rows = hyperband_schedule(
            settings["max_epochs"], settings["factor"], settings["hyperband_iterations"]
        )
        return schedule_totals(rows)["trials"]
    return settings["max_trials"]


# The budget the accuracy target is stated for: Hyperband, max_epochs 10, factor 3.
TARGET_BUDGET = {
    "tuner": "hyperband",
    "search_space": "corrected",
    "max_epochs": 10,
    "factor": 3,
    "hyperband_iterations": 1,
}


def full_mnist_target(
    settings: dict, data_provenance: dict, mnist_sha256: str, test_accuracy: float
) -> dict:
    """Whether the test-accuracy target applies to this run, and whether it was met.

    The target is stated for the full MNIST (60,000 training images) at the default
    budget; it applies only when the data is the checksum-verified MNIST file, whole,
    and the search used that budget. Otherwise ``reason`` names what differs
    (``data``, ``subset`` or ``budget``) and ``detail`` says it in words.
    """
    target = settings["target_test_accuracy"]
    source = data_provenance.get("source")
    checksums = set(data_provenance.get("files", {}).values())
    train_images = data_provenance.get("counts", {}).get("train", {}).get("total")
    changed = [k for k, v in TARGET_BUDGET.items() if settings[k] != v]
    if source not in ("download", "path") or mnist_sha256 not in checksums:
        reason, detail = "data", f"the data is not the checksum-verified MNIST file ({source})"
    elif train_images != 60000:
        reason, detail = "subset", f"{train_images} training images instead of 60,000"
    elif changed:
        reason = "budget"
        detail = "the budget is not the default: " + ", ".join(
            f"{k}={settings[k]}" for k in changed
        )
    else:
        met = bool(test_accuracy >= target)
        return {"target": target, "applies": True, "met": met, "reason": "", "detail": ""}
    return {"target": target, "applies": False, "met": None, "reason": reason, "detail": detail}
