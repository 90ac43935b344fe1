#!/bin/sh
# Scores every evaluation file of eval.sh's conditions once (one spoof --list over all of them,
# keyed by path: some ids repeat across conditions), the held-out speakers' 4 s tests (as
# recorded, degraded, unseen channels) and ../shared/corpora, then summarises per family and
# condition as eval.sh does (EER against that condition's bona fide, spoofs passing the
# model's 1 % threshold) and counts the genuine recordings flagged (evalsum.py). Much faster
# than eval.sh for a countermeasure with a spectrum network: each file is scored once.
# Usage: bench/spoof/evalall.sh MODEL OUTDIR [VOXGUARD]
set -eu
cd "$(dirname "$0")/../.."
model=$1; out=$2; vg=${3:-bench/out/voxguard}
mkdir -p "$out"
key=$out/key.all.tsv
cp bench/out/spoof/key.tsv "$key"
for c in noise unseen tel telmob noisetel unseentel; do tail -n +2 "bench/out/spoof/${c}_eval_key.tsv" >> "$key"; done
awk -F'\t' 'NR > 1 && $5 == "eval" { print $2, $2 }' "$key" | sort -u > "$out/all.scp"
for d in enr30_test4 enr30_test4_deg enr30_test4_unseen; do awk -v d=$d '{ print d "/" $1, $2 }' bench/out/dev/$d/test.scp; done >> "$out/all.scp"
for c in speechocean762 mini-librispeech fsdd; do
	find ../shared/corpora/$c -name '*.wav' | sort | awk -v c=$c '{ n = split($1, p, "/"); print "corpus:" c "/" p[n-1] "_" p[n], $1 }'
done >> "$out/all.scp"
wc -l "$out/all.scp"
$vg spoof --model "$model" --list "$out/all.scp" --out "$out/all.scores" 2>&1 | tr '\r' '\n' | tail -2
/usr/bin/python3 bench/spoof/evalsum.py "$key" "$out/all.scores" > "$out/summary.txt"
cat "$out/summary.txt"
