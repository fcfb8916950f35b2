#!/usr/bin/env bash
# Makes the `piano` corpus: MIDI tunes rendered as solo piano with fluidsynth and the FluidR3_GM
# soundfont, 16 kHz mono 16-bit, then prepares it with one split per piece.
#
#   scripts/corpora/piano.sh [OUT_DIR] [--samples] [--no-prepare] [--no-install] [--tempos "100 90"]
#
# Sources: the 31 tunes of openttd-openmsx and the 3 examples of playmidi (Bach's Invention No. 1,
# gmstriving, jazz). Each is rewritten by midi_to_piano.py (every program change -> 0, channel 10
# dropped) so the whole arrangement plays on the grand piano. --tempos renders extra versions at
# other tempos (percent; the default 100 renders each piece once). Files are PIECE__tTEMPO.wav in
# OUT_DIR/piano/wav, and `--group-by '^(.+)__'` keeps all versions of a piece in one split.
# --samples also writes two 20-second excerpts to samples/wav/piano.
# MAMBA_AUDIO overrides how the CLI is run (default: dotnet run on src/Mamba.Audio.Host, Release).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
out="$repo/data"; samples=0; prepare=1; install=1; tempos="100"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --samples) samples=1 ;;
    --no-prepare) prepare=0 ;;
    --no-install) install=0 ;;
    --tempos) tempos="$2"; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) out="$(mkdir -p "$1" && cd "$1" && pwd)" ;;
  esac
  shift
done
start=$SECONDS

if [[ $install == 1 ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    fluidsynth fluid-soundfont-gm openttd-openmsx playmidi sox python3 >/dev/null
fi
soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2

midi="$out/piano/midi"; wav="$out/piano/wav"; mkdir -p "$midi" "$wav"
for f in /usr/share/games/openttd/baseset/openmsx/*.mid; do cp "$f" "$midi/openmsx-$(basename "$f")"; done
for f in /usr/share/doc/playmidi/examples/*.mid.gz; do gunzip -c "$f" > "$midi/playmidi-$(basename "$f" .gz)"; done

render() {  # MIDI TEMPO WAVDIR SOUNDFONT REPO
  local mid=$1 tempo=$2 dir=$3 sf=$4 repo=$5
  local piece; piece="$(basename "$mid" .mid)"
  local name="${piece}__t${tempo}.wav"
  [[ -s "$dir/$name" ]] && return 0
  local tmp; tmp="$(mktemp -d)"
  python3 "$repo/scripts/corpora/midi_to_piano.py" "$mid" "$tmp/piano.mid"
  fluidsynth -ni -q -g 0.5 -r 44100 -F "$tmp/out.wav" "$sf" "$tmp/piano.mid" >/dev/null
  # Stereo to mono, 16 kHz (high-quality rate), peak at -1 dBFS, no dither (-D: reproducible);
  # tempo changes keep the pitch.
  local stretch=(); [[ $tempo != 100 ]] && stretch=(tempo -m "$(awk "BEGIN{print $tempo/100}")")
  sox -V1 "$tmp/out.wav" -D -c 1 -b 16 "$tmp/o16k.wav" remix 1,2 "${stretch[@]}" rate -v 16k norm -1
  mv "$tmp/o16k.wav" "$dir/$name"
  rm -rf "$tmp"
}
export -f render
gen_start=$SECONDS
for tempo in $tempos; do
  for f in "$midi"/*.mid; do echo "$f $tempo"; done
done | xargs -P "$(nproc)" -L 1 bash -c 'render "$4" "$5" "$1" "$2" "$3"' _ "$wav" "$soundfont" "$repo"
n=$(find "$wav" -name '*.wav' | wc -l)
minutes=$(for f in "$wav"/*.wav; do soxi -D "$f"; done | awk '{s+=$1} END{printf "%.1f", s/60}')
echo "piano: $n files, $minutes minutes in $wav (rendered in $((SECONDS - gen_start)) s)"

if [[ $samples == 1 ]]; then
  dest="$repo/samples/wav/piano"; rm -rf "$dest"; mkdir -p "$dest"
  sox -V1 -D "$wav/playmidi-bach-invention-01__t100.wav" "$dest/bach-invention-01.wav" trim 0 20
  sox -V1 -D "$wav/openmsx-tttheme2__t100.wav" "$dest/openmsx-tttheme2.wav" trim 0 20
  echo "samples: $(ls "$dest" | wc -l) excerpts in $dest"
fi

if [[ $prepare == 1 ]]; then
  cli=${MAMBA_AUDIO:-dotnet run --project "$repo/src/Mamba.Audio.Host" -c Release --}
  $cli prepare "$wav" --out "$out/piano/corpus" --rate 16000 --seed 1 --validation-fraction 0.1 --group-by '^(.+)__'
fi
echo "piano: done in $((SECONDS - start)) s"
