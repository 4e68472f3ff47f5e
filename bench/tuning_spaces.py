"""The corrected search space against the original one, on the same data, budget and seed.

    .venv/bin/python bench/tuning_spaces.py --data results/data/mnist.npz

Runs the same Hyperband search twice (search_space: corrected, then original:
one shared name per hyperparameter and an unbounded depth, whose impossible
models fail), trains each best configuration once more and tests it once, and
prints a line per space. Search state goes to bench/out/tuning_<space>/.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(REPO / "results" / "data" / "mnist.npz"))
    parser.add_argument("--config", default=str(REPO / "config.yaml"))
    parser.add_argument(
        "--spaces", nargs="+", default=["corrected", "original"], choices=["corrected", "original"]
    )
    args = parser.parse_args()

    from hw4.artifacts import setup_logging
    from hw4.device import configure_framework

    setup_logging(None)
    config = yaml.safe_load(Path(args.config).read_text())
    device = configure_framework(config["seed"])
    from hw4.tuning_run import final_training, run_search

    with np.load(args.data) as loaded:
        data = {k: loaded[k] for k in loaded.files}
    results = {}
    for space in args.spaces:
        settings = copy.deepcopy(config["tuning"])
        settings.update(search_space=space, max_consecutive_failed_trials=1000)
        directory = REPO / "bench" / "out" / f"tuning_{space}"
        tuner, rows, seconds, _, _ = run_search(
            data, settings, directory, config["seed"], corrected=space == "corrected"
        )
        _, best, epochs, _, loss, accuracy = final_training(tuner, data, settings, config["seed"])
        results[space] = {
            "test_accuracy": accuracy,
            "test_loss": loss,
            "val_accuracy": best.score,
            "search_seconds": seconds,
            "trials_completed": sum(r["status"] == "COMPLETED" for r in rows),
            "trials_failed": sum(r["status"] == "FAILED" for r in rows),
            "final_epochs": epochs,
        }
        print(space, json.dumps(results[space]), flush=True)
    results["device"] = device["device"]
    out = REPO / "bench" / "out" / f"tuning_spaces_{'_'.join(args.spaces)}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
