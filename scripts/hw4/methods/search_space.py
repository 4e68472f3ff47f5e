"""The homework's KerasTuner search for an MNIST CNN, with its faults fixed.

Fixes, each explained in the report:
- one hyperparameter per layer (``filters_0``, ``dropout_conv_0``, ``units_1``, ...)
  instead of one shared name reused in the loop;
- the layers beyond the sampled depth live under conditional scopes, so they are
  neither sampled nor counted when inactive;
- the depth is bounded by the spatial size: 3x3 'valid' convolutions each followed
  by 2x2 pooling reach a size of zero on 28x28 input, so deeper models cannot be
  built. The bound comes from the same arithmetic as Q5 (``hw4.methods.shapes``).
"""

from __future__ import annotations

import math

from hw4.methods.hyperband import hyperband_schedule, schedule_totals
from hw4.methods.shapes import output_size

# trials.csv's columns that describe a trial's run, not its configuration: the rest of its
# columns are the hyperparameters.
TRIAL_COLUMNS = [
    "trial",
    "status",
    "epochs_run",
    "tuner",
    "best_step",
    "epochs_to_best",
    "continued_from",
    "best_val_accuracy",
    "seconds",
]


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


class ShapeFailure(Exception):
    """A sampled depth whose feature map shrinks to nothing: the model cannot be built.

    Raised by the builder of the original space (the corrected one never samples such a
    depth); the search counts these trials as failed and goes on.
    """


def make_builder(space: dict, input_shape: tuple[int, int, int], corrected: bool = True):
    """A KerasTuner model-building function over the homework's search space.

    ``space`` is ``config.yaml``'s ``tuning.space``; ``input_shape`` is (height, width,
    channels) of the images. Returns ``(build, deepest, depth_bound)``: the function, the
    deepest conv stack it samples (the configured maximum, bounded by ``depth_bound`` in
    the corrected space) and how many conv+pool blocks fit on the image (``max_conv_depth``).
    In the original space a deeper sample raises ``ShapeFailure`` from ``build``.
    """
    import keras

    shallowest, deepest_asked = space["conv_layers"]
    depth_bound = max_conv_depth(input_shape[0], 3, 2, space["padding"])
    deepest = min(deepest_asked, depth_bound) if corrected else deepest_asked
    filters_low, filters_high, filters_step = space["filters"]
    units_low, units_high, units_step = space["units"]
    dropout_low, dropout_high, dropout_step = space["dropout"]
    fewest_dense, most_dense = space["dense_layers"]
    rate_low, rate_high = space["learning_rate"]

    def build(hp):
        inputs = keras.Input(input_shape)
        x = inputs
        conv_layers = hp.Int("conv_layers", shallowest, deepest)
        if conv_layers > depth_bound:
            sizes = block_sizes(input_shape[0], conv_layers, space["padding"])
            raise ShapeFailure(
                f"conv_layers={conv_layers} cannot be built on {input_shape[0]}x{input_shape[1]}"
                f" images with {space['padding']!r} padding: sizes after each block {sizes}"
            )
        for i in range(deepest):
            if corrected:
                # Registered for every possible layer (so the whole space is known from the
                # first trial), active only while layer i exists.
                with hp.conditional_scope("conv_layers", list(range(i + 1, deepest + 1))):
                    filters = hp.Int(f"filters_{i}", filters_low, filters_high, step=filters_step)
                    rate = hp.Float(
                        f"dropout_conv_{i}", dropout_low, dropout_high, step=dropout_step
                    )
                if i >= conv_layers:
                    continue
            else:  # the original: one shared name for every layer
                if i >= conv_layers:
                    break
                filters = hp.Int("filters", filters_low, filters_high, step=filters_step)
                rate = hp.Float("dropout", dropout_low, dropout_high, step=dropout_step)
            x = keras.layers.Conv2D(
                filters, 3, padding=space["padding"], activation="relu", name=f"conv_{i}"
            )(x)
            x = keras.layers.MaxPooling2D(2, name=f"pool_{i}")(x)
            x = keras.layers.Dropout(rate, name=f"dropout_conv_{i}")(x)
        x = keras.layers.Flatten()(x)
        dense_layers = hp.Int("dense_layers", fewest_dense, most_dense)
        for i in range(most_dense):
            if corrected:
                with hp.conditional_scope("dense_layers", list(range(i + 1, most_dense + 1))):
                    units = hp.Int(f"units_{i}", units_low, units_high, step=units_step)
                    rate = hp.Float(
                        f"dropout_dense_{i}", dropout_low, dropout_high, step=dropout_step
                    )
                if i >= dense_layers:
                    continue
            else:
                if i >= dense_layers:
                    break
                units = hp.Int("neurons", units_low, units_high, step=units_step)
                rate = hp.Float("dropout", dropout_low, dropout_high, step=dropout_step)
            x = keras.layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
            x = keras.layers.Dropout(rate, name=f"dropout_dense_{i}")(x)
        outputs = keras.layers.Dense(10, activation="softmax", name="digit")(x)
        model = keras.Model(inputs, outputs)
        model.compile(
            optimizer=keras.optimizers.Adam(
                hp.Float("learning_rate", rate_low, rate_high, sampling="log")
            ),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    return build, deepest, depth_bound


def grid_points(low, high, step=None) -> float:
    """How many values KerasTuner can draw from a range: ``low, low + step, ... <= high``
    for a stepped range, every whole number for an unstepped whole-number range, one for
    a range that is a single value, and ``math.inf`` for an unstepped range of floats."""
    if low == high:
        return 1
    if step is None:
        if isinstance(low, int) and isinstance(high, int):
            return high - low + 1
        return math.inf
    # A float step (0.1) does not divide a float span (0.4) exactly; KerasTuner's own
    # grid stops at the last value not above high, which the small tolerance keeps.
    return math.floor((high - low) / step + 1e-9) + 1


def distinct_configurations(space: dict, image_size: int, corrected: bool = True) -> float:
    """How many different models ``make_builder`` can be asked for: ``math.inf`` as soon
    as one range is continuous (the default learning rate), else a whole number.

    In the corrected space each layer has its own filters (or units) and dropout, and a
    layer beyond the sampled depth is not sampled, so a depth of d conv layers holds
    (filters x dropouts)**d configurations; the depth is bounded as ``make_builder`` bounds
    it. The original space shares one name per kind over every layer: each is drawn once.
    """
    shallowest, deepest_asked = space["conv_layers"]
    depth_bound = max_conv_depth(image_size, 3, 2, space["padding"])
    deepest = min(deepest_asked, depth_bound) if corrected else deepest_asked
    fewest_dense, most_dense = space["dense_layers"]
    filters = grid_points(*space["filters"])
    units = grid_points(*space["units"])
    dropouts = grid_points(*space["dropout"])
    rates = grid_points(*space["learning_rate"])
    if math.inf in (filters, units, dropouts, rates):
        return math.inf
    if not corrected:
        conv_depths = deepest - shallowest + 1
        dense_depths = most_dense - fewest_dense + 1
        return conv_depths * dense_depths * filters * units * dropouts * rates
    conv = sum((filters * dropouts) ** depth for depth in range(shallowest, deepest + 1))
    dense = sum((units * dropouts) ** depth for depth in range(fewest_dense, most_dense + 1))
    return conv * dense * rates


def configurations_drawn(settings: dict) -> int:
    """New configurations the search asks its oracle for: Hyperband's fresh configurations
    over every bracket, or ``max_trials`` for the random and Bayesian tuners."""
    if settings["tuner"] == "hyperband":
        rows = hyperband_schedule(
            settings["max_epochs"], settings["factor"], settings["hyperband_iterations"]
        )
        return schedule_totals(rows)["new_configurations"]
    return settings["max_trials"]
