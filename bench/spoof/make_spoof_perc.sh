#!/bin/bash
# Perceptual-codec copies for countermeasure training (issue 7): every 2nd file of the bona fide
# training set and of each training family's train split, passed through MP3 at 12, 16 or 24
# kbit/s or Ogg Vorbis at quality 0 or 2 (chosen by a checksum of the path, so reruns give the
# same copies), back to 8 kHz mu-law, into <family>/train-perc/p_<name>.wav. Without them a
# low-bitrate perceptual codec the countermeasure never heard made bona fide speech look
# synthetic (MP3 at 8 kbit/s: 14 % of the dev speakers' files flagged; bench/README.md).
# With SET=opus, the other half of those files (every odd one) goes through Opus instead, the
# codec of WebRTC softphones and VoIP apps: narrowband, 6, 8, 12 or 16 kbit/s (by the same
# checksum), 20 ms frames, into <family>/train-opus/o_<name>.wav and OUT/opus_key.tsv (since the
# fifteenth session; needs opus-tools).
# Usage: [SET=perc|opus] bench/spoof/make_spoof_perc.sh [OUT] (repository root; OUT defaults to bench/out/spoof,
# after make_spoof_data.py). Also writes OUT/perc_key.tsv, the copies' key for lofo --aug. Needs sox with libsox-fmt-all (MP3 and Vorbis).
set -euo pipefail
out=${1:-bench/out/spoof}
set_=${SET:-perc}
case $set_ in
perc) prefix=p_ parity=0 ;;
opus) prefix=o_ parity=1 ;;
*) echo "SET must be perc or opus" >&2; exit 2 ;;
esac
export set_
families=${PERC_FAMILIES:-"bonafide espeak-ng festival-diphone festival-hts flite-cg flite-diphone replay replay-room vocoder-lpc sam gnuspeech neural-vocoder"}
one() {
	src=$1 dst=$2
	[ -s "$dst" ] && return 0
	h=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
	tmp=$dst.tmp
	if [ "$set_" = opus ]; then
		rates=(6 8 12 16)
		sox -R "$src" -e signed -b 16 "$tmp.in.wav" 2>/dev/null &&
			opusenc --quiet --bitrate "${rates[$((h % 4))]}" --framesize 20 "$tmp.in.wav" "$tmp.opus" &&
			opusdec --quiet --rate 8000 "$tmp.opus" "$tmp.wav"
		sox -R "$tmp.wav" -r 8000 -c 1 -e mu-law "$dst" 2>/dev/null
		rm -f "$tmp.in.wav" "$tmp.opus" "$tmp.wav"
		return 0
	fi
	case $((h % 5)) in
	0) sox -R "$src" -C 12 "$tmp.mp3" && sox -R "$tmp.mp3" -r 8000 "$tmp.wav" ;;
	1) sox -R "$src" -C 16 "$tmp.mp3" && sox -R "$tmp.mp3" -r 8000 "$tmp.wav" ;;
	2) sox -R "$src" -C 24 "$tmp.mp3" && sox -R "$tmp.mp3" -r 8000 "$tmp.wav" ;;
	3) sox -R "$src" -C 0 "$tmp.ogg" && sox -R "$tmp.ogg" -r 8000 "$tmp.wav" ;;
	4) sox -R "$src" -C 2 "$tmp.ogg" && sox -R "$tmp.ogg" -r 8000 "$tmp.wav" ;;
	esac 2>/dev/null
	sox -R "$tmp.wav" -r 8000 -c 1 -e mu-law "$dst" 2>/dev/null
	rm -f "$tmp.mp3" "$tmp.ogg" "$tmp.wav"
}
export -f one
for d in $families; do
	[ -d "$out/$d/train" ] || continue
	mkdir -p "$out/$d/train-$set_"
	find "$out/$d/train" -name '*.wav' | sort | awk -v p="$parity" 'NR % 2 == p' | while read -r f; do
		printf '%s %s\n' "$f" "$out/$d/train-$set_/$prefix$(basename "$f")"
	done
done | xargs -P "$(nproc)" -n 2 bash -c 'one "$0" "$1"'
# Their key (key.tsv's columns, codec "perc"), for the leave-one-family-out tool's --aug.
{
	printf 'id\tpath\tclass\tfamily\tsplit\tcodec\n'
	for d in $families; do
		class=spoof
		[ "$d" = bonafide ] && class=bonafide
		find "$out/$d/train-$set_" -name '*.wav' 2>/dev/null | sort | while read -r f; do
			printf '%s\t%s\t%s\t%s\ttrain\t%s\n' "$(basename "$f" .wav)" "$f" "$class" "$d" "$set_"
		done
	done
} > "$out/${set_}_key.tsv"
echo "$set_ copies: $(find "$out" -path "*/train-$set_/*.wav" | wc -l) files ($out/${set_}_key.tsv)"
