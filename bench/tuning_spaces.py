"""The corrected search space against the original one, on the same data, budget and seed.

    .venv/bin/python bench/tuning_spaces.py --data results/data/mnist.npz
    .venv/bin/python bench/tuning_spaces.py --spaces corrected \
        --data /usr/share/datasets/fashion-mnist --out bench/out/full_size
    .venv/bin/python bench/tuning_spaces.py --seed 1 --out bench/out/seed1

--data is the workflow's mnist.npz or a folder of the four IDX files (full size).
Runs the same Hyperband search twice (search_space: corrected, then original:
one shared name per hyperparameter and an unbounded depth, whose impossible
models fail and are counted), trains each best configuration once more (for the
epochs it had at its best, through every Hyperband round), tests it and the
search's own model once, and prints a line per space. Search state goes to
<out>/tuning_<space>/ and the results to <out>/tuning_spaces_<spaces>.json; a
rerun resumes a search with the same fingerprint (space, budget, seed, data,
versions) and starts afresh otherwise.
--seed replaces config.yaml's seed (the validation split, the oracle, every
trial and the final training follow it); give each seed its own --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(REPO / "results" / "data" / "mnist.npz"))
    parser.add_argument("--config", default=str(REPO / "config.yaml"))
    parser.add_argument("--out", default=str(REPO / "bench" / "out"))
    parser.add_argument(
        "--spaces", nargs="+", default=["corrected", "original"], choices=["corrected", "original"]
    )
    parser.add_argument("--seed", type=int, help="instead of config.yaml's seed")
    parser.add_argument(
        "--threads", type=int, help="CPU threads (instead of config.yaml's compute.threads)"
    )
    args = parser.parse_args()

    from hw4.device import configure_framework
    from hw4.io.logs import setup_logging

    setup_logging(None)
    config = yaml.safe_load(Path(args.config).read_text())
    if args.seed is not None:
        config["seed"] = args.seed
    threads = args.threads or config["compute"]["threads"]
    device = configure_framework(config["seed"], threads)
    from hw4.data.mnist import load_path
    from hw4.io.files import write_csv
    from hw4.steps.tune_cnn import TRIAL_COLUMNS, search_and_retrain, trial_counts

    data, checksums, _ = load_path(args.data)
    out_dir = Path(args.out)
    results = {}
    for space in args.spaces:
        settings = {**config["tuning"], "search_space": space}
        result = search_and_retrain(data, settings, config["seed"], out_dir / f"tuning_{space}")
        rows = result["trials"]
        results[space] = {
            "test_accuracy": result["test_accuracy"],
            "test_loss": result["test_loss"],
            "search_model_test_accuracy": result["search_model_test_accuracy"],
            "val_accuracy": result["best_trial"].score,
            "search_seconds": result["seconds"],
            **trial_counts(rows),
            "final_epochs": result["final_epochs"],
        }
        hp_names = sorted({k for row in rows for k in row} - set(TRIAL_COLUMNS))
        write_csv(out_dir / f"trials_{space}.csv", rows, [*TRIAL_COLUMNS, *hp_names])
        print(space, json.dumps(results[space]), flush=True)
    results["seed"] = config["seed"]
    results["device"] = device["device"]
    results["backend"] = device["backend"]
    results["threads"] = device["threads"]
    results["data"] = {"path": args.data, "sha256": checksums, "train_images": len(data["y_train"])}
    out = out_dir / f"tuning_spaces_{'_'.join(args.spaces)}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
