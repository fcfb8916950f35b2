#!/usr/bin/env bash
# On the GPU host: base preset on digits-half, Mamba on the CPU cores (fused scan), Transformer on CUDA, same wall budget.
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p /tmp/g && tar -C /tmp/g -xJf .gpu/mamba-audio-gpu.tar.xz && tar -C /tmp/g -xJf .gpu/digits-corpus.tar.xz
export LD_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")'):/tmp/g/publish
P=/tmp/g/publish; C=/tmp/g/corpus
$P/mamba-audio train --corpus $C --out /tmp/runs/mamba-base --preset base --device cpu --crop 2048 --batch 16 --steps 4000 --minutes 2.5 --eval-every 25 --eval-batches 16 --checkpoint-every 500 > $OUT/digits-mamba-base.log 2>&1
$P/mamba-audio train --corpus $C --out /tmp/runs/tf-base --preset base --arch transformer --device cuda --crop 2048 --batch 16 --steps 4000 --minutes 2.5 --eval-every 100 --eval-batches 16 --checkpoint-every 500 > $OUT/digits-transformer-base.log 2>&1
tail -12 $OUT/digits-mamba-base.log; tail -12 $OUT/digits-transformer-base.log
cp /tmp/runs/mamba-base/metrics.jsonl $OUT/digits-mamba-base.metrics.jsonl; cp /tmp/runs/tf-base/metrics.jsonl $OUT/digits-transformer-base.metrics.jsonl
