#!/usr/bin/env bash
# Front-end speed, whole process, side by side with torchaudio's Kaldi MFCC on one thread.
# Usage: bench/frontend/run.sh   (from the repository root; needs ../shared/corpora, sox, python3-torchaudio)
# Builds a ~10-minute 8 kHz mu-law file by concatenating corpus utterances, then times
#   voxguard features --wav F --vad --cmn --deltas --binary > /dev/null   (decode+MFCC+deltas+VAD+CMN)
# with GOMAXPROCS=1 (user+sys CPU seconds), and torchaudio.compliance.kaldi.mfcc alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out; mkdir -p "$out"
long=$out/long_8k_mulaw.wav
if [ ! -f "$long" ]; then
  ls ../shared/corpora/mini-librispeech/*/*.wav | head -150 > "$out/long.list"
  sox $(cat "$out/long.list") -r 8000 -e u-law -b 8 -c 1 "$long"
fi
echo "input: $long ($(soxi -D "$long") s)"
go build -o "$out/voxguard" ./cmd/voxguard
# Five runs under one timer (a single run is near /usr/bin/time's 10 ms resolution); mean per run.
for round in 1 2 3; do
  /usr/bin/time -f "%U %S" -o "$out/time.txt" env GOMAXPROCS=1 bash -c \
    'for i in 1 2 3 4 5; do "$0" features --wav "$1" --vad --cmn --deltas --binary > /dev/null; done' "$out/voxguard" "$long"
  awk -v d="$(soxi -D "$long")" '{cpu=($1+$2)/5; printf "voxguard features (decode+MFCC+deltas+VAD+CMN, binary): %.3f CPU-s per run = %.0fx real time\n", cpu, d/cpu}' "$out/time.txt"
done
/usr/bin/python3 bench/frontend/torchaudio_mfcc.py "$long" 3
