#!/usr/bin/env bash
# Do the neural score's samples escape? Trains the triangle-in-D=64 neural score for seeds 0-4
# with each parametrization (neural.skip: stationary, the default, and none, the plain
# eps-prediction), samples 2,000 trajectories from each, and reports per run how far the final
# samples are from the training points (benchmarks/sample_extremes.py).
# Writes benchmarks/results/neural_escapes_{stationary,none}.json. About 20 min on 2 cores.
# Usage: bash benchmarks/neural_escapes.sh [cores]
set -eu
CORES=${1:-2}
TMP=$(mktemp -d)
TARGETS=$(for s in 0 1 2 3 4; do printf 'results/sample/triangle_d64/neural/seed%s.zarr ' "$s"; done)
for SKIP in stationary none; do
    printf 'seeds: [0, 1, 2, 3, 4]\nneural: {skip: %s}\n' "$SKIP" > "$TMP/$SKIP.yaml"
    python3 benchmarks/bench_pipeline.py --config config/config.yaml --overlay "$TMP/$SKIP.yaml" \
        --cores "$CORES" --keep "$TMP/$SKIP" --out "$TMP/$SKIP-run.json" $TARGETS
    python3 benchmarks/sample_extremes.py "$TMP/$SKIP/results" --out "benchmarks/results/neural_escapes_$SKIP.json"
done
rm -rf "$TMP"
