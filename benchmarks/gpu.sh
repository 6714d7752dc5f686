#!/usr/bin/env bash
# GPU checks and timings (issue 7), as one script with a bounded run time (~9 min):
#   1. tests/test_cuda.py: CPU- and CUDA-trained models agree within tolerance;
#   2. benchmarks/bench_gavae.py: GAVAE fit on the GPU (KDDTrain+_20Percent and KDDTrain+),
#      and the same fit with 1 CPU thread on the same machine;
#   3. benchmarks/augmenters.py, one seed on NSL-KDD: TVAE+DNN and CTGAN+DNN (ctgan defaults,
#      300 epochs, on the GPU).
# Every step has its own time limit; finished steps keep their output if a later one runs out.
#
#   GAVAE_IDS_DATA=/path/to/datasets OUT=runs/gpu bash benchmarks/gpu.sh [checks|peers|all]
# ("checks" = steps 1-2, about 4 min; "peers" = step 3, about 5 min; default all)
# A dry run of the script itself on a machine without a GPU (tiny budgets, CPU in the GPU's place):
#   DEV=cpu DRY=1 GAVAE_IDS_DATA=... bash benchmarks/gpu.sh
set -u
OUT=${OUT:-runs/gpu}
PY=${PYTHON:-python3}
RUNS=${RUNS:-$(mktemp -d)}
mkdir -p "$OUT"
export OMP_WAIT_POLICY=PASSIVE PYTHONUNBUFFERED=1
LOG="$OUT/gpu_log.txt"
DEV=${DEV:-cuda}
export GAVAE_IDS_TEST_DEVICE=$DEV
BENCH=() AUG=()
if [ -n "${DRY:-}" ]; then BENCH=(--n-iter 30) AUG=(--quick); fi

step() {  # step SECONDS NAME COMMAND...
    local limit=$1 name=$2
    shift 2
    echo "=== $name ($(date -u +%T), limit ${limit}s)" | tee -a "$LOG"
    local t0=$SECONDS
    timeout "$limit" "$@" 2>&1 | grep -v -E "Warning|warnings.warn" | tee -a "$LOG"
    echo "=== $name: exit ${PIPESTATUS[0]} after $((SECONDS - t0)) s" | tee -a "$LOG"
}

step 20 environment bash -c "nvidia-smi --query-gpu=name,memory.total,driver_version \
    --format=csv; nproc; $PY -c 'import torch, sklearn, numpy, pandas; \
print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, torch.cuda.is_available()); \
print(\"scikit-learn\", sklearn.__version__, \"numpy\", numpy.__version__, \"pandas\", \
pandas.__version__)'"
PHASE=${1:-all}
if [ "$PHASE" != peers ]; then
if [ -z "${DRY:-}" ]; then
    step 90 "CUDA tests" "$PY" -m pytest -q -s -p no:cacheprovider tests/test_cuda.py
fi
step 100 "GAVAE on the GPU, KDDTrain+_20Percent" \
    "$PY" benchmarks/bench_gavae.py --device "$DEV" --fit-only --no-ctgan "${BENCH[@]}" --train-split train20
step 120 "GAVAE on the GPU, KDDTrain+" \
    "$PY" benchmarks/bench_gavae.py --device "$DEV" --fit-only --no-ctgan "${BENCH[@]}" --train-split train
step 90 "GAVAE on 1 CPU thread of the same machine, KDDTrain+_20Percent" \
    "$PY" benchmarks/bench_gavae.py --device cpu --threads 1 --fit-only --no-ctgan "${BENCH[@]}" --train-split train20
fi
[ "$PHASE" = checks ] && { echo "done" | tee -a "$LOG"; exit 0; }
for m in TVAE+DNN CTGAN+DNN; do
    name=$(echo "$m" | tr 'A-Z+' 'a-z-')
    step 270 "$m, NSL-KDD, seed 0" "$PY" benchmarks/augmenters.py --dataset nsl-kdd --seeds 1 \
        --methods "$m" --out "$RUNS/$name" "${AUG[@]}"
    cp "$RUNS/$name"/nsl-kdd*/metrics.csv "$OUT/$name-metrics.csv" 2>/dev/null
done
echo "done" | tee -a "$LOG"
