# The tuned CNN against the fixed Q7 CNN: both tested on the same images, so compared
# image by image (McNemar's exact test), not by their separate intervals.


rule compare_cnns:
    input:
        tuned_model=rules.tune_cnn.output.model,
        q7_model=rules.train_cnn.output.model,
        data=rules.mnist.output.data,
    output:
        paired_test="results/compare/paired_test.json",
    log:
        "logs/compare/compare_cnns.log",
    benchmark:
        "benchmarks/compare/compare_cnns.tsv"
    conda:
        env("tensorflow")
    threads: config["compute"]["threads"]
    resources:
        gpu=1,
    params:
        code=code_of("compare_cnns.py"),
        seed=SEED,
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/compare_cnns.py"
