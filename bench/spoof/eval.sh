#!/bin/sh
# Scores the evaluation items of bench/out/spoof/key.tsv (dev speakers' bona fide, the eval split
# of every family) and all of ../shared/corpora with a countermeasure, per family and condition:
# none (as made), mobile (mobile codecs), and, when make_spoof_noise.py --split eval has built
# them, noise (noise_eval_key.tsv: background noise) and unseen (unseen_eval_key.tsv: --channels
# unseen, whole phone channels no training copy goes through), and, when make_spoof_noise.py --split
# eval --channels telephone has built it, tel: the dev speakers' bona fide through the telephone
# channel nearly every synthetic item went through, against the spoofs as made (none), so that
# the channel itself tells nothing; telmob: the same through a mobile codec too (--channels
# telephone-mobile), against the spoofs' mobile-codec copies; noisetel and unseentel: the noise and
# unseen channels on the bona fide files' tel copies (make_spoof_noise.py --bonafide-from tel),
# against the spoofs of noise and unseen.
# Usage: [OUT=DIR] bench/spoof/eval.sh MODEL [VOXGUARD]   (run from the repository root; OUT: where
# lists and scores go, default bench/out/spoof/eval)
set -eu
model=$1
vg=${2:-bench/out/voxguard}
out=${OUT:-bench/out/spoof/eval}
mkdir -p "$out"
key=$out/key.all.tsv
conds="none mobile"
cp bench/out/spoof/key.tsv "$key"
for c in noise unseen tel telmob noisetel unseentel; do
	if [ -s "bench/out/spoof/${c}_eval_key.tsv" ]; then
		tail -n +2 "bench/out/spoof/${c}_eval_key.tsv" >> "$key"
		conds="$conds $c"
	fi
done
for cond in $conds; do
	# tel's spoofs are those of none, telmob's those of mobile, noisetel's of noise, unseentel's of
	# unseen (they went through the telephone channel when made)
	case $cond in
	tel) sc=none ;;
	telmob) sc=mobile ;;
	*tel) sc=${cond%tel} ;;
	*) sc=$cond ;;
	esac
	for fam in $(awk -F'\t' -v c="$sc" 'NR > 1 && $3 == "spoof" && $5 == "eval" && $6 == c { print $4 }' "$key" | sort -u); do
		awk -F'\t' -v f="$fam" -v c="$cond" -v sc="$sc" -v o="$out/$fam.$cond" \
			'NR > 1 && $5 == "eval" && (($4 == f && $6 == sc) || ($3 == "bonafide" && $6 == c)) { print $1, $2 > (o ".scp"); print $1, $3 > (o ".key") }' "$key"
		printf '%s %s: ' "$fam" "$cond"
		$vg spoof --model "$model" --list "$out/$fam.$cond.scp" --key "$out/$fam.$cond.key" --out "$out/$fam.$cond.scores" 2>&1 | tr '\r' '\n' | grep '^spoof:'
	done
done
corpora=${CORPORA:-../shared/corpora}
for c in speechocean762 mini-librispeech fsdd; do
	find "$corpora/$c" -name '*.wav' | sort | awk '{ n = split($1, p, "/"); print p[n-1] "_" p[n], $1 }' > "$out/corpus_$c.scp"
	awk '{ print $1, "bonafide" }' "$out/corpus_$c.scp" > "$out/corpus_$c.key"
	printf '%s (all bona fide): ' "$c"
	$vg spoof --model "$model" --list "$out/corpus_$c.scp" --key "$out/corpus_$c.key" --out "$out/corpus_$c.scores" 2>&1 | tr '\r' '\n' | grep '^spoof:'
done
