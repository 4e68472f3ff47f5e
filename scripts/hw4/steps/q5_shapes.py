"""Step of rule q5_shapes: every layer's output shape and parameters, and the 'same' padding rule.

Pure arithmetic (``hw4.methods.shapes``): no framework is imported.
"""

from __future__ import annotations

import logging

from hw4.io.provenance import provenance
from hw4.methods.dilated_conv import subsample_equivalence
from hw4.methods.shapes import COLUMNS, network_table, padding_rule_table

log = logging.getLogger("hw4")

# Largest difference between the strided conv and the subsampled stride-1 one that float64
# round-off explains (sums of a few thousand unit-variance products differ by about 1e-13).
SUBSAMPLE_TOLERANCE = 1e-9


def parse_shape(text: str) -> tuple[int, ...]:
    """'62x62x128' -> (62, 62, 128), as the table writes shapes."""
    return tuple(int(part) for part in text.split("x"))


def run(input_shape: list[int], layers: list[dict], seed: int) -> dict:
    """The Q5 tables for a network given as in ``config.yaml``'s ``shapes`` section.

    Returns ``{"layers": rows, "layer_columns": [...], "padding": rows, "padding_columns":
    [...], "summary": {...}}``: rows are dicts ready for CSV, the summary is the JSON artifact.
    The total counts only the layers that can exist; invalid layers are listed apart. For every
    layer that exists but that Keras refuses (stride > 1 with dilation > 1), the summary holds
    the check that a stride-1 dilated convolution subsampled every S cells gives the same output.
    """
    rows = [row.as_dict() for row in network_table(input_shape, layers)]
    for row in rows:
        log.info(
            "layer %s %s -> %s",
            row["index"],
            row["layer"],
            f"{row['output_shape']}, {row['params']:,} parameters"
            if row["valid"]
            else "no output: its input is too small for it (the feature map would shrink"
            " below one cell), so it cannot be built",
        )
    equivalence = []
    for row, layer in zip(rows, layers, strict=True):
        if row["valid"] and layer["type"] == "conv" and not row["keras_buildable"]:
            check = subsample_equivalence(parse_shape(row["input_shape"]), layer, seed)
            check["agrees"] = bool(
                check["direct_shape"] == check["subsampled_shape"]
                and check["max_abs_difference"] <= SUBSAMPLE_TOLERANCE
            )
            equivalence.append({"index": row["index"], **check})
            log.info(
                "layer %s: stride-%s conv against stride 1 subsampled: largest difference %.2e",
                row["index"],
                check["stride"],
                check["max_abs_difference"],
            )
    padding = padding_rule_table()
    summary = {
        "input_shape": input_shape,
        "layers": len(rows),
        "valid_layers": sum(r["valid"] for r in rows),
        "first_invalid": next((r["index"] for r in rows if not r["valid"]), None),
        "total_params": sum(r["params"] for r in rows if r["valid"]),
        "invalid_params": [
            {"index": r["index"], "params": r["params"]}
            for r in rows
            if not r["valid"] and r["params"]
        ],
        "subsample_equivalence": equivalence,
        "subsample_agrees": all(check["agrees"] for check in equivalence),
        "provenance": provenance(),
    }
    return {
        "layers": rows,
        "layer_columns": COLUMNS,
        "padding": padding,
        "padding_columns": list(padding[0]),
        "summary": summary,
    }
