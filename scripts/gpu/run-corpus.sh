#!/usr/bin/env bash
# On the GPU host (docs/GPU.md): unpack the published build and .gpu/<corpus>-corpus.tar.xz, run
# every test executable (CUDA tests included), then train the small Mamba on the host's CPU cores
# (fused scan; on CUDA the scan is still the reference) and the Transformer baseline of the same
# size on CUDA, each with a fixed wall-clock budget. The best Mamba checkpoint comes back in $OUT/ship.
#   usage: run-corpus.sh digits|piano      MAMBA_MINUTES (3), TRANSFORMER_MINUTES (3),
#          CUDA_PROBE=1 also times Mamba on CUDA for 45 s (the reference scan's speed).
set -uo pipefail
name=${1:?usage: run-corpus.sh <corpus name>}
OUT=${OUT:-/tmp/out}
mkdir -p /tmp/g && tar -C /tmp/g -xJf .gpu/mamba-audio-gpu.tar.xz && tar -C /tmp/g -xJf .gpu/$name-corpus.tar.xz
export LD_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")'):/tmp/g/publish
P=/tmp/g/publish
C=/tmp/g/corpus
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/tests.log
nproc >> $OUT/tests.log
cd "$(dirname "$0")/../.." && export MAMBA_AUDIO_REPO=$PWD   # where the tests find samples/wav
for t in Mamba.Core.Tests Mamba.Audio.Tests Mamba.Audio.Host.Tests; do
  timeout 400 $P/$t -noColor > /tmp/$t.log 2>&1; echo "$t exit $?" | tee -a $OUT/tests.log; cat /tmp/$t.log >> $OUT/tests.log; grep -E "Total:|\[FAIL\]" /tmp/$t.log
done
common="--corpus $C --preset small --crop 2048 --batch 16 --steps 4000 --eval-every 100 --eval-batches 16 --checkpoint-every 500"
$P/mamba-audio train $common --out /tmp/runs/mamba-small --device cpu --minutes ${MAMBA_MINUTES:-3} > $OUT/$name-mamba-small.log 2>&1
$P/mamba-audio train $common --out /tmp/runs/tf-small --arch transformer --device cuda --minutes ${TRANSFORMER_MINUTES:-3} > $OUT/$name-transformer-small.log 2>&1
if [ "${CUDA_PROBE:-0}" = 1 ]; then
  $P/mamba-audio train --corpus $C --out /tmp/runs/mamba-cuda --preset small --device cuda --crop 2048 --batch 16 --steps 4000 --minutes 0.75 --eval-every 100000 --eval-batches 2 --checkpoint-every 100000 2>&1 | tail -14 >> $OUT/$name-mamba-small.log
fi
tail -30 $OUT/$name-mamba-small.log; tail -12 $OUT/$name-transformer-small.log
mkdir -p $OUT/ship && cp /tmp/runs/mamba-small/best/model.safetensors /tmp/runs/mamba-small/best/config.json /tmp/runs/mamba-small/best/training.json $OUT/ship/
cp /tmp/runs/mamba-small/metrics.jsonl $OUT/$name-mamba-small.metrics.jsonl; cp /tmp/runs/tf-small/metrics.jsonl $OUT/$name-transformer-small.metrics.jsonl
