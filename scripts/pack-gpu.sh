#!/usr/bin/env bash
# Publishes for the GPU host (docs/GPU.md), self-contained for linux-x64 with TorchBackend=external
# (libtorch comes from the GPU host's PyTorch):
#
#   scripts/pack-gpu.sh              the mamba-audio host and the test executables in one folder
#                                    (the runtime files are shared) -> .gpu/mamba-audio-gpu.tar.xz
#   scripts/pack-gpu.sh --host-only  the host alone, trimmed, for training runs
#                                    -> .gpu/mamba-audio-host.tar.xz (15 MB; 32 MB untrimmed), small
#                                    enough to travel beside a full corpus (a call carries at most
#                                    64 MiB, tracked files included)
#
# Both tarballs hold one folder, publish/. The host-only build is trimmed with TrimMode=partial:
# only assemblies that declare themselves trimmable lose unused code (the framework's, and
# Spectre.Console, SkiaSharp, NAudio.Core, Google.Protobuf, ...); the project's own assemblies,
# TorchSharp, ILGPU, ScottPlot, NWaves and Spectre.Console.Cli are kept whole. Trimming turns
# System.Text.Json's reflection serializer off by default, and checkpoints, corpora and reports use
# it, so it is turned back on; ILGPU finds CoreLib methods by name, so build/TrimKeepCoreLib.targets
# roots CoreLib's public API. The trim analysis warnings (IL2026 on those JSON calls, IL2104 on the
# untrimmed packages) are suppressed on that command line only: warnings stay errors everywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
common=(-c Release -r linux-x64 --self-contained true -p:TorchBackend=external -p:DebugType=none)
if [[ ${1:-} == --host-only ]]; then
  out=.gpu/host/publish
  rm -rf "$out" && mkdir -p "$out"
  # ILLink reuses its last output when the assemblies are unchanged, even if the trimming options
  # changed; start from none so the options above are the ones applied.
  rm -rf src/Mamba.Audio.Host/obj/Release/net10.0/linux-x64/linked
  dotnet publish src/Mamba.Audio.Host "${common[@]}" -o "$out" \
    -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
    -p:JsonSerializerIsReflectionEnabledByDefault=true -p:CustomAfterMicrosoftCommonTargets="$PWD/build/TrimKeepCoreLib.targets"
  tar -C .gpu/host -cf - publish | xz -9e -T2 > .gpu/mamba-audio-host.tar.xz
  du -b .gpu/mamba-audio-host.tar.xz
  exit 0
fi
out=.gpu/publish
rm -rf "$out" && mkdir -p "$out"
dotnet publish src/Mamba.Audio.Host "${common[@]}" -o "$out"
for t in tests/*/*.csproj; do
  dotnet publish "$t" "${common[@]}" -o "$out"
done
tar -C .gpu -cf - publish | xz -9e -T2 > .gpu/mamba-audio-gpu.tar.xz   # -9e: the device call carries at most 64 MiB
du -h .gpu/mamba-audio-gpu.tar.xz
