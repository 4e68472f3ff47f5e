"""Config validation that speaks in one line: the key at fault and what it allows.

jsonschema's own messages print the whole schema; a student wants to know which
key to fix. Snakemake's ``validate`` then runs on the same schema to fill in the
defaults.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import yaml


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
        return "it must not be empty for this source"
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


def check_config(config: dict, schema_path: str | Path) -> None:
    """Raise ConfigError with one line for the first problem found; return None when valid."""
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(config))
    if not errors:
        return
    error = jsonschema.exceptions.best_match(errors)
    raise ConfigError(format_error(error).replace("\n", " "))


def config_hash(config: dict) -> str:
    """SHA-256 of the whole validated config, written as JSON with sorted keys (the report's
    appendix prints it)."""
    text = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
