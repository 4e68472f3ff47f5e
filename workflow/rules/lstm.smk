# Q3: next-hour forecast of the consumption series with the homework's stacked LSTM,
# against naive baselines. The sweep trains the LSTM at every look-back with the main
# model's settings and epochs, and keeps the one chosen on validation error: that model is
# the Q3 model, which train_lstm loads and evaluates instead of training it again.


rule lookback_sweep:
    input:
        table=rules.consumption.output.table,
    output:
        table="results/lstm/lookback.csv",
        summary="results/lstm/lookback.json",
        model="results/lstm/model.keras",
        history="results/lstm/history.csv",
        curves=report(
            "results/lstm/learning_curves.png",
            caption="../../report/captions/lstm_curves.rst",
            category="Q3 LSTM",
        ),
        plot=report(
            "results/lstm/lookback.png",
            caption="../../report/captions/lstm_lookback.rst",
            category="Q3 LSTM",
        ),
    log:
        "logs/lstm/lookback_sweep.log",
    benchmark:
        "benchmarks/lstm/lookback_sweep.tsv"
    conda:
        env("tensorflow")
    threads: config["compute"]["threads"]
    resources:
        gpu=1,
    params:
        code=code_of("lookback_sweep.py"),
        settings=config["lstm"],
        look_backs=config["lookback_sweep"]["look_backs"],
        target=config["data"]["consumption"]["target_column"],
        unit=config["data"]["consumption"]["unit"],
        seed=SEED,
        mixed_precision=config["compute"]["mixed_precision"],
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/lookback_sweep.py"


rule train_lstm:
    input:
        table=rules.consumption.output.table,
        sweep=rules.lookback_sweep.output.summary,
        model=rules.lookback_sweep.output.model,
    output:
        metrics="results/lstm/metrics.json",
        week=report(
            "results/lstm/forecast_week.png",
            caption="../../report/captions/lstm_week.rst",
            category="Q3 LSTM",
        ),
        by_hour=report(
            "results/lstm/error_by_hour.png",
            caption="../../report/captions/lstm_by_hour.rst",
            category="Q3 LSTM",
        ),
    log:
        "logs/lstm/train_lstm.log",
    benchmark:
        "benchmarks/lstm/train_lstm.tsv"
    conda:
        env("tensorflow")
    threads: config["compute"]["threads"]
    resources:
        gpu=1,
    params:
        code=code_of("train_lstm.py"),
        settings=config["lstm"],
        target=config["data"]["consumption"]["target_column"],
        unit=config["data"]["consumption"]["unit"],
        seed=SEED,
        mixed_precision=config["compute"]["mixed_precision"],
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/train_lstm.py"
