#!/usr/bin/env bash
# The lean run-time as a NativeAOT binary: tests/Mamba.Core.AotCheck references Mamba.Core only.
# 1. Its published folder holds no libtorch or TorchSharp library.
# 2. The CPU engine's golden case gives the same samples hash under the JIT and NativeAOT.
# 3. It loads samples/models/digits-small from disk and renders a seed; the hash of the classes
#    equals what `mamba-audio render` reports for the same checkpoint and seed (ClassesSha256).
# Needs clang (or gcc) and zlib1g-dev for the native link (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
project=tests/Mamba.Core.AotCheck
checkpoint=samples/models/digits-small
seed=3
seconds=2
out=artifacts/aot-check
rm -rf "$out"

dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -o "$out"
if find "$out" -iname '*torch*' -o -iname 'libc10*' | grep -q .; then
  echo "FAIL: the NativeAOT folder holds libtorch or TorchSharp files:" >&2
  find "$out" -iname '*torch*' -o -iname 'libc10*' >&2
  exit 1
fi
echo "published $(du -sh "$out" | cut -f1) with no libtorch or TorchSharp: $(ls "$out" | tr '\n' ' ')"

jit=$(dotnet run --project "$project" -c Release -- "$checkpoint" "$seed" "$seconds")
aot=$("$out/Mamba.Core.AotCheck" "$checkpoint" "$seed" "$seconds")
echo "$jit"; echo "$aot"
golden_jit=$(grep -o 'golden samples hash [0-9A-F]*' <<<"$jit"); golden_aot=$(grep -o 'golden samples hash [0-9A-F]*' <<<"$aot")
[[ "$golden_jit" == "$golden_aot" ]] || { echo "FAIL: golden hash differs: JIT '$golden_jit', NativeAOT '$golden_aot'" >&2; exit 1; }

render_out=$(mktemp -d)
trap 'rm -rf "$render_out"' EXIT
dotnet run --project src/Mamba.Audio.Host -c Release -- render --checkpoint "$checkpoint" --seed "$seed" --seconds "$seconds" \
  --engine cpu --out "$render_out/take.wav" > /dev/null
render_hash=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Takes"][0]["ClassesSha256"])' "$render_out/take.json")
aot_hash=$(grep -o 'classes sha256 [0-9a-f]*' <<<"$aot" | cut -d' ' -f3)
echo "render (JIT, Host): classes sha256 $render_hash"
[[ "$aot_hash" == "$render_hash" ]] || { echo "FAIL: NativeAOT $aot_hash differs from render $render_hash" >&2; exit 1; }
echo "OK: NativeAOT renders $checkpoint seed $seed exactly as render does, without libtorch"
