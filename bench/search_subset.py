"""The search on a subset (tuning.search_images) against the homework's search on every
training image, at full size, with the same seed: test accuracy on the same test images
(McNemar's exact test on the retrained models' predictions), wall time, and the subset size
whose full-size default run fits an hour on a 4-core laptop.

    .venv/bin/python bench/search_subset.py --data /usr/share/datasets/fashion-mnist \
        --subsets 0 12000 6000 --out bench/out/search_subset

--data is the workflow's mnist.npz or a folder of the four IDX files (full size: Debian's
dataset-fashion-mnist when MNIST cannot be downloaded). For each value of --subsets (0: every
training image, the homework's search) the default Hyperband search runs with config.yaml's
tuning settings and seed, the best configuration is retrained on every training image and
tested once. Each search keeps its state in <out>/search_<N>/ and a rerun resumes it.
Writes <out>/search_subset.json and prints a Markdown table for bench/RESULTS.md.

The laptop estimate: the seconds per training image measured here (search and retraining
together), times the run's planned training images (hw4.methods.time_left.run_plan) at each
subset size, times --laptop-speedup (how much faster the laptop trains than this machine;
default 2, a 4-core laptop against this 2-core machine, TensorFlow using every core). It is
an estimate, said as one, of the CNN training only (the LSTM sweep and the checks add to it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

HOUR = 3600.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--config", default=str(REPO / "config.yaml"))
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "search_subset"))
    parser.add_argument("--subsets", nargs="+", type=int, default=[0, 12000, 6000])
    parser.add_argument("--seed", type=int, help="instead of config.yaml's seed")
    parser.add_argument("--threads", type=int, help="instead of config.yaml's compute.threads")
    parser.add_argument("--laptop-speedup", type=float, default=2.0)
    args = parser.parse_args()

    from hw4.device import configure_framework
    from hw4.io.logs import setup_logging

    setup_logging(None)
    config = yaml.safe_load(Path(args.config).read_text())
    if args.seed is not None:
        config["seed"] = args.seed
    device = configure_framework(config["seed"], args.threads or config["compute"]["threads"])
    from hw4.data.mnist import load_path
    from hw4.methods.mnist_cnn import scale_images
    from hw4.methods.paired_test import paired_comparison
    from hw4.methods.time_left import format_duration, run_plan
    from hw4.steps.tune_cnn import search_and_retrain

    data, checksums, _ = load_path(args.data)
    x_test, y_test = scale_images(data["x_test"]), data["y_test"]
    train_images = len(data["y_train"])
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs, predictions = {}, {}
    for images in args.subsets:
        settings = {**config["tuning"], "search_images": images}
        started = time.perf_counter()
        result = search_and_retrain(data, settings, config["seed"], out_dir / f"search_{images}")
        wall = time.perf_counter() - started
        predicted = np.argmax(result["model"].predict(x_test, verbose=0), axis=1)
        predictions[images] = predicted
        np.save(out_dir / f"predicted_{images}.npy", predicted)
        final_seconds = sum(row["seconds"] for row in result["history"])
        trained = result["trials"]
        search_images_trained = sum(row["epochs_run"] for row in trained) * result["fit_images"]
        final_images = result["final_epochs"] * train_images
        runs[images] = {
            "search_images": result["search_images"],
            "test_accuracy": result["test_accuracy"],
            "search_seconds": result["seconds"],
            "final_seconds": final_seconds,
            "wall_seconds": wall,
            "final_epochs": result["final_epochs"],
            "best_trial": result["best_trial"].trial_id,
            # The pace of this search and retraining: wall seconds per image trained.
            "seconds_per_image": (result["seconds"] + final_seconds)
            / (search_images_trained + final_images),
        }
        print(images, json.dumps(runs[images]), flush=True)

    baseline = args.subsets[0]
    pace = float(np.mean([run["seconds_per_image"] for run in runs.values()]))
    rows = []
    for images, run in runs.items():
        paired = (
            paired_comparison(y_test, predictions[baseline], predictions[images])
            if images != baseline
            else None
        )
        plan = run_plan(
            {**config, "tuning": {**config["tuning"], "search_images": images}}, train_images
        )
        planned_images = sum(row["images"] or 0 for row in plan)
        laptop = planned_images * pace / args.laptop_speedup
        rows.append({**run, "images": images, "paired": paired, "laptop_seconds": laptop})
    fitting = [r["images"] for r in rows if r["laptop_seconds"] <= HOUR]
    summary = {
        "rows": rows,
        "seed": config["seed"],
        "device": device["device"],
        "backend": device["backend"],
        "threads": device["threads"],
        "seconds_per_image": pace,
        "laptop_speedup": args.laptop_speedup,
        "largest_setting_within_an_hour": max(fitting, key=lambda n: n or train_images)
        if fitting
        else None,
        "data": {"path": args.data, "sha256": checksums, "train_images": train_images},
    }
    (out_dir / "search_subset.json").write_text(json.dumps(summary, indent=2) + "\n")
    print()
    print(
        "| tuning.search_images | test accuracy | against every image (McNemar: b only the"
        " full search's model right, c only this one's, p) |"
        " search | retraining | laptop estimate (CNN training) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        paired = row["paired"]
        versus = (
            f"{paired['b']}, {paired['c']}, p = {paired['p_value']:.3g}" if paired else "(itself)"
        )
        print(
            f"| {row['images'] or 'all'} | {row['test_accuracy']:.4f} | {versus} |"
            f" {format_duration(row['search_seconds'])} | {format_duration(row['final_seconds'])}"
            f" | {format_duration(row['laptop_seconds'])} |"
        )
    print(
        f"\nseconds per training image here: {pace:.2e}; the largest setting whose CNN training"
        f" fits an hour on a laptop {args.laptop_speedup:g} times as fast:"
        f" {summary['largest_setting_within_an_hour']} (0: every image; None: none of these)"
    )
    print(f"written to {out_dir / 'search_subset.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
