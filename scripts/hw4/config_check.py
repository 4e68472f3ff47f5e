"""Config validation that speaks in one line: the key at fault and what it allows.

jsonschema's own messages print the whole schema; a student wants to know which
key to fix. Snakemake's ``validate`` then runs on the same schema to fill in the
defaults.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import re
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


def check_search_size(config: dict, schema: dict) -> None:
    """tuning.space against the budget: a space with fewer distinct configurations than the
    search draws would make KerasTuner stop once it finds no new one, before its schedule
    ends (a Hyperband search then never reaches its last rounds)."""
    from hw4.methods.search_space import configurations_drawn, distinct_configurations

    tuning_schema = schema["properties"]["tuning"]
    tuning = {key: setting(config, schema, "tuning", key) for key in tuning_schema["properties"]}
    defaults = {
        key: spec.get("default")
        for key, spec in tuning_schema["properties"]["space"]["properties"].items()
    }
    space = {**defaults, **config.get("tuning", {}).get("space", {})}
    corrected = tuning["search_space"] == "corrected"
    distinct = distinct_configurations(space, MNIST_IMAGE_SIZE, corrected)
    drawn = configurations_drawn(tuning)
    if distinct >= drawn:
        return
    if tuning["tuner"] == "hyperband":
        budget = ", ".join(
            f"{key} {tuning[key]}" for key in ("max_epochs", "factor", "hyperband_iterations")
        )
        asked = f"the {drawn} new ones Hyperband's schedule draws ({budget})"
        allowed = "a wider space, such as a learning_rate range, or a smaller budget"
    else:
        asked = f"tuning.max_trials {drawn}"
        allowed = f"tuning.max_trials {distinct} at most, or a wider space"
    raise ConfigError(
        f"tuning.space: {distinct} distinct configuration{'s' if distinct != 1 else ''}, fewer"
        f" than {asked}: KerasTuner would stop when none is left, before the search ends"
        f" (allowed: {allowed})"
    )


# The digits' classes: the search's subset and its validation hold-out are stratified, so
# each part needs at least one image of every class.
MNIST_CLASSES = 10


def smallest_search_subset(validation_fraction: float, classes: int = MNIST_CLASSES) -> int:
    """The fewest images ``tuning.search_images`` may name: a stratified split holding out
    ``ceil(n * validation_fraction)`` of them needs at least ``classes`` images on each side
    (scikit-learn's ``train_test_split`` refuses fewer)."""
    n = 2 * classes
    while (
        math.ceil(n * validation_fraction) < classes
        or n - math.ceil(n * validation_fraction) < classes
    ):
        n += 1
    return n


def check_search_subset(config: dict, schema: dict) -> None:
    """tuning.search_images too small for its stratified fit and validation parts: refused
    here, not inside the search after the data is read."""
    images = setting(config, schema, "tuning", "search_images")
    if not images:
        return
    fraction = setting(config, schema, "tuning", "validation_fraction")
    smallest = smallest_search_subset(fraction)
    if images < smallest:
        raise ConfigError(
            f"tuning.search_images: {images} images cannot hold one image of each of the"
            f" {MNIST_CLASSES} digits in both the fit part and the validation part"
            f" (tuning.validation_fraction {fraction}); allowed: 0 (every image) or at least"
            f" {smallest}"
        )


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
    of ``tuning.space`` in the one line, every fault of ``data.consumption`` in another).
    Checks that need a user's file (its columns, its length) run in the consumption rule.
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
    check_search_size(config, schema)
    check_search_subset(config, schema)
    check_split(config, schema)
    check_lstm_inputs(config, schema)
    problems = consumption_problems(config, schema)
    if problems:
        raise ConfigError("; ".join(problems))
    check_shape_layer_keys(config)
    check_gradcam_layer(config)
    check_title_page_text(config)


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
        "page prints '—'; set them under report: in config.yaml or in the file given to"
        " --configfile (quote an ID that starts with 0)"
    )


# --- data.consumption and the Q3 keys that depend on it ---------------------------------------


def consumption_problems(config: dict, schema: dict) -> list[str]:
    """Every fault of ``data.consumption`` and ``lstm.features`` that the config alone shows,
    one phrase each naming the keys: the CSV dialect (a character with two roles), the time
    zone, the columns' roles, the features against the columns that will be read, and, for the
    embedded series (whose length is known), the look-backs against its training part.

    What needs the user's file (its columns, its length) is checked in the consumption rule.
    """
    from hw4.data.consumption import (
        CALENDAR_FEATURES,
        EMBEDDED_COLUMNS,
        EMBEDDED_HOURS,
        Dialect,
        dialect_problems,
        quoted,
    )

    def consumption(key):
        return setting(config, schema, "data", "consumption", key)

    source = consumption("source")
    time_column, target = consumption("time_column"), consumption("target_column")
    raw, flags = consumption("raw_feature_columns"), consumption("flag_columns")
    problems = []
    if source != "embedded":
        dialect = Dialect(
            consumption("separator"), consumption("decimal"), consumption("thousands")
        )
        problems += dialect_problems(dialect)
    zone = consumption("time_zone")
    if zone and source == "embedded":
        problems.append(
            f"data.consumption.time_zone: {zone!r} is for a CSV (source path or url); the "
            "embedded series has no clock changes (allowed here: empty)"
        )
    elif zone and not is_time_zone(zone):
        problems.append(
            f"data.consumption.time_zone: {zone!r} is not an IANA time zone (allowed: a name "
            "such as Europe/Berlin, Asia/Tehran or UTC, or empty)"
        )
    repeated = sorted({name for name in raw if raw.count(name) > 1})
    if repeated:
        problems.append(f"data.consumption.raw_feature_columns: {quoted(repeated)} listed twice")
    for key, name in (("target_column", target), ("time_column", time_column)):
        if name in raw:
            problems.append(
                f"data.consumption.{key}: {name!r} is also in data.consumption.raw_feature_columns"
                " (allowed: a column in one role)"
            )
    if time_column == target:
        problems.append(
            f"data.consumption.time_column and target_column are both {target!r} "
            "(allowed: two different columns)"
        )
    unread = [name for name in flags if name not in raw]
    if unread:
        problems.append(
            f"data.consumption.flag_columns: {quoted(unread)} not in "
            "data.consumption.raw_feature_columns (allowed: columns that are read)"
        )
    if source == "embedded":
        foreign = [name for name in [time_column, target, *raw] if name not in EMBEDDED_COLUMNS]
        if foreign:
            problems.append(
                f"data.consumption: the embedded series has no column {quoted(foreign)} "
                f"(allowed: {quoted(EMBEDDED_COLUMNS)}; name a CSV with source: path for others)"
            )
    features = setting(config, schema, "lstm", "features")
    known = [target, *raw, *CALENDAR_FEATURES]
    unknown = [name for name in features if name not in known]
    if unknown:
        problems.append(
            f"lstm.features: {quoted(unknown)} not among the columns read and the calendar "
            f"features (allowed: {quoted(known)}; list a file's column in "
            "data.consumption.raw_feature_columns)"
        )
    if source == "embedded" and not problems:
        problems += embedded_length_problems(config, schema, EMBEDDED_HOURS)
    return problems


def embedded_length_problems(config: dict, schema: dict, hours: int) -> list[str]:
    """Look-backs and the seasonal period against the embedded series' training part, known
    before it is read (a user's file is checked the same way in the consumption rule)."""
    from hw4.methods.chronological_split import chronological_split

    train = setting(config, schema, "lstm", "split", "train")
    validation = setting(config, schema, "lstm", "split", "validation")
    train_end = chronological_split(hours, train, validation).train_end
    problems = []
    for key, needed in (
        ("lstm.look_back", setting(config, schema, "lstm", "look_back")),
        ("lookback_sweep.look_backs", max(setting(config, schema, "lookback_sweep", "look_backs"))),
        ("lstm.seasonal_period", setting(config, schema, "lstm", "seasonal_period")),
    ):
        if needed >= train_end:
            problems.append(
                f"{key}: {needed} hours is not shorter than the training part ({train_end} of "
                f"the {hours} hours in the embedded series, lstm.split.train {train})"
            )
    return problems


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is a time zone of the IANA database on this machine."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


# --- the config files as typed ----------------------------------------------------------------


def duplicate_keys(node, where: str = "") -> list[tuple[str, int, int]]:
    """Keys given twice in one mapping, at any depth: (key path, first line, second line).

    YAML loaders keep the last value without a word; the composed nodes still hold both."""
    found = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            key = key_node.value
            path = f"{where}.{key}" if where else key
            line = key_node.start_mark.line + 1
            if key in first_line:
                found.append((path, first_line[key], line))
            else:
                first_line[key] = line
            found += duplicate_keys(value_node, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += duplicate_keys(item, f"{where}[{index}]")
    return found


def child(node, *keys: str):
    """The node under ``keys`` in a composed YAML mapping (the last one given), or None."""
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        values = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
        node = values[-1] if values else None
    return node


def retyped_student_id(root, path: Path) -> str | None:
    """An unquoted ``report.student_id`` whose digits YAML changed (``0012345`` is read in
    base 8 as 5349): the phrase refusing it, or None when it was read as typed."""
    node = child(root, "report", "student_id")
    if not isinstance(node, yaml.ScalarNode) or node.style is not None:
        return None  # absent, or quoted: read as typed
    value = yaml.safe_load(node.value)
    if isinstance(value, bool) or not isinstance(value, int | float) or str(value) == node.value:
        return None
    reading = " (a number in base 8)" if re.fullmatch(r"[-+]?0[0-7_]+", node.value) else ""
    return (
        f"{path}: line {node.start_mark.line + 1}: report.student_id: {node.value} without "
        f'quotes is read by YAML as {value}{reading}; quote it: student_id: "{node.value}"'
    )


def check_config_files(paths) -> None:
    """Raise ConfigError with one line for what the merged config no longer shows: keys given
    twice in one file (naming the file, each key and both lines) and a student ID whose
    digits YAML changed. Files that are missing or not YAML are left to Snakemake's reader."""
    for path in map(Path, paths):
        if not path.is_file():
            continue
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        twice = sorted(duplicate_keys(root), key=lambda found: found[1])
        if twice:
            listed = ", ".join(
                f"{key!r} (lines {first} and {second})" for key, first, second in twice
            )
            raise ConfigError(
                f"{path}: {'a key' if len(twice) == 1 else 'keys'} given twice, of which YAML "
                f"would keep only the last: {listed}; merge or delete one of each"
            )
        problem = retyped_student_id(root, path)
        if problem:
            raise ConfigError(problem)


CONFIGFILE_OPTIONS = ("--configfile", "--configfiles")


def repeated_configfile_option(argv: list[str]) -> str | None:
    """The refusal for ``--configfile`` given twice on Snakemake's command line, or None.

    Snakemake reads the option with argparse, so ``--configfile a.yaml --configfile b.yaml``
    keeps only ``b.yaml`` and drops ``a.yaml`` without a word (``config/preview.yaml``
    silently gone: a full-budget run instead of a preview). One option with every file
    after it merges them in order. ``argv``: the command line (``sys.argv``)."""
    groups: list[list[str]] = []
    taking = False
    for word in argv[1:]:
        name, equals, attached = word.partition("=")
        if name in CONFIGFILE_OPTIONS:
            groups.append([attached] if equals else [])
            taking = not equals
        elif word.startswith("-"):
            taking = False
        elif taking:
            groups[-1].append(word)
    if len(groups) < 2:
        return None
    kept = " ".join(groups[-1])
    dropped = " ".join(file for group in groups[:-1] for file in group)
    every = " ".join(file for group in groups for file in group)
    return (
        f"--configfile given {len(groups)} times: Snakemake would keep the last ({kept}) and"
        f" drop {dropped} without a word; give every file after one --configfile, in the"
        f" order they apply: --configfile {every}"
    )


# The title page's free-text settings, drawn in the report's pinned fonts.
FREE_TEXT_KEYS = ("student_name", "student_id", "course", "course_fa")


def check_title_page_text(config: dict) -> None:
    """Raise ConfigError naming the first free-text setting (``report.student_name``, ...)
    with characters no pinned font draws, and those characters: otherwise the PDF would
    take them from whatever system font a machine has, or show empty boxes."""
    from hw4.report.fonts import undrawable_characters

    report = config.get("report", {})
    for key in FREE_TEXT_KEYS:
        missing = undrawable_characters(str(report.get(key, "")))
        if missing:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing[:8])
            more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
            raise ConfigError(
                f"report.{key}: the report's fonts (Fira Sans, IBM Plex Sans Arabic) have no "
                f"letters for {shown}{more}; write it in Latin or Persian letters"
            )
