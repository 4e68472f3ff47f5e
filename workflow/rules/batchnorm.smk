# Q6: batch normalisation, each claim backed by a check or a measurement.


rule batchnorm_checks:
    input:
        data=rules.mnist.output.data,
    output:
        checks="results/batchnorm/checks.json",
        small_batches=report(
            "results/batchnorm/small_batches.png",
            caption="../../report/captions/bn_small.rst",
            category="Q6 batch norm",
        ),
        convergence=report(
            "results/batchnorm/convergence.png",
            caption="../../report/captions/bn_convergence.rst",
            category="Q6 batch norm",
        ),
    log:
        "logs/batchnorm/batchnorm_checks.log",
    benchmark:
        "benchmarks/batchnorm/batchnorm_checks.tsv"
    conda:
        env("tensorflow")
    threads: config["compute"]["threads"]
    resources:
        gpu=1,
    params:
        code=code_of("batchnorm_checks.py"),
        settings=config["batchnorm"],
        seed=SEED,
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/batchnorm_checks.py"
