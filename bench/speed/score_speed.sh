#!/usr/bin/env bash
# Scoring speed in the shape the issue states: 190,000 trials over 2,500 files (~4 s each),
# features included. Uses speechocean762's 2,500 recordings: the first file of each of 76
# speakers enrolls a model, all 2,500 files are tests, every model against every test.
# Usage: bench/speed/score_speed.sh [MODEL]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/speed_lists; mkdir -p "$out"
corpus=$(cd ../shared/corpora/speechocean762 && pwd)
ls "$corpus"/*/*.wav | awk -F/ '{print $(NF-1)"-"$NF" "$0}' | sed 's/\.wav / /' > "$out/test.scp"
ls -d "$corpus"/*/ | head -76 | while read -r d; do echo "$(basename "$d") $(ls "$d"*.wav | head -1)"; done > "$out/enroll.scp"
awk 'NR==FNR{m[++n]=$1; next} {for(i=1;i<=n;i++) print m[i], $1}' "$out/enroll.scp" "$out/test.scp" > "$out/trials"
echo "$(wc -l < "$out/trials") trials, $(wc -l < "$out/test.scp") test files, $(wc -l < "$out/enroll.scp") enrollment files"
go build -o bench/out/voxguard ./cmd/voxguard
model=()
[ $# -ge 1 ] && model=(--model "$1")
/usr/bin/time -f "score: %e s wall, %U s user, %S s sys, %M KB max RSS" \
  bench/out/voxguard score "${model[@]}" --enroll "$out/enroll.scp" --test "$out/test.scp" --trials "$out/trials" --out "$out/scores"
