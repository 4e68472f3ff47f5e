"""Trials per hour of the search on one process against N workers, on this machine.

    .venv/bin/python bench/distributed_search.py --workers 1 2 --out bench/out/workers

Runs the same search (config.yaml's tuning settings with a smaller Hyperband budget,
--max-epochs and --factor) once per worker count, each from a fresh search folder, in
turn, in one sitting: one process with --threads threads, or N workers with
--threads / N each (the rule's own split). Prints, per run: the search's wall time,
trials and epochs completed, trials and epochs per hour, and the ratio to the first
run. The search only: the best configuration is not retrained. Results go to
<out>/workers_<N>.json.

The oracle hands out configurations in the order workers ask, so the runs train the
same budget (trials and epochs per round) but not always the same configurations:
compare epochs per hour as well as trials per hour.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def one_run(args) -> dict:
    """One search, in this process (its threads are pinned once, at start)."""
    from hw4.device import configure_framework
    from hw4.io.logs import setup_logging

    setup_logging(None)
    config = yaml.safe_load(Path(args.config).read_text())
    settings = {**config["tuning"], "max_epochs": args.max_epochs, "factor": args.factor}
    device = configure_framework(config["seed"], args.threads)

    from hw4.data.mnist import load_path
    from hw4.methods import distributed_search, keras_search
    from hw4.methods.hyperband import planned_trials

    data, _, _ = load_path(args.data)
    search_dir = Path(args.out) / f"search_{args.run}"
    shutil.rmtree(search_dir, ignore_errors=True)
    seed = config["seed"]
    setup = keras_search.search_setup(data, settings, seed)
    keras_search.keep_fingerprint(search_dir, {"bench": args.run})
    if args.run == 1:
        tuner = keras_search.make_tuner(settings, setup["build"], search_dir, seed)
        seconds = keras_search.search(
            tuner, setup["fit"], setup["validation"], settings["batch_size"], None
        )
    else:
        plan = distributed_search.make_plan(
            args.run, args.data, args.threads, str(search_dir / "locks")
        )
        retries = distributed_search.RETRIES_AFTER_A_DEATH
        tuner = keras_search.make_tuner(settings, setup["build"], search_dir, seed, retries=retries)
        spec = {"settings": settings, "seed": seed, "search_dir": str(search_dir.resolve())}
        spec["retries"] = retries
        seconds = distributed_search.run(
            tuner, plan, spec, search_dir.resolve(), planned_trials(settings)
        )["seconds"]
    rows = keras_search.trials_table(tuner, search_dir)
    completed = [r for r in rows if r["status"] == "COMPLETED"]
    epochs = sum(r["epochs_run"] for r in rows)
    return {
        "workers": args.run,
        "threads_per_worker": max(1, args.threads // args.run),
        "seconds": seconds,
        "trials": len(completed),
        "epochs": epochs,
        "trials_per_hour": 3600 * len(completed) / seconds,
        "epochs_per_hour": 3600 * epochs / seconds,
        "best_val_accuracy": max(r["best_val_accuracy"] for r in completed),
        "budget": {"max_epochs": args.max_epochs, "factor": args.factor},
        "train_images": int(len(data["y_train"])),
        "device": device["device"],
        "backend": device["backend"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads in all")
    parser.add_argument("--max-epochs", type=int, default=5)
    parser.add_argument("--factor", type=int, default=2)
    parser.add_argument("--data", default=str(REPO / "results" / "data" / "mnist.npz"))
    parser.add_argument("--config", default=str(REPO / "config.yaml"))
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "workers"))
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)  # one run, in a child
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.run is not None:
        result = one_run(args)
        (out / f"workers_{args.run}.json").write_text(json.dumps(result, indent=2) + "\n")
        return 0
    results = []
    for count in args.workers:
        # Each run in its own process: a framework's threads are fixed once it has started.
        command = [sys.executable, __file__, *sys.argv[1:], "--run", str(count)]
        subprocess.run(command, check=True)
        results.append(json.loads((out / f"workers_{count}.json").read_text()))
        first = results[0]
        r = results[-1]
        print(
            f"{count} worker(s), {r['threads_per_worker']} thread(s) each: "
            f"{r['seconds']:.0f} s, {r['trials']} trials, {r['epochs']} epochs; "
            f"{r['trials_per_hour']:.0f} trials/h, {r['epochs_per_hour']:.0f} epochs/h "
            f"(x{r['epochs_per_hour'] / first['epochs_per_hour']:.2f} epochs/h of the first)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
