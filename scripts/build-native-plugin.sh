#!/usr/bin/env bash
# Builds the Mamba generator as a native LADSPA and LV2 plugin (NativeAOT; Core and Audio only, no libtorch):
#   artifacts/native-plugin/ladspa/mamba_audio.so (+ mamba_audio.model/, the checkpoint it plays)
#   artifacts/native-plugin/lv2/mamba_audio.lv2/   (mamba_audio.so, manifest.ttl, mamba.ttl, model/)
# Usage: scripts/build-native-plugin.sh [CHECKPOINT_DIR]   (default samples/models/digits-small)
# Install: cp -r artifacts/native-plugin/ladspa/* ~/.ladspa/ ; cp -r artifacts/native-plugin/lv2/mamba_audio.lv2 ~/.lv2/
# Needs clang (or gcc) and zlib1g-dev for the native link, python3 to write the Turtle (.ci/run installs them).
# The library is compiled for x86-64-v3 (AVX2, FMA: x86 CPUs since 2013-2015), where the CPU engine's vector kernels run;
# NativeAOT's default baseline has no AVX and runs them scalar, 40x slower (BENCHMARKS.md). On an older CPU the runtime
# stops the host at load with a message naming the missing instructions: build with MAMBA_AUDIO_ISA=x86-64-v2 for one.
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoint=${1:-samples/models/digits-small}
[[ -f "$checkpoint/config.json" ]] || { echo "build-native-plugin: '$checkpoint' is not a checkpoint folder (no config.json)" >&2; exit 2; }
out=artifacts/native-plugin
publish=$out/publish
rm -rf "$out"
isa=${MAMBA_AUDIO_ISA:-x86-64-v3}
dotnet publish src/Mamba.Audio.Native -c Release -r linux-x64 -o "$publish" -nologo -v quiet -p:IlcInstructionSet="$isa"
lib=$publish/mamba_audio.so
[[ -f "$lib" ]] || { echo "build-native-plugin: the publish made no $lib" >&2; exit 1; }
if ldd "$lib" | grep -qi torch; then echo "build-native-plugin: $lib links libtorch" >&2; exit 1; fi

mkdir -p "$out/ladspa" "$out/lv2/mamba_audio.lv2"
cp "$lib" "$out/ladspa/mamba_audio.so"
cp -r "$checkpoint" "$out/ladspa/mamba_audio.model"
bundle=$out/lv2/mamba_audio.lv2
cp "$lib" "$bundle/mamba_audio.so"
cp -r "$checkpoint" "$bundle/model"
# The Turtle comes from the library itself (the port table it runs), so the description cannot drift.
python3 - "$bundle" <<'PY'
import ctypes, os, sys
bundle = sys.argv[1]
lib = ctypes.CDLL(os.path.join(bundle, "mamba_audio.so"))
lib.mamba_audio_lv2_turtle.restype = ctypes.c_char_p
lib.mamba_audio_lv2_turtle.argtypes = [ctypes.c_int]
for which, name in ((0, "manifest.ttl"), (1, "mamba.ttl")):
    with open(os.path.join(bundle, name), "wb") as f:
        f.write(lib.mamba_audio_lv2_turtle(which))
PY
rm -rf "$publish"
size=$(stat -c %s "$out/ladspa/mamba_audio.so")
echo "built $out: mamba_audio.so $((size / 1024)) KiB for $isa (LADSPA label mamba; LV2 https://mamba.audio/plugins/generator), checkpoint $checkpoint"
