"""Rule q5_shapes: tabulate every layer's output shape and parameters, and the 'same' padding rule."""

from hw4.io.files import write_csv, write_json
from hw4.io.logs import setup_logging
from hw4.io.provenance import provenance
from hw4.methods.shapes import COLUMNS, network_table, padding_rule_table

log = setup_logging(snakemake.log[0])
rows = [
    row.as_dict() for row in network_table(snakemake.params.input_shape, snakemake.params.layers)
]
for row in rows:
    log.info(
        "layer %(index)s %(layer)s -> %(output_shape)s, %(params)s params, valid=%(valid)s", row
    )
write_csv(snakemake.output.table, rows, COLUMNS)
padding = padding_rule_table()
write_csv(snakemake.output.padding, padding, list(padding[0]))
write_json(
    snakemake.output.summary,
    {
        "input_shape": snakemake.params.input_shape,
        "layers": len(rows),
        "valid_layers": sum(r["valid"] for r in rows),
        "first_invalid": next((r["index"] for r in rows if not r["valid"]), None),
        "total_params": sum(r["params"] for r in rows),
        "keras_unbuildable": [r["index"] for r in rows if not r["keras_buildable"]],
        "provenance": provenance(),
    },
)
