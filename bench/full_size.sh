#!/usr/bin/env bash
# The full-size measurements (hours on 2 cores), in the background, in stages:
#
#   bash bench/full_size.sh                       # every stage, in order
#   bash bench/full_size.sh search extrapolate    # only these
#   tail -f bench/out/full_size/full_size.log
#
#   workflow     the workflow's default run from clean on full-size data, with the search on a
#                stratified subset of $SUBSET images (tuning.search_images): every rule's wall
#                time and peak memory (bench/run_benchmark.py), the estimate it prints at the
#                start, the PDF.
#   throughput   train_cnn's training path against a plain model.fit on the same images, in
#                the same sitting (bench/cnn_throughput.py).
#   search       the homework's search (tuning.search_images: 0) through the workflow's own
#                rule, stopped with Ctrl-C (SIGINT to its process group, as a terminal sends)
#                after $INTERRUPT_AFTER seconds and run again, which resumes it; the second
#                run is stopped after $SEARCH_SECONDS. Rerunning the stage continues it.
#   search-once  one sitting of the same search (or its continuation), stopped with Ctrl-C
#                after $INTERRUPT_AFTER seconds.
#   extrapolate  the whole full-size search, from the trials run and the subset run's trials
#                (bench/extrapolate_search.py: its method and error).
#
# Data: $DATA (default: Debian's dataset-fashion-mnist, the same shapes and counts as MNIST).
# Everything lands in bench/out/full_size/; the figures go to bench/RESULTS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/full_size
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
SUBSET=${SUBSET:-6000}
INTERRUPT_AFTER=${INTERRUPT_AFTER:-1800}
SEARCH_SECONDS=${SEARCH_SECONDS:-3600}
mkdir -p "$OUT"
if [[ "${1:-}" != "--foreground" ]]; then
    nohup bash "$0" --foreground "$@" > "$OUT/full_size.log" 2>&1 &
    echo "started (pid $!): log in $OUT/full_size.log"
    exit 0
fi
shift
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(workflow throughput search extrapolate)

data_yaml() {  # $1: the file, $2: tuning.search_images
    cat > "$1" <<YAML
data:
  mnist:
    source: path
    path: $DATA
tuning:
  search_images: $2
YAML
}

# The homework's search, through the workflow, in a process group of its own; stopped after
# $1 seconds as Ctrl-C at a terminal stops it (the whole group). Returns when it has ended.
search_for() {
    local log=$OUT/workflow_full.$(date -u +%Y%m%dT%H%M%S).log
    # A command started with & from a script ignores SIGINT, and Python then never raises
    # KeyboardInterrupt: the default disposition is put back before snakemake starts.
    setsid .venv/bin/python -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' .venv/bin/snakemake results/tuning/best.json -s "$PWD/Snakefile" \
        -d "$OUT/workflow_full" --cores all --resources gpu=1 \
        --configfile "$PWD/config.yaml" "$PWD/$OUT/full_0.yaml" > "$log" 2>&1 &
    local pid=$!
    local waited=0
    while kill -0 "$pid" 2> /dev/null && ((waited < $1)); do
        sleep 10
        waited=$((waited + 10))
    done
    if kill -0 "$pid" 2> /dev/null; then
        echo "$(date -u +%FT%TZ) stopping the search (Ctrl-C to its process group) after $1 s"
        kill -INT -- "-$pid"
    fi
    wait "$pid" || true
    echo "$(date -u +%FT%TZ) search run ended; its terminal: $log"
}

for stage in "${stages[@]}"; do
    echo "$(date -u +%FT%TZ) stage $stage"
    case $stage in
        workflow)
            data_yaml "$OUT/full_$SUBSET.yaml" "$SUBSET"
            .venv/bin/python bench/run_benchmark.py --workdir "$OUT/workflow_$SUBSET" \
                --configfile "$PWD/config.yaml" "$PWD/$OUT/full_$SUBSET.yaml"
            ;;
        throughput)
            .venv/bin/python bench/cnn_throughput.py --path "$DATA" --epochs 2
            ;;
        search)
            data_yaml "$OUT/full_0.yaml" 0
            search_for "$INTERRUPT_AFTER"
            search_for "$SEARCH_SECONDS"
            ;;
        search-once)  # one sitting's worth: run (or continue) the search, Ctrl-C after $INTERRUPT_AFTER s
            data_yaml "$OUT/full_0.yaml" 0
            search_for "$INTERRUPT_AFTER"
            ;;
        extrapolate)
            .venv/bin/python bench/extrapolate_search.py \
                --partial "$OUT/workflow_full/results/tuning/search" \
                --reference "$OUT/workflow_$SUBSET/results/tuning" --out "$OUT/extrapolation.json"
            ;;
        *)
            echo "unknown stage: $stage (workflow, throughput, search, search-once, extrapolate)"
            exit 2
            ;;
    esac
done
echo "$(date -u +%FT%TZ) done"
