#!/usr/bin/env bash
# Packs prepared corpora for the GPU host (docs/GPU.md), whose only input is the working tree plus
# at most 8 carried ignored paths, 64 MiB in all per call (tracked files included).
#
#   scripts/corpora/pack-for-gpu.sh DATA_DIR [NAME...]     (names default to: digits piano)
#   scripts/corpora/pack-for-gpu.sh --join CORPUS_DIR      (on the GPU host, after unpacking both parts)
#
# Each DATA_DIR/NAME/corpus (audio.bin, index.json, manifest.json, as made by scripts/corpora/NAME.sh)
# becomes .gpu/NAME-full.tar.xz with the top folder corpus/, the layout of the older
# .gpu/NAME-corpus.tar.xz subsets. A tarball over SPLIT_BYTES (default 26 MiB) is replaced by two
# parts of about equal size, each small enough to travel in its own call beside the host build:
#   .gpu/NAME-full.part1.tar.xz  corpus/index.json, corpus/manifest.json, corpus/audio.bin.00,
#                                corpus/audio.bin.sha256 (sha256sum line of the whole audio.bin)
#   .gpu/NAME-full.part2.tar.xz  corpus/audio.bin.01
# (audio.bin cut in two: SPLIT_PERCENT, default 50, of its bytes in part 1; 80 makes part 2 small
# enough to travel beside the host build with the test executables, as in the recorded runs). Unpack both into one folder, then --join concatenates
# the halves and checks the result against audio.bin.sha256: on a match it becomes audio.bin and
# the halves are deleted; otherwise nothing is written and the exit status is 1.
# Tar entries are sorted, owned by 0:0, mode 644 and dated 1970: the tarballs depend only on the corpus.
set -euo pipefail

if [[ ${1:-} == --join ]]; then
  dir=${2:?usage: pack-for-gpu.sh --join CORPUS_DIR}
  cd "$dir"
  cat audio.bin.00 audio.bin.01 > audio.bin.tmp
  expected=$(cut -d' ' -f1 audio.bin.sha256); actual=$(sha256sum < audio.bin.tmp | cut -d' ' -f1)
  if [[ $actual != "$expected" ]]; then
    rm audio.bin.tmp
    echo "$dir: the joined audio.bin has SHA-256 $actual, not $expected; halves kept" >&2; exit 1
  fi
  mv audio.bin.tmp audio.bin && rm audio.bin.00 audio.bin.01
  echo "$dir/audio.bin: joined, SHA-256 $actual as recorded"
  exit 0
fi

data="$(cd "${1:?usage: pack-for-gpu.sh DATA_DIR [NAME...]}" && pwd)"; shift
names=("$@"); [[ ${#names[@]} -gt 0 ]] || names=(digits piano)
limit=${SPLIT_BYTES:-$((26 * 1024 * 1024))}
cd "$(dirname "$0")/../.."
mkdir -p .gpu
stage="$(mktemp -d)"; trap 'rm -rf "$stage"' EXIT

pack() {  # DIR TARBALL ENTRIES...: tar DIR/ENTRIES into TARBALL with xz -9e, print its size
  local dir=$1 tarball=$2; shift 2
  tar -C "$dir" -cf - --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=644 "$@" \
    | xz -9e -T2 > "$tarball.tmp"   # -9e: every byte counts against the 64 MiB a call carries
  mv "$tarball.tmp" "$tarball"
  echo "$tarball: $(stat -c %s "$tarball") bytes"
}

for name in "${names[@]}"; do
  src="$data/$name/corpus"
  for f in audio.bin index.json manifest.json; do
    [[ -f "$src/$f" ]] || { echo "$src/$f is missing (run scripts/corpora/$name.sh first)" >&2; exit 1; }
  done
  rm -f .gpu/"$name"-full.tar.xz .gpu/"$name"-full.part[12].tar.xz
  pack "$data/$name" ".gpu/$name-full.tar.xz" corpus/audio.bin corpus/index.json corpus/manifest.json
  size=$(stat -c %s ".gpu/$name-full.tar.xz")
  if (( size > limit )); then
    echo "$name: $size bytes is over $limit; splitting audio.bin in two parts"
    rm ".gpu/$name-full.tar.xz"
    part="$stage/$name/corpus"; mkdir -p "$part"
    cp "$src/index.json" "$src/manifest.json" "$part/"
    (cd "$src" && sha256sum audio.bin) > "$part/audio.bin.sha256"
    bytes=$(stat -c %s "$src/audio.bin"); first=$((bytes * ${SPLIT_PERCENT:-50} / 100))
    head -c "$first" "$src/audio.bin" > "$part/audio.bin.00"
    tail -c +$((first + 1)) "$src/audio.bin" > "$part/audio.bin.01"
    pack "$stage/$name" ".gpu/$name-full.part1.tar.xz" \
      corpus/index.json corpus/manifest.json corpus/audio.bin.00 corpus/audio.bin.sha256
    pack "$stage/$name" ".gpu/$name-full.part2.tar.xz" corpus/audio.bin.01
  fi
done
