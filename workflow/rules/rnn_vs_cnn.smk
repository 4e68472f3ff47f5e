# Q4: a Conv1D stack against an LSTM, in parameters and in time per step as sequences grow.


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
        code=code_of("rnn_vs_cnn.py"),
        settings=config["rnn_vs_cnn"],
        seed=SEED,
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/rnn_vs_cnn.py"
