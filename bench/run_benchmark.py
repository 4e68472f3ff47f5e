"""Run the workflow from clean on a config and print each rule's wall time and peak memory.

    .venv/bin/python bench/run_benchmark.py                  # default config, in bench/out/default
    .venv/bin/python bench/run_benchmark.py --configfile tests/configs/tiny.yaml --workdir /tmp/b
    .venv/bin/python bench/run_benchmark.py --workdir /tmp/b --table   # a finished run's table

The numbers come from Snakemake's own benchmark files (benchmarks/**.tsv); the
total is the wall time of the whole `snakemake` command.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configfile", nargs="+", default=[str(REPO / "config.yaml")])
    parser.add_argument("--workdir", default=str(REPO / "bench" / "out" / "default"))
    parser.add_argument("--cores", default="all")
    parser.add_argument("--keep", action="store_true", help="do not start from clean")
    parser.add_argument(
        "--table", action="store_true", help="print the table of a run in --workdir, run nothing"
    )
    args = parser.parse_args()
    workdir = Path(args.workdir)
    if args.table:
        print_table(workdir, None)
        return 0
    if workdir.exists() and not args.keep:
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    snakemake = Path(sys.executable).parent / "snakemake"
    cmd = [
        str(snakemake),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        *args.configfile,
        "--cores",
        args.cores,
        "--resources",
        "gpu=1",
    ]
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    total = time.perf_counter() - start
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-5000:])
        return result.returncode
    print_table(workdir, total)
    return 0


def print_table(workdir: Path, total: float | None) -> None:
    """Each rule's wall seconds and peak memory from the run's benchmark files, slowest
    first, their sum, and the whole command's wall ``total`` when it was timed here."""
    rows = []
    for tsv in sorted((workdir / "benchmarks").rglob("*.tsv")):
        with open(tsv) as handle:
            last = list(csv.DictReader(handle, delimiter="\t"))[-1]
        rows.append((tsv.stem, float(last["s"]), last["max_rss"]))
    width = max(len(r[0]) for r in rows)
    print(f"{'rule':<{width}}  {'wall s':>9}  {'peak RSS MB':>11}")
    for rule, seconds, rss in sorted(rows, key=lambda r: -r[1]):
        print(f"{rule:<{width}}  {seconds:>9.1f}  {rss:>11}")
    print(f"{'sum of rules':<{width}}  {sum(r[1] for r in rows):>9.1f}")
    if total is not None:
        print(f"{'total (snakemake)':<{width}}  {total:>9.1f}")


if __name__ == "__main__":
    sys.exit(main())
