# Data: MNIST (for the tuner, the fixed CNN and Grad-CAM) and the hourly energy
# series (for the LSTM). Downloads are cached under resources/.

from hw4.data.mnist import user_files as mnist_user_files


rule mnist:
    input:
        user_files=mnist_user_files(config["data"]["mnist"]),
    output:
        data="results/data/mnist.npz",
        provenance="results/data/mnist.provenance.json",
    log:
        "logs/data/mnist.log",
    benchmark:
        "benchmarks/data/mnist.tsv"
    conda:
        env("data")
    params:
        settings=config["data"]["mnist"],
        cache_dir="resources",
        seed=SEED,
    script:
        "../../scripts/mnist.py"


rule energy:
    output:
        table="results/data/energy.csv",
        provenance="results/data/energy.provenance.json",
    log:
        "logs/data/energy.log",
    benchmark:
        "benchmarks/data/energy.tsv"
    conda:
        env("data")
    params:
        settings=config["data"]["gas"],
        cache_dir="resources",
        min_rows=200,
    script:
        "../../scripts/prepare_energy.py"
