"""Step of rule q5_shapes: every layer's output shape and parameters, and the 'same' padding rule.

Pure arithmetic (``hw4.methods.shapes``): no framework is imported.
"""

from __future__ import annotations

import logging

from hw4.io.provenance import provenance
from hw4.methods.shapes import COLUMNS, network_table, padding_rule_table

log = logging.getLogger("hw4")


def run(input_shape: list[int], layers: list[dict]) -> dict:
    """The Q5 tables for a network given as in ``config.yaml``'s ``shapes`` section.

    Returns ``{"layers": rows, "layer_columns": [...], "padding": rows, "padding_columns":
    [...], "summary": {...}}``: rows are dicts ready for CSV, the summary is the JSON artifact.
    """
    rows = [row.as_dict() for row in network_table(input_shape, layers)]
    for row in rows:
        log.info(
            "layer %(index)s %(layer)s -> %(output_shape)s, %(params)s params, valid=%(valid)s",
            row,
        )
    padding = padding_rule_table()
    summary = {
        "input_shape": input_shape,
        "layers": len(rows),
        "valid_layers": sum(r["valid"] for r in rows),
        "first_invalid": next((r["index"] for r in rows if not r["valid"]), None),
        "total_params": sum(r["params"] for r in rows),
        "keras_unbuildable": [r["index"] for r in rows if not r["keras_buildable"]],
        "provenance": provenance(),
    }
    return {
        "layers": rows,
        "layer_columns": COLUMNS,
        "padding": padding,
        "padding_columns": list(padding[0]),
        "summary": summary,
    }
