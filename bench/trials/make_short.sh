#!/bin/sh
# A development condition of ~1 s telephone tests: the 4 s condition's trials and enrollments, each
# test cut to its first second after leading silence (sox silence 1 0.05 1%, trim 0 1.0), so that
# short-test calibration can be told apart from FSDD's other microphone and single-word content.
# Usage: bench/trials/make_short.sh   (repository root, after make_trials.py; writes
# bench/out/dev/enr30_test1 and bench/out/dev/wav1; needs sox)
set -eu
src=bench/out/dev/enr30_test4
d=bench/out/dev/enr30_test1
mkdir -p "$d" bench/out/dev/wav1
cp "$src/enroll.scp" "$src/trials" "$d/"
: > "$d/test.scp"
while read -r id path; do
	o=bench/out/dev/wav1/$id.wav
	[ -s "$o" ] || sox "$path" -e mu-law "$o" silence 1 0.05 1% trim 0 1.0
	echo "$id $(pwd)/$o" >> "$d/test.scp"
done < "$src/test.scp"
echo "$d: $(wc -l < "$d/test.scp") tests of 1 s, $(wc -l < "$d/trials") trials"
