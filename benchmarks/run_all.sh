#!/usr/bin/env bash
# Every benchmark in one command, then the summary table (README "Benchmarks").
# Usage: bash benchmarks/run_all.sh [--with-pipeline]   (the paper pipeline adds ~30 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 benchmarks/bench_scms.py
python3 benchmarks/bench_rf.py
python3 benchmarks/bench_qmc.py
python3 benchmarks/bench_metrics.py
python3 benchmarks/bench_frames.py
python3 benchmarks/bench_memory.py
python3 benchmarks/bench_devices.py
if [ "${1:-}" = "--with-pipeline" ]; then
    run=$(mktemp -d)
    python3 benchmarks/bench_pipeline.py --config config/config.yaml --out benchmarks/results/pipeline_paper.json \
        --keep "$run"
    python3 benchmarks/eigh_orders.py --run "$run"
    rm -rf "$run"
fi
python3 benchmarks/summarize.py
