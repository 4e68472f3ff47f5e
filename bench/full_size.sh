#!/usr/bin/env bash
# The full-size measurements, in the background, when the machine is free (they take hours
# on 2 cores): the search on subsets against the search on every image (bench/search_subset.py),
# then the workflow's default run from clean on full-size data (bench/run_benchmark.py's
# figures, through a config of its own). Results go to bench/out/full_size/ and a dated
# section appended to bench/RESULTS.md.
#
#   bash bench/full_size.sh            # starts it, prints where its log is, returns
#   tail -f bench/out/full_size/full_size.log
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/full_size
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
SUBSETS=${SUBSETS:-"0 12000 6000"}
mkdir -p "$OUT"
if [[ "${1:-}" != "--foreground" ]]; then
    nohup bash "$0" --foreground > "$OUT/full_size.log" 2>&1 &
    echo "started (pid $!): log in $OUT/full_size.log; results appended to bench/RESULTS.md"
    exit 0
fi
start=$(date -u +%FT%TZ)
# shellcheck disable=SC2086
.venv/bin/python bench/search_subset.py --data "$DATA" --subsets $SUBSETS \
    --out "$OUT/search_subset" | tee "$OUT/search_subset.txt"
cat > "$OUT/full_size.yaml" <<YAML
data:
  mnist:
    source: path
    path: $DATA
YAML
run_start=$(date +%s)
.venv/bin/snakemake -s "$PWD/Snakefile" -d "$OUT/workflow" --cores all \
    --configfile "$PWD/config.yaml" "$OUT/full_size.yaml" > "$OUT/workflow.log" 2>&1
run_seconds=$(( $(date +%s) - run_start ))
{
    echo
    echo "## Full size: the search on a subset, and the default run ($start, $(nproc) cores)"
    echo
    echo "Data: $DATA (60,000 training and 10,000 test images). \`bench/full_size.sh\`."
    echo
    sed -n '/^| tuning.search_images/,/^$/p' "$OUT/search_subset.txt"
    echo
    echo "The workflow's default run from clean on the same data: ${run_seconds} s wall."
} >> bench/RESULTS.md
echo "done: bench/RESULTS.md"
