#!/bin/sh
# A development condition of ~1 s telephone tests: the 4 s condition's trials and enrollments, each
# test cut to its first second after leading silence (sox silence 1 0.05 1%, trim 0 1.0), so that
# short-test calibration can be told apart from FSDD's other microphone and single-word content.
# Usage: bench/trials/make_short.sh   (repository root, after make_trials.py; writes
# bench/out/dev/enr30_test1 and bench/out/dev/wav1, then enr5_test1 and wav1e below; needs sox and
# bc)
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

# enr5_test1: the same 1 s tests against enrollments of five 1 s pieces: the first second after
# leading silence of the speaker's first enrollment recordings in turn, and of their 4th and 7th
# seconds when a speaker has fewer than five (as Mini LibriSpeech's long recordings are): the
# telephone counterpart of FSDD's 5 s of single words, with the 4 s condition's 32 held-out
# speakers instead of FSDD's six.
e=bench/out/dev/enr5_test1
mkdir -p "$e" bench/out/dev/wav1e
cp "$d/test.scp" "$d/trials" "$e/"
: > "$e/enroll.scp"
for id in $(cut -d' ' -f1 "$src/enroll.scp" | uniq); do
	k=0
	for off in 0 3 6; do
		for path in $(awk -v id="$id" '$1 == id {print $2}' "$src/enroll.scp"); do
			[ $k -lt 5 ] || break
			dur=$(soxi -D "$path")
			[ "$(echo "$dur > $off + 1.5" | bc)" = 1 ] || continue
			k=$((k + 1))
			o=bench/out/dev/wav1e/$id-e$k.wav
			[ -s "$o" ] || sox "$path" -e mu-law "$o" silence 1 0.05 1% trim "$off" 1.0
			echo "$id $(pwd)/$o" >> "$e/enroll.scp"
		done
	done
done
echo "$e: $(wc -l < "$e/enroll.scp") enrollment pieces of 1 s, $(wc -l < "$e/trials") trials"
