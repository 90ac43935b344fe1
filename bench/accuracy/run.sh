#!/usr/bin/env bash
# Accuracy on the development trials (speakers held out of training).
# Usage: bench/accuracy/run.sh [MODEL]   (default: the embedded bundle)
# Needs bench/out/dev from bench/trials/make_trials.py.
# Environment: SCORE_FLAGS, extra flags for `voxguard score` (e.g. SCORE_FLAGS="--cohort bundle");
# TAG, a suffix for the binary, the scores files (DIR/scores$TAG) and the DET plots, so that
# runs with different flags (or by different people) do not overwrite one another.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${TAG:-}
bin=bench/out/voxguard$tag
go build -o "$bin" ./cmd/voxguard
model=()
[ $# -ge 1 ] && model=(--model "$1")
# shellcheck disable=SC2206 # SCORE_FLAGS is split into words on purpose
extra=(${SCORE_FLAGS:-})
for c in enr30_test25 enr30_test4 enr30_test12 enr30_test4_deg fsdd_enr5_test1 enr30_test1 enr5_test1 enr30_test4_unseen ident_1toN; do
  d=bench/out/dev/$c
  # enr30_test1 and enr5_test1 (1 s telephone tests) come from bench/trials/make_short.sh, and
  # enr30_test4_unseen (channels never trained on) from bench/trials/make_unseen.py, when run.
  case $c in enr30_test1 | enr5_test1 | enr30_test4_unseen) [ -d "$d" ] || continue ;; esac
  echo "== $c"
  start=$(date +%s.%N)
  "$bin" score "${model[@]}" "${extra[@]}" --enroll $d/enroll.scp --test $d/test.scp --trials $d/trials --out $d/scores$tag
  printf "scored %s trials in %.1f s\n" "$(wc -l < $d/trials)" "$(echo "$(date +%s.%N) - $start" | bc)"
  if [ "$c" = ident_1toN ]; then
    /usr/bin/python3 bench/accuracy/ident.py $d/trials $d/scores$tag $d/probes
  else
    "$bin" eval --trials $d/trials --scores $d/scores$tag --det bench/out/det_$c$tag.png
  fi
done
