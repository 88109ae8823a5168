#!/bin/bash
# Data-parallel scaling on this machine: the small Fashion-MNIST U-Net preset
# trained as 1 rank × 2 threads and as 2 ranks × 1 thread, same global batch.
# Prints images/s of each, their ratio, and the share of step time spent in
# gradient synchronisation (all-reduces, waiting for peers included).
# Usage: tests/benchmarks/scaling_benchmark.sh [DATASET.h5] [STEPS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scorch="$root/build/launch/scorch"
data="${1:-$root/demo-out/data/train.h5}"
steps="${2:-30}"
[ -f "$data" ] || { echo "no dataset $data: run scripts/demo first or pass one" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
common=(train --config "$root/configs/unet_small_28x28x1.yaml" --set "data.train=$data" --set "train.steps=$steps"
        --set train.batch_size=32 --set "train.log_every=$steps" --set "checkpoint.every=$steps" --set optim.warmup=0)

OMP_NUM_THREADS=2 "$scorch" "${common[@]}" --workdir "$work/one" 2>/dev/null
mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 "$scorch" "${common[@]}" --workdir "$work/two" 2>/dev/null

field() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])[sys.argv[2]])" "$1" "$2"; }
one=$(field "$work/one/metrics.jsonl" images_per_s)
two=$(field "$work/two/metrics.jsonl" images_per_s)
share_one=$(field "$work/one/metrics.jsonl" sync_share)
share_two=$(field "$work/two/metrics.jsonl" sync_share)
printf "unet_small_28x28x1, global batch 32, %s steps\n" "$steps"
printf "1 rank x 2 threads: %8.1f images/s  sync share %.3f\n" "$one" "$share_one"
printf "2 ranks x 1 thread: %8.1f images/s  sync share %.3f\n" "$two" "$share_two"
python3 -c "import sys; print(f'2 ranks / 1 rank: {float(sys.argv[2]) / float(sys.argv[1]):.2f}x')" "$one" "$two"
