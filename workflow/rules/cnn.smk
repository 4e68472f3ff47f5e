# Q7: the fixed CNN on MNIST.


rule train_cnn:
    input:
        data=rules.mnist.output.data,
    output:
        model="results/cnn/model.keras",
        metrics="results/cnn/metrics.json",
        history="results/cnn/history.csv",
        order="results/cnn/shuffle_order.npz",
        digits=report(
            "results/cnn/first_digits.png",
            caption="../../report/captions/cnn_digits.rst",
            category="Q7 CNN",
        ),
        curves=report(
            "results/cnn/learning_curves.png",
            caption="../../report/captions/cnn_curves.rst",
            category="Q7 CNN",
        ),
        confusion=report(
            "results/cnn/confusion_matrix.png",
            caption="../../report/captions/cnn_confusion.rst",
            category="Q7 CNN",
        ),
    log:
        "logs/cnn/train_cnn.log",
    benchmark:
        "benchmarks/cnn/train_cnn.tsv"
    conda:
        env("tensorflow")
    threads: config["compute"]["threads"]
    resources:
        gpu=1,
    params:
        code=code_of("train_cnn.py"),
        settings=config["cnn"],
        seed=SEED,
        mixed_precision=config["compute"]["mixed_precision"],
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/train_cnn.py"
