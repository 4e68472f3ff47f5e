# Q3: next-hour forecast of the consumption series with the homework's stacked LSTM,
# against naive baselines; the main model trains at the look-back the sweep chose on
# validation error.


rule lookback_sweep:
    input:
        table=rules.consumption.output.table,
    output:
        table="results/lstm/lookback.csv",
        summary="results/lstm/lookback.json",
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
        settings=config["lstm"],
        sweep=config["lookback_sweep"],
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
    output:
        model="results/lstm/model.keras",
        metrics="results/lstm/metrics.json",
        history="results/lstm/history.csv",
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
        curves=report(
            "results/lstm/learning_curves.png",
            caption="../../report/captions/lstm_curves.rst",
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
        settings=config["lstm"],
        target=config["data"]["consumption"]["target_column"],
        unit=config["data"]["consumption"]["unit"],
        seed=SEED,
        mixed_precision=config["compute"]["mixed_precision"],
        lock_dir=config["compute"]["gpu_lock_dir"],
    script:
        "../../scripts/train_lstm.py"
