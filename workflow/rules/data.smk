# Data: MNIST (for the tuner, the fixed CNN and Grad-CAM) and the hourly consumption
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
        code=code_of("mnist.py"),
        settings=config["data"]["mnist"],
        cache_dir="resources",
        seed=SEED,
    script:
        "../../scripts/mnist.py"


# A user's CSV (source: path) is an input, so editing it reruns the Q3 rules.
CONSUMPTION = config["data"]["consumption"]


rule consumption:
    input:
        csv=[CONSUMPTION["path"]] if CONSUMPTION["source"] == "path" else [],
    output:
        table="results/data/consumption.csv",
        provenance="results/data/consumption.provenance.json",
    log:
        "logs/data/consumption.log",
    benchmark:
        "benchmarks/data/consumption.tsv"
    conda:
        env("data")
    params:
        code=code_of("consumption.py"),
        settings=CONSUMPTION,
        features=config["lstm"]["features"],
        look_back=config["lstm"]["look_back"],
        sweep_look_backs=config["lookback_sweep"]["look_backs"],
        seasonal_period=config["lstm"]["seasonal_period"],
        split=config["lstm"]["split"],
        cache_dir="resources",
    script:
        "../../scripts/consumption.py"
