# The first part: a KerasTuner search for an MNIST CNN over the homework's search
# space (corrected, or the original with its failed trials counted). Its state lives in
# results/tuning/search/ beside a fingerprint of what defines the search: a killed search
# with the same fingerprint continues from its finished trials; any other starts afresh.
#
# With tuning.workers N > 1 the trials run on N workers (KerasTuner's distributed mode),
# the rule's own process serving the oracle: locally N child processes, each on its own
# GPU (--resources gpu=N) or sharing the CPU; under Slurm one job of N tasks with one GPU
# and compute.threads CPUs each, its workers started with srun inside the job ("mpi":
# the Slurm plugin then runs the rule in the batch script itself, not through srun).

TUNING_WORKERS = config["tuning"]["workers"]
DISTRIBUTED_RESOURCES = (
    {
        "tasks": TUNING_WORKERS,
        "tasks_per_gpu": 1,
        "cpus_per_task": config["compute"]["threads"],
        "mpi": "srun",
    }
    if TUNING_WORKERS > 1
    else {}
)


rule tune_cnn:
    input:
        data=rules.mnist.output.data,
        data_provenance=rules.mnist.output.provenance,
    output:
        trials="results/tuning/trials.csv",
        best="results/tuning/best.json",
        model="results/tuning/best_model.keras",
        history="results/tuning/final_history.csv",
        trial_plot=report(
            "results/tuning/trials.png",
            caption="../../report/captions/tuning_trials.rst",
            category="Tuning",
        ),
        space_plot=report(
            "results/tuning/explored_space.png",
            caption="../../report/captions/tuning_space.rst",
            category="Tuning",
        ),
        curves=report(
            "results/tuning/final_curves.png",
            caption="../../report/captions/tuning_curves.rst",
            category="Tuning",
        ),
    log:
        "logs/tuning/tune_cnn.log",
    benchmark:
        "benchmarks/tuning/tune_cnn.tsv"
    # The longest job starts first among those ready: its estimate at the start then
    # covers Q7's CNN too, and the run's end is not held up by a search started last.
    priority: 10
    conda:
        env("tensorflow")
    threads: config["compute"]["threads"] * TUNING_WORKERS
    resources:
        **DISTRIBUTED_RESOURCES,
        gpu=TUNING_WORKERS,
    params:
        code=code_of("tune_cnn.py"),
        settings=config["tuning"],
        search_dir="results/tuning/search",
        seed=SEED,
        mnist_sha256=config["data"]["mnist"]["sha256"],
        mixed_precision=config["compute"]["mixed_precision"],
        lock_dir=config["compute"]["gpu_lock_dir"],
        workers=TUNING_WORKERS,
    script:
        "../../scripts/tune_cnn.py"
