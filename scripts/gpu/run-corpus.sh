#!/usr/bin/env bash
# On the GPU host (docs/GPU.md): Mamba (ILGPU selective scan) and the Transformer baseline of the
# same parameter count, both on CUDA, for the small and base presets, each run with the same
# wall-clock budget and the same schedule, on one full corpus.
#
#   usage: scripts/gpu/run-corpus.sh digits|piano
#   MINUTES (1.5): budget per run.  STEPS (4000): schedule length (a run stops at whichever comes first).
#   PRESETS ("small base").
#
# Inputs (carried paths, in GPU_DIR, default .gpu; scripts/pack-gpu.sh and scripts/corpora/pack-for-gpu.sh make them):
#   .gpu/mamba-audio-host.tar.xz               the host build
#   .gpu/NAME-full.tar.xz                      the corpus, or, for a corpus too large for one call:
#   .gpu/NAME-full.part2.tar.xz + /tmp/stage   part 1 unpacked into /tmp/stage by an earlier call on
#                                              the same machine (stage-corpus-part.sh); joined and checked here
# Back in $OUT: NAME-runs.tar.gz (each run's log and metrics.jsonl, the best small Mamba checkpoint
# under ship/) and the printed summary.
set -uo pipefail
name=${1:?usage: run-corpus.sh digits|piano}
OUT=${OUT:-/tmp/out}
repo="$(cd "$(dirname "$0")/../.." && pwd)"; cd "$repo"
G=${GPU_DIR:-.gpu}   # where the carried tarballs are
minutes=${MINUTES:-1.5}; steps=${STEPS:-4000}; presets=${PRESETS:-small base}

mkdir -p /tmp/g /tmp/stage && tar -C /tmp/g -xJf $G/mamba-audio-host.tar.xz || exit 1
if [[ -f $G/$name-full.tar.xz ]]; then
  tar -C /tmp/stage -xJf $G/$name-full.tar.xz || exit 1
else
  [[ -f /tmp/stage/corpus/audio.bin.00 ]] || { echo "part 1 of $name is not in /tmp/stage: run stage-corpus-part.sh first" >&2; exit 1; }
  tar -C /tmp/stage -xJf $G/$name-full.part2.tar.xz && scripts/corpora/pack-for-gpu.sh --join /tmp/stage/corpus || exit 1
fi
export LD_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")'):/tmp/g/publish
P=/tmp/g/publish; C=/tmp/stage/corpus; R=/tmp/runs
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; nproc
mkdir -p $R
for preset in $presets; do
  for arch in mamba transformer; do
    run=$name-$arch-$preset
    $P/mamba-audio train --corpus $C --out $R/$run --preset $preset --arch $arch --device cuda --crop 2048 --batch 16 \
      --steps $steps --minutes $minutes --eval-every 100 --eval-batches 16 --checkpoint-every 500 > $R/$run.log 2>&1
    echo "== $run: exit $?"; grep -E "^│ (steps|validation|training speed|time) " $R/$run.log
    # After every run, so that a call cut short still returns what finished.
    mkdir -p $R/ship && cp $R/$name-mamba-small/best/{model.safetensors,config.json,training.json} $R/ship/ 2>/dev/null
    (cd $R && tar -czf $OUT/$name-runs.tar.gz *.log */metrics.jsonl ship)
  done
done
