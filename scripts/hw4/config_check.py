"""Config validation that speaks in one line: the key at fault and what it allows.

jsonschema's own messages print the whole schema; a student wants to know which
key to fix. Snakemake's ``validate`` then runs on the same schema to fill in the
defaults.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import jsonschema
import yaml

from hw4.methods.shapes import layer_key_errors


class ConfigError(ValueError):
    pass


def key_path(path) -> str:
    parts = []
    for item in path:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def _allowed(error: jsonschema.ValidationError) -> str:
    schema, kind = error.schema, error.validator
    if kind == "enum":
        return "allowed: " + ", ".join(map(str, error.validator_value))
    if kind == "type":
        return f"allowed: a value of type {error.validator_value}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        sign = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}[
            kind
        ]
        return f"allowed: a number {sign} {error.validator_value}"
    if kind == "additionalProperties":
        known = ", ".join(sorted(schema.get("properties", {})))
        return f"known keys here: {known}"
    if kind == "minLength" and error.validator_value == 1:
        # path and url are required only by the source that reads them
        named_by_source = list(error.absolute_path)[-1:] in (["path"], ["url"])
        return "it must not be empty for this source" if named_by_source else "it must not be empty"
    if kind == "pattern":
        return f"allowed: text matching {error.validator_value}"
    if kind == "oneOf":
        return "allowed: " + " or ".join(
            ", ".join(map(str, s["enum"]))
            if "enum" in s
            else f"a whole number >= {s.get('minimum', 0)}"
            for s in error.validator_value
        )
    if kind in ("minItems", "maxItems"):
        return f"allowed: a list with {'at least' if kind == 'minItems' else 'at most'} {error.validator_value} items"
    return ""


def format_error(error: jsonschema.ValidationError) -> str:
    # For 'oneOf' and friends, the deepest sub-error is usually the most specific.
    where = key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        where = ".".join(
            filter(None, [key_path(error.absolute_path) if error.absolute_path else "", extra[0]])
        )
        return f"{where}: unknown key ({_allowed(error)})"
    if error.validator == "required":
        return f"{where}: {error.message}"
    value = repr(error.instance)
    if len(value) > 60:
        value = value[:57] + "..."
    allowed = _allowed(error)
    return f"{where}: {value} is not allowed" + (
        f" ({allowed})" if allowed else f" ({error.message})"
    )


def load_schema(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def setting(config: dict, schema: dict, *keys: str):
    """A key's value in ``config``, or the schema's default where the config leaves it out."""
    value, node = config, schema
    for key in keys:
        node = node["properties"][key]
        value = value.get(key, node.get("default")) if isinstance(value, dict) else None
    return value


def check_lstm_inputs(config: dict, schema: dict) -> None:
    """lstm.features and lstm.include_target_history: the LSTM needs at least one input."""
    features = setting(config, schema, "lstm", "features")
    with_target = setting(config, schema, "lstm", "include_target_history")
    if not features and not with_target:
        raise ConfigError(
            "lstm.features: empty while lstm.include_target_history is false leaves the model"
            " no input (allowed: at least one feature, or the target's own history)"
        )


def normalise_dates(config: dict) -> None:
    """An unquoted ``report.date: 2024-01-05`` reaches the config as a date, not a string:
    write it back as the ISO text the schema and the report expect (in place)."""
    report = config.get("report")
    if isinstance(report, dict) and isinstance(report.get("date"), datetime.date):
        report["date"] = report["date"].isoformat()


def check_split(config: dict, schema: dict) -> None:
    """lstm.split: the training and validation shares must leave a test part."""
    train = setting(config, schema, "lstm", "split", "train")
    validation = setting(config, schema, "lstm", "split", "validation")
    if train + validation >= 1:
        raise ConfigError(
            f"lstm.split: train {train} + validation {validation} = {train + validation:g} "
            "leaves no test part (allowed: a sum below 1)"
        )


# --- tuning.space: what the schema cannot say ---------------------------------------------

# Every MNIST source gives 28x28 images (hw4.data.mnist refuses any other size), so the
# depth bound is known before the data is read.
MNIST_IMAGE_SIZE = 28


def _range_problems(key: str, values: list, stepped: bool) -> list[str]:
    low, high = values[0], values[1]
    if low > high:
        return [f"{key}: low {low} > high {high}"]
    if stepped:
        step = values[2]
        if step <= 0:
            return [f"{key}: step {step} must be above 0"]
        if high > low and step > high - low:
            return [f"{key}: step {step} does not fit between low {low} and high {high}"]
    return []


def tuning_space_problems(tuning: dict, schema: dict) -> list[str]:
    """Every fault of ``tuning.space`` (keys left out take the schema's defaults), one
    phrase each, naming the key: ranges with low <= high and a step that fits between
    them, and a smallest depth that the padding can build on MNIST's images."""
    from hw4.methods.search_space import max_conv_depth

    defaults = {
        key: spec.get("default")
        for key, spec in schema["properties"]["tuning"]["properties"]["space"]["properties"].items()
    }
    space = {**defaults, **tuning.get("space", {})}
    problems = []
    for key, stepped in (
        ("conv_layers", False),
        ("filters", True),
        ("dense_layers", False),
        ("units", True),
        ("dropout", True),
        ("learning_rate", False),
    ):
        problems += _range_problems(f"tuning.space.{key}", space[key], stepped)
    bound = max_conv_depth(MNIST_IMAGE_SIZE, 3, 2, space["padding"])
    shallowest = space["conv_layers"][0]
    if shallowest > bound:
        problems.append(
            f"tuning.space.conv_layers: the smallest depth {shallowest} cannot be built with"
            f" {space['padding']!r} padding on {MNIST_IMAGE_SIZE}x{MNIST_IMAGE_SIZE} images"
            f" (at most {bound} conv+pool blocks fit)"
        )
    return problems


def _whole_number(checker, instance) -> bool:
    """JSON Schema's "integer" counts 2.0 as an integer; Python's range() and Keras'
    epochs do not, so a key the schema types as integer takes only an int."""
    return isinstance(instance, int) and not isinstance(instance, bool)


WHOLE_NUMBER_VALIDATOR = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _whole_number),
)


def check_config(config: dict, schema_path: str | Path) -> None:
    """Raise ConfigError with one line for the first problem found; return None when valid.

    The schema checks each key; the checks after it relate keys to each other (every fault
    of ``tuning.space`` in the one line). Checks that need the data's length (look-backs
    against the training part) run in the consumption rule.
    """
    normalise_dates(config)
    schema = load_schema(schema_path)
    validator = WHOLE_NUMBER_VALIDATOR(schema)
    errors = list(validator.iter_errors(config))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        raise ConfigError(format_error(error).replace("\n", " "))
    problems = tuning_space_problems(config.get("tuning", {}), schema)
    if problems:
        raise ConfigError("; ".join(problems))
    check_split(config, schema)
    check_lstm_inputs(config, schema)
    check_shape_layer_keys(config)
    check_gradcam_layer(config)


def check_gradcam_layer(config: dict) -> None:
    """``gradcam.layer`` must name a layer of the Q7 network with spatial axes (h, w, channels):
    told from the architecture, before the CNN is trained."""
    from hw4.methods.q7_layers import Q7_OUTPUT_SHAPES

    layer = config.get("gradcam", {}).get("layer", "")
    spatial = ", ".join(name for name, shape in Q7_OUTPUT_SHAPES.items() if len(shape) == 3)
    if not layer:
        return
    if layer not in Q7_OUTPUT_SHAPES:
        raise ConfigError(
            f"gradcam.layer: {layer!r} is not a layer of the Q7 network (allowed: {spatial})"
        )
    if len(Q7_OUTPUT_SHAPES[layer]) != 3:
        raise ConfigError(
            f"gradcam.layer: {layer!r} has output shape {Q7_OUTPUT_SHAPES[layer]}, without"
            f" spatial axes for a Grad-CAM map (allowed: {spatial})"
        )


def check_shape_layer_keys(config: dict) -> None:
    """Refuse a key the schema accepts for some layer type but the shapes table cannot honour
    for this one (a pooling layer's filters, an average pooling dilation, ...)."""
    errors = layer_key_errors(config.get("shapes", {}).get("layers", []))
    if errors:
        raise ConfigError(errors[0])


def config_hash(config: dict) -> str:
    """SHA-256 of the whole validated config, written as JSON with sorted keys (the report's
    appendix prints it)."""
    text = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def missing_student_details(config: dict) -> str | None:
    """One line naming the title page's empty student settings, or None when both are set or
    the build is a preview (``report.preview``), whose title page says it is no hand-in.

    A hand-in printed with "Name: —" is the student's loss; the run says so at its start.
    """
    report = config.get("report", {})
    if report.get("preview"):
        return None
    empty = [
        f"report.{key}" for key in ("student_name", "student_id") if not str(report.get(key, ""))
    ]
    if not empty:
        return None
    return (
        f"note: {' and '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty, so the title "
        "page prints '—'; set them under report: in config.yaml (quote an ID that starts with 0)"
    )
