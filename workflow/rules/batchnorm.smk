# Q6 and Q4: claims backed by checks and measurements. They time things, so they
# take every core the workflow has (nothing else runs beside them).


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
        settings=config["batchnorm"],
        seed=SEED,
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/batchnorm_checks.py"


rule rnn_vs_cnn:
    output:
        measurements="results/rnn_vs_cnn/measurements.json",
        plot=report(
            "results/rnn_vs_cnn/timing.png",
            caption="../../report/captions/rnn_vs_cnn.rst",
            category="Q4 CNN vs RNN",
        ),
    log:
        "logs/rnn_vs_cnn/rnn_vs_cnn.log",
    benchmark:
        "benchmarks/rnn_vs_cnn/rnn_vs_cnn.tsv"
    conda:
        env("tensorflow")
    threads: config["compute"]["threads"]
    resources:
        gpu=1,
    params:
        settings=config["rnn_vs_cnn"],
        seed=SEED,
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/rnn_vs_cnn.py"
