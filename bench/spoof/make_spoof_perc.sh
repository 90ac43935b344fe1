#!/bin/bash
# Perceptual-codec copies for countermeasure training (issue 7): every 2nd file of the bona fide
# training set and of each training family's train split (those built; pico, mbrola, rhvoice and
# freetts since c38), passed through MP3 at 12, 16 or 24
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
families=${PERC_FAMILIES:-"bonafide espeak-ng festival-diphone festival-hts flite-cg flite-diphone replay replay-room vocoder-lpc sam gnuspeech neural-vocoder voice-changer pico mbrola rhvoice freetts"}
. "$(dirname "$0")/codecs.sh"
one() {
	src=$1 dst=$2
	[ -s "$dst" ] && return 0
	h=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
	if [ "$set_" = opus ]; then
		specs=(opus-6 opus-8 opus-12 opus-16)
		spec=${specs[$((h % 4))]}
	else
		specs=(mp3-12 mp3-16 mp3-24 vorbis-0 vorbis-2)
		spec=${specs[$((h % 5))]}
	fi
	codec_roundtrip "$spec" "$src" "$dst.tmp.wav" 2>/dev/null
	sox -R "$dst.tmp.wav" -r 8000 -c 1 -e mu-law "$dst" 2>/dev/null
	rm -f "$dst.tmp.wav"
}
export -f one codec_roundtrip
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
