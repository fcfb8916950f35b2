#!/usr/bin/env bash
# Makes the `digits` corpus: SC09-like one-second spoken digits "zero".."nine" from three speech
# engines (espeak-ng, flite, festival) with many voices, pitches and speeds, then prepares it.
#
#   scripts/corpora/digits.sh [OUT_DIR] [--samples] [--no-prepare] [--no-install]
#
# OUT_DIR (default data/) receives digits/wav/*.wav (16 kHz mono 16-bit, exactly 1.0 s each) and
# digits/corpus (the prepared corpus). File names are ENGINE-VOICE_pPITCH_sSPEED_DIGIT.wav, so
# `--group-by '^([^_]+)_'` puts every clip of one voice (all pitches and speeds) in one split:
# validation holds out whole speakers. Clips already made are kept (re-running resumes).
# --samples also copies 100 clips (10 voices x 10 digits) into samples/wav/digits.
# MAMBA_AUDIO overrides how the CLI is run (default: dotnet run on src/Mamba.Audio.Host, Release).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
out="$repo/data"; samples=0; prepare=1; install=1
for a in "$@"; do
  case "$a" in
    --samples) samples=1 ;;
    --no-prepare) prepare=0 ;;
    --no-install) install=0 ;;
    -*) echo "unknown option $a" >&2; exit 2 ;;
    *) out="$(mkdir -p "$a" && cd "$a" && pwd)" ;;
  esac
done
start=$SECONDS

if [[ $install == 1 ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    espeak-ng flite festival festvox-kallpc16k sox >/dev/null
fi

wav="$out/digits/wav"; mkdir -p "$wav"
digits=(zero one two three four five six seven eight nine)

# One job per line: ENGINE VOICE PITCH SPEED DIGIT.
jobs="$out/digits/jobs.txt"; : > "$jobs"
espeak_accents=(en-us en-gb en-gb-scotland en-gb-x-rp en-gb-x-gbclan en-gb-x-gbcwmd en-029 en-us-nyc)
espeak_variants=(m1 m2 m3 m4 m5 m6 m7 f1 f2 f3 f4 f5 croak klatt)
for accent in "${espeak_accents[@]}"; do
  for variant in "${espeak_variants[@]}"; do
    for pitch in 35 65; do for speed in 130 190; do for d in "${digits[@]}"; do
      echo "espeak $accent+$variant $pitch $speed $d" >> "$jobs"
    done; done; done
  done
done
for voice in kal awb rms slt kal16; do
  for pitch in 100 140 180; do for speed in 80 100 125; do for d in "${digits[@]}"; do
    echo "flite $voice $pitch $speed $d" >> "$jobs"
  done; done; done
done
for speed in 80 100 125; do for d in "${digits[@]}"; do
  echo "festival kal $speed $speed $d" >> "$jobs"
done; done

make_clip() {
  local engine=$1 voice=$2 pitch=$3 speed=$4 digit=$5 dir=$6
  local name="$engine-${voice}_p${pitch}_s${speed}_${digit}.wav"
  [[ -s "$dir/$name" ]] && return 0
  local raw; raw="$(mktemp --suffix=.wav)"
  case "$engine" in
    espeak)   espeak-ng -v "$voice" -p "$pitch" -s "$speed" -w "$raw" "$digit" ;;
    flite)    flite -voice "$voice" -t "$digit" -o "$raw" \
                --setf duration_stretch="$(awk "BEGIN{print 100/$speed}")" --setf int_f0_target_mean="$pitch" ;;
    festival) echo "$digit" | text2wave -o "$raw" -eval "(voice_kal_diphone)" \
                -eval "(Parameter.set 'Duration_Stretch $(awk "BEGIN{print 100/$speed}"))" ;;
  esac
  # 16 kHz mono 16-bit (-D: no dither, so clips are reproducible byte for byte); silence at 0.1%
  # trimmed from both ends; padded, then cut, to exactly 1.0 s.
  sox -V1 "$raw" -D -r 16000 -c 1 -b 16 "$dir/$name.tmp.wav" \
    silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse pad 0 1 trim 0 1
  mv "$dir/$name.tmp.wav" "$dir/$name"
  rm -f "$raw"
}
export -f make_clip
gen_start=$SECONDS
xargs -P "$(nproc)" -L 1 bash -c 'make_clip "$@" '"'$wav'" _ < "$jobs"
count=$(find "$wav" -name '*.wav' | wc -l)
echo "digits: $count clips in $wav (made in $((SECONDS - gen_start)) s)"

if [[ $samples == 1 ]]; then
  # 10 voices spread over the engines, accents, sexes and pitches, all 10 digits each, one pitch
  # and speed per voice. With seed 1 and --group-by '^([^_]+)_', espeak-en-029+m6 and
  # espeak-en-gb-scotland+f1 are held out at validation fraction 0.1 and 0.2 (the tests use 0.2).
  dest="$repo/samples/wav/digits"; rm -rf "$dest"; mkdir -p "$dest"
  for v in espeak-en-us+m1_p35_s130 espeak-en-us+f2_p65_s190 espeak-en-gb-scotland+f1_p65_s130 \
           espeak-en-gb-x-rp+f5_p35_s130 espeak-en-gb-x-gbclan+croak_p65_s130 espeak-en-029+m6_p35_s130 \
           espeak-en-029+klatt_p65_s190 flite-awb_p100_s100 flite-slt_p180_s100 festival-kal_p100_s100; do
    cp "$wav/${v}"_*.wav "$dest/"
  done
  echo "samples: $(ls "$dest" | wc -l) clips in $dest"
fi

if [[ $prepare == 1 ]]; then
  cli=${MAMBA_AUDIO:-dotnet run --project "$repo/src/Mamba.Audio.Host" -c Release --}
  $cli prepare "$wav" --out "$out/digits/corpus" --rate 16000 --seed 1 --validation-fraction 0.1 --group-by '^([^_]+)_'
fi
echo "digits: done in $((SECONDS - start)) s"
