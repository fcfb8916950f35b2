#!/usr/bin/env bash
# On the GPU host (docs/GPU.md): the runs behind the shipped small models. For one corpus, the small
# Mamba and the Transformer baseline of the same parameter count train one after the other on the
# GPU, each for the same wall-clock budget and schedule (equal parameters, equal time).
#
#   usage: scripts/gpu/train-shipped.sh CORPUS        (the corpus in /tmp/corpora/CORPUS/corpus)
#   MINUTES (4.4): budget per run.  STEPS (6000): cosine schedule length, set to what the budget
#   reaches (2.4-2.5 M samples/s for small Mamba at crop 8192 x 16 on the H200: about 5,000 steps
#   in 4.4 minutes), so the learning rate has mostly decayed when the budget ends.
#   CROP (8192), BATCH (16), PRESET (small), ARCHS ("mamba transformer").
#
# Runs one at a time, not side by side: eight runs started together on the one GPU (2026-12-02) each
# got 15% of the samples/s one run gets alone (179,728 against 1.2 M for small Mamba): the processes'
# CUDA contexts are time-sliced, and their waits do not overlap.
# The host build must be unpacked in /tmp/g/publish (an earlier call of the same machine). Back in
# $OUT: CORPUS-PRESET.tar.gz, each run's log and metrics.jsonl and the best Mamba checkpoint.
set -uo pipefail
OUT=${OUT:-/tmp/out}
corpus=${1:?usage: train-shipped.sh CORPUS}
minutes=${MINUTES:-4.4}; steps=${STEPS:-6000}; crop=${CROP:-8192}; batch=${BATCH:-16}; preset=${PRESET:-small}
[[ -x /tmp/g/publish/mamba-audio ]] || { echo "no host build in /tmp/g/publish" >&2; exit 1; }
[[ -f /tmp/corpora/$corpus/corpus/manifest.json ]] || { echo "no corpus /tmp/corpora/$corpus/corpus" >&2; exit 1; }
export LD_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")'):/tmp/g/publish
R=/tmp/runs-$corpus; mkdir -p $R $OUT
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; date -u
for arch in ${ARCHS:-mamba transformer}; do
  run=$corpus-$arch-$preset
  /tmp/g/publish/mamba-audio train --corpus /tmp/corpora/$corpus/corpus --out $R/$run --preset $preset --arch $arch --device cuda \
    --crop $crop --batch $batch --steps $steps --minutes $minutes --eval-every 250 --eval-batches 16 --checkpoint-every 1000 --keep 1 > $R/$run.log 2>&1
  echo "== $run: exit $?"; grep -E "^│ (steps|validation|training speed|time) " $R/$run.log
  # After every run, so that a call cut short still returns what finished.
  (cd $R && tar -czf $OUT/$corpus-$preset.tar.gz *.log */metrics.jsonl $(ls -d *-mamba-$preset/best 2>/dev/null))
done
