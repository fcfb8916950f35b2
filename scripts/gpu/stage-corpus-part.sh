#!/usr/bin/env bash
# On the GPU host: unpacks part 1 of a corpus too large for one call into /tmp/stage, where the
# next call on the same machine (run-corpus.sh, started within the machine's warm period) finds it.
#   usage: scripts/gpu/stage-corpus-part.sh piano
set -euo pipefail
name=${1:?usage: stage-corpus-part.sh NAME}
cd "$(dirname "$0")/../.."
rm -rf /tmp/stage && mkdir -p /tmp/stage
tar -C /tmp/stage -xJf ${GPU_DIR:-.gpu}/$name-full.part1.tar.xz
ls -l /tmp/stage/corpus
