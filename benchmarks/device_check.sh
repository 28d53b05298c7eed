#!/usr/bin/env bash
# GPU checks, run on a lent GPU machine from the repository root (see README "GPU").
# Needs wheels of snakemake and zarr in .whl/ (the machine has torch, xarray, matplotlib).
# Writes into ${OUT:-benchmarks/results/gpu}: devices.json (throughput CPU vs GPU, agreement),
# two_mode.json (the two_mode RF experiment, wall time and per job), paper.json (paper config) and
# paper_summary.json (its result stores in brief, see compare_runs.py).
# Usage: bash benchmarks/device_check.sh [seconds] [paper]
#   the paper run gets what is left of `seconds` (less 45 s to stop it cleanly); with `paper` only the paper configuration runs,
#   resuming the one in /tmp/paper (still there while the machine stays warm between calls).
set -u
OUT=${OUT:-benchmarks/results/gpu}
mkdir -p "$OUT"
BUDGET=${1:-500}
ONLY=${2:-all}
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || exit 1
    export PYTHONPATH=/tmp/site:$PWD
    export PATH=/tmp/site/bin:$PATH
fi
export PYTHONUNBUFFERED=1
nvidia-smi -L
python3 -c "import torch, snakemake, zarr; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), \
torch.cuda.get_device_name(0) if torch.cuda.is_available() else '', 'snakemake', snakemake.__version__, 'zarr', zarr.__version__)"
nproc

if [ "$ONLY" != paper ]; then
echo "== sampling throughput and CPU/GPU agreement"
python3 benchmarks/bench_devices.py --threads "$(nproc)" --out "$OUT/devices.json"

echo "== two_mode experiment on the GPU"
python3 benchmarks/bench_pipeline.py --config config/config.yaml --cores "$(nproc)" --out "$OUT/two_mode.json" \
    --keep /tmp/two_mode \
    results/figures/rf_samples_two_mode.png results/figures/rf_errors_two_mode.png \
    results/figures/rf_residuals_two_mode.png
fi

# leave 30 s for the running jobs to finish (then they are killed) and 15 s for the summary below
PAPER_SECONDS=$((BUDGET - SECONDS - 45))
echo "== paper configuration on the GPU (at most ${PAPER_SECONDS} s; a second call resumes it)"
# config/gpu.yaml keeps the SCMS stages (ridge_set, run_metrics) on the CPU cores (README "GPU")
python3 benchmarks/bench_pipeline.py --config config/config.yaml --overlay config/gpu.yaml --cores "$(nproc)" \
    --timeout "$PAPER_SECONDS" --drain 30 --keep /tmp/paper --out "$OUT/paper.json"
ls /tmp/paper/results/figures
# the stores' summary, for `python benchmarks/compare_runs.py compare $OUT/paper_summary.json <CPU results>`
python3 benchmarks/compare_runs.py summarize /tmp/paper/results --out "$OUT/paper_summary.json"
tar -czf "$OUT/logs.tar.gz" -C /tmp paper/logs two_mode/logs 2>/dev/null
