#!/usr/bin/env bash
# GPU diagnosis: build every trajectory-sampling store of the paper configuration on the GPU and
# report, per run, how far the samples end from the training data (benchmarks/sample_extremes.py).
# Copies back the trained networks and the small stores of runs whose samples escape.
# Usage (on a lent GPU machine, wheels in .whl/): bash benchmarks/device_samples.sh
set -u
OUT=${OUT:-benchmarks/results/gpu}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl >/dev/null 2>&1 || exit 1
export PYTHONPATH=/tmp/site:$PWD PATH=/tmp/site/bin:$PATH PYTHONUNBUFFERED=1
# the score runs of config/config.yaml (score_runs in rules/common.smk)
TARGETS="results/sample/modes_d16/exact/seed0.zarr \
    results/sample/modes_d16/neural/seed0.zarr \
    results/sample/modes_d16/rf/seed0.zarr \
    results/sample/thirteen/exact/seed0.zarr \
    results/sample/thirteen/neural/seed0.zarr \
    results/sample/thirteen/rf/seed0.zarr \
    results/sample/triangle/exact/seed0.zarr \
    results/sample/triangle/neural/seed0.zarr \
    results/sample/triangle/rf/seed0.zarr \
    results/sample/triangle_d64/exact/seed0.zarr \
    results/sample/triangle_d64/neural/seed0.zarr \
    results/sample/two_mode/exact/seed0.zarr \
    results/sample/two_mode/neural/seed0.zarr \
    results/sample/two_mode/rf/seed0.zarr \
    results/sample/two_mode_d16/exact/seed0.zarr \
    results/sample/two_mode_d16/neural/seed0.zarr \
    results/sample/two_mode_d16/rf/seed0.zarr"
python3 benchmarks/bench_pipeline.py --config config/config.yaml --overlay config/gpu.yaml --cores "$(nproc)" \
    --keep /tmp/samples --out "$OUT/samples_run.json" $TARGETS 2>&1 | grep -v "^Select jobs\|^Execute" | tail -30
python3 benchmarks/sample_extremes.py /tmp/samples/results --out "$OUT/extremes.json"
tar -czf "$OUT/train_neural.tar.gz" -C /tmp/samples/results train_neural
python3 - "$OUT" <<'PY'
import json, sys, subprocess
out = sys.argv[1]
rows = json.load(open(f"{out}/extremes.json"))
# the D = 64 stores (51 MB each) are too large to come back; their extremes are in extremes.json
bad = [name for name, row in rows.items() if row["final_beyond_10_diameters"] > 0 and "/triangle_d64/" not in name]
print("escaping runs:", bad)
if bad:
    subprocess.run(["tar", "-czf", f"{out}/escaping.tar.gz", "-C", "/tmp/samples/results", *[f"{b}.zarr" for b in bad]])
PY
ls -la "$OUT"
