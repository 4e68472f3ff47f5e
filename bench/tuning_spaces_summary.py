"""Several seeds' runs of bench/tuning_spaces.py side by side.

    .venv/bin/python bench/tuning_spaces_summary.py bench/out/seed*/tuning_spaces_*.json

Prints a Markdown table, one row per seed (each space's test and best validation
accuracy, corrected minus original, the original's failed trials, the epochs each
search ran, the epochs each best configuration was retrained for, and the test
accuracy of each search's own best model), then the mean of each column and the paired difference's mean
with its standard error. One search is noisy, and the seeds are paired (the same
validation split and oracle seed for both spaces), so the difference seed by seed
is the fair comparison.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

SPACES = ("corrected", "original")


def load(paths: list[str]) -> list[dict]:
    runs = []
    for path in paths:
        result = json.loads(Path(path).read_text())
        missing = [space for space in SPACES if space not in result]
        if missing:
            raise SystemExit(f"{path}: no result for {', '.join(missing)} (run both spaces)")
        if "seed" not in result:
            raise SystemExit(f"{path}: no 'seed' key (written by an older tuning_spaces.py)")
        if any("search_model_test_accuracy" not in result[space] for space in SPACES):
            raise SystemExit(
                f"{path}: no 'search_model_test_accuracy' (written by a tuning_spaces.py "
                "from before the retraining counted every Hyperband round)"
            )
        runs.append(result)
    seeds = [r["seed"] for r in runs]
    if len(set(seeds)) != len(seeds):
        raise SystemExit(f"the same seed appears twice: {sorted(seeds)}")
    return sorted(runs, key=lambda r: r["seed"])


def summarise(runs: list[dict]) -> dict:
    differences = [r["corrected"]["test_accuracy"] - r["original"]["test_accuracy"] for r in runs]
    n = len(differences)
    return {
        "seeds": n,
        "mean": {
            space: {
                key: statistics.fmean(r[space][key] for r in runs)
                for key in (
                    "test_accuracy",
                    "val_accuracy",
                    "trials_failed",
                    "epochs_run",
                    "final_epochs",
                    "search_model_test_accuracy",
                )
            }
            for space in SPACES
        },
        "difference_mean": statistics.fmean(differences),
        "difference_se": statistics.stdev(differences) / n**0.5 if n > 1 else float("nan"),
        "corrected_higher": sum(d > 0 for d in differences),
        "original_higher": sum(d < 0 for d in differences),
    }


def table(runs: list[dict], summary: dict) -> str:
    lines = [
        "| seed | corrected test | original test | corrected - original | corrected val"
        " | original val | original failed | epochs run (corrected, original)"
        " | retrained for (corrected, original) | search's own model test (corrected, original) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        c, o = r["corrected"], r["original"]
        lines.append(
            f"| {r['seed']} | {c['test_accuracy']:.4f} | {o['test_accuracy']:.4f}"
            f" | {c['test_accuracy'] - o['test_accuracy']:+.4f} | {c['val_accuracy']:.4f}"
            f" | {o['val_accuracy']:.4f} | {o['trials_failed']}"
            f" | {c['epochs_run']}, {o['epochs_run']} | {c['final_epochs']}, {o['final_epochs']}"
            f" | {c['search_model_test_accuracy']:.4f}, {o['search_model_test_accuracy']:.4f} |"
        )
    m = summary["mean"]
    lines.append(
        f"| mean | {m['corrected']['test_accuracy']:.4f} | {m['original']['test_accuracy']:.4f}"
        f" | {summary['difference_mean']:+.4f} | {m['corrected']['val_accuracy']:.4f}"
        f" | {m['original']['val_accuracy']:.4f} | {m['original']['trials_failed']:.1f}"
        f" | {m['corrected']['epochs_run']:.0f}, {m['original']['epochs_run']:.0f}"
        f" | {m['corrected']['final_epochs']:.1f}, {m['original']['final_epochs']:.1f}"
        f" | {m['corrected']['search_model_test_accuracy']:.4f},"
        f" {m['original']['search_model_test_accuracy']:.4f} |"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", nargs="+", help="tuning_spaces_*.json, one per seed")
    args = parser.parse_args()
    runs = load(args.results)
    summary = summarise(runs)
    print(table(runs, summary))
    print(
        f"\ncorrected - original over {summary['seeds']} seeds: "
        f"{summary['difference_mean']:+.4f} (standard error {summary['difference_se']:.4f}); "
        f"corrected higher in {summary['corrected_higher']}, "
        f"original higher in {summary['original_higher']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
