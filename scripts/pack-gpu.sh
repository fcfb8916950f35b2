#!/usr/bin/env bash
# Publishes the mamba-audio host and the test executables self-contained for linux-x64 with
# TorchBackend=external (libtorch comes from the GPU host's PyTorch), into one folder, and packs
# it as .gpu/mamba-audio-gpu.tar.xz. The runtime files are shared, so one folder stays small.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu/publish
rm -rf "$out" && mkdir -p "$out"
common=(-c Release -r linux-x64 --self-contained true -p:TorchBackend=external -p:DebugType=none)
dotnet publish src/Mamba.Audio.Host "${common[@]}" -o "$out"
for t in tests/*/; do
  dotnet publish "$t" "${common[@]}" -o "$out"
done
tar -C .gpu -cf - publish | xz -9e -T2 > .gpu/mamba-audio-gpu.tar.xz   # -9e: the device call carries at most 64 MiB
du -h .gpu/mamba-audio-gpu.tar.xz
