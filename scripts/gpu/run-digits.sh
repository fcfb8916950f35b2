#!/usr/bin/env bash
# On the GPU host: unpack, run every test executable (CUDA tests included), then train on digits.
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p /tmp/g && tar -C /tmp/g -xJf .gpu/mamba-audio-gpu.tar.xz && tar -C /tmp/g -xJf .gpu/digits-corpus.tar.xz
export LD_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")'):/tmp/g/publish
P=/tmp/g/publish
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/tests.log
nproc >> $OUT/tests.log
cd "$(dirname "$0")/../.." && export MAMBA_AUDIO_REPO=$PWD   # where the tests find samples/wav
for t in Mamba.Core.Tests Mamba.Audio.Tests Mamba.Audio.Host.Tests; do
  timeout 400 $P/$t -noColor > /tmp/$t.log 2>&1; echo "$t exit $?" | tee -a $OUT/tests.log; cat /tmp/$t.log >> $OUT/tests.log; grep -E "Total:|\[FAIL\]" /tmp/$t.log
done
# Digits, fixed wall-clock budget per run on this host: Mamba small on the CPU cores (fused scan;
# on CUDA the scan is still the reference), the Transformer baseline of the same size on CUDA.
C=/tmp/g/corpus
MIN=${MIN:-3}
$P/mamba-audio train --corpus $C --out /tmp/runs/mamba-small --preset small --device cpu --crop 2048 --batch 16 --steps 4000 --minutes $MIN --eval-every 100 --eval-batches 16 --checkpoint-every 500 > $OUT/digits-mamba-small.log 2>&1
$P/mamba-audio train --corpus $C --out /tmp/runs/tf-small --preset small --arch transformer --device cuda --crop 2048 --batch 16 --steps 4000 --minutes $MIN --eval-every 100 --eval-batches 16 --checkpoint-every 500 > $OUT/digits-transformer-small.log 2>&1
tail -12 $OUT/digits-mamba-small.log; tail -12 $OUT/digits-transformer-small.log
mkdir -p $OUT/ship && cp /tmp/runs/mamba-small/best/model.safetensors /tmp/runs/mamba-small/best/config.json /tmp/runs/mamba-small/best/training.json $OUT/ship/
cp /tmp/runs/mamba-small/metrics.jsonl $OUT/digits-mamba-small.metrics.jsonl; cp /tmp/runs/tf-small/metrics.jsonl $OUT/digits-transformer-small.metrics.jsonl
