"""Rule q5_shapes: wires Snakemake to hw4.steps.q5_shapes and writes its tables."""

from hw4.io.files import write_csv, write_json
from hw4.io.logs import setup_logging

setup_logging(snakemake.log[0])

from hw4.steps import q5_shapes  # noqa: E402

result = q5_shapes.run(snakemake.params.input_shape, snakemake.params.layers, snakemake.params.seed)
write_csv(snakemake.output.table, result["layers"], result["layer_columns"])
write_csv(snakemake.output.padding, result["padding"], result["padding_columns"])
write_json(snakemake.output.summary, result["summary"])
