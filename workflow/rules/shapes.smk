# Q5: output shapes and parameter counts of the configured network, and the
# 'same' padding rule. Pure arithmetic: no framework is imported.


rule q5_shapes:
    output:
        table="results/shapes/q5_layers.csv",
        padding="results/shapes/same_padding.csv",
        summary="results/shapes/q5_summary.json",
    log:
        "logs/shapes/q5_shapes.log",
    benchmark:
        "benchmarks/shapes/q5_shapes.tsv"
    conda:
        env("data")
    params:
        code=code_of("q5_shapes.py"),
        input_shape=config["shapes"]["input_shape"],
        layers=config["shapes"]["layers"],
        seed=SEED,
    script:
        "../../scripts/q5_shapes.py"
