#!/usr/bin/env bash
# Accuracy on the development trials (speakers held out of training).
# Usage: bench/accuracy/run.sh [MODEL]   (default: the embedded bundle)
# Needs bench/out/dev from bench/trials/make_trials.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
go build -o bench/out/voxguard ./cmd/voxguard
model=()
[ $# -ge 1 ] && model=(--model "$1")
for c in enr30_test25 enr30_test4 enr30_test12 enr30_test4_deg fsdd_enr5_test1 ident_1toN; do
  d=bench/out/dev/$c
  echo "== $c"
  start=$(date +%s.%N)
  bench/out/voxguard score "${model[@]}" --enroll $d/enroll.scp --test $d/test.scp --trials $d/trials --out $d/scores
  printf "scored %s trials in %.1f s\n" "$(wc -l < $d/trials)" "$(echo "$(date +%s.%N) - $start" | bc)"
  if [ "$c" = ident_1toN ]; then
    /usr/bin/python3 bench/accuracy/ident.py $d/trials $d/scores $d/probes
  else
    bench/out/voxguard eval --trials $d/trials --scores $d/scores --det bench/out/det_$c.png
  fi
done
