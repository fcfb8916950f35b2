#!/usr/bin/env bash
# Benchmark of the native plugin (scripts/build-native-plugin.sh first): library size, load and instantiate time,
# first and steady run() at the model's rate and at 48 kHz, and real-time factor inside sox. Prints a table, writes JSON.
# Usage: scripts/bench-native-plugin.sh [OUT.json]   (default artifacts/native-plugin-bench.json)
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=artifacts/native-plugin/ladspa
lib=$plugin/mamba_audio.so
[[ -f "$lib" ]] || { echo "no $lib: run scripts/build-native-plugin.sh first" >&2; exit 2; }
json=${1:-artifacts/native-plugin-bench.json}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc=$(command -v clang || command -v cc)
"$cc" -O2 -o "$work/bench" scripts/native-plugin/bench.c -ldl
runs=()
for rate in 16000 48000; do
  runs+=("$("$work/bench" "$(realpath "$lib")" "$rate" 60 1024)")
done
# Inside sox: 60 s of silence in, the plugin at the model's rate, float out.
sox -n -r 16000 -c 1 -e floating-point -b 32 "$work/in.wav" synth 60 sine 0 vol 0
start=$(date +%s.%N)
LADSPA_PATH=$plugin sox "$work/in.wav" "$work/out.wav" ladspa mamba_audio mamba 1 1 1 0 0 0
end=$(date +%s.%N)
sox_rtf=$(python3 -c "print(round(60 / ($end - $start), 2))")
size=$(stat -c %s "$lib")
python3 - "$json" "$size" "$sox_rtf" "${runs[@]}" <<'PY'
import json, sys
path, size, sox_rtf, runs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), [json.loads(r) for r in sys.argv[4:]]
result = {"library_bytes": size, "sox_real_time_factor_16k_60s": sox_rtf, "runs": runs}
print(f"library: {size / 1024 / 1024:.1f} MiB; sox, 60 s at 16 kHz: {sox_rtf}x real time")
print(f"{'rate':>6} {'block':>5} {'load ms':>8} {'instantiate ms':>14} {'first run ms':>12} {'steady run ms':>13} {'slowest ms':>10} {'RTF':>6} {'latency':>7}")
for r in runs:
    print(f"{r['rate']:>6} {r['block']:>5} {r['load_ms']:>8.2f} {r['instantiate_ms']:>14.1f} {r['first_run_ms']:>12.2f} {r['steady_run_ms']:>13.2f} {r['slowest_run_ms']:>10.2f} {r['real_time_factor']:>6.2f} {r['latency']:>7.0f}")
json.dump(result, open(path, "w"), indent=2)
print(f"wrote {path}")
PY
