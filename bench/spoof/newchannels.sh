#!/bin/sh
# Channels the countermeasure never trained on: passes the evaluation items of
# bench/out/spoof/key.tsv (dev speakers' bona fide and every family's eval split, the clean
# condition) through each of them with sox, back to 8 kHz mu-law, and scores them with
# `voxguard spoof`: per channel, the bona fide false flags at the default threshold and each
# family's EER. Needs bench/spoof/run.sh's data and `apt-get install sox libsox-fmt-all` (opus-*:
# opus-tools; speex: speex; neither is in the default list).
# Usage: [OUT=DIR] [CHANNELS="..."] [TAG=suffix of the scores files] bench/spoof/newchannels.sh MODEL [VOXGUARD]   (repository root)
set -eu
model=$1
vg=${2:-bench/out/voxguard}
out=${OUT:-bench/out/spoof/newch}
key=bench/out/spoof/key.tsv
channels=${CHANNELS:-"alaw adpcm mp3-16 mp3-8 vorbis loss3"}
mkdir -p "$out"
awk -F'\t' 'NR > 1 && $5 == "eval" && $6 == "none" { print $1 "\t" $2 "\t" $3 "\t" $4 }' "$key" > "$out/items.tsv"
. "$(dirname "$0")/codecs.sh"
# through CHANNEL SRC DST: one file through one channel, written as 8 kHz mu-law.
through() {
	ch=$1 src=$2 dst=$3 tmp=$dst.tmp
	case $ch in
	alaw) sox -R "$src" -e a-law "$tmp.wav" ;;                      # G.711 A-law
	adpcm) sox -R "$src" -e ima-adpcm "$tmp.wav" ;;                 # 4-bit ADPCM (~G.726 at 32 kbit/s)
	mp3-16 | mp3-8 | opus-8 | opus-12 | speex) codec_roundtrip "$ch" "$src" "$tmp.wav" ;; # Opus: WebRTC, VoIP apps; Speex: older VoIP
	vorbis) codec_roundtrip vorbis--1 "$src" "$tmp.wav" ;;
	loss3)  # 3% of 20 ms packets lost and replaced by silence (no concealment), seeded by the name
		seed=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
		n=$(soxi -s "$src")
		awk -v n="$n" -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < n; i += 160) if (rand() < 0.03) printf "%d\n", i }' > "$tmp.loss"
		sox -R "$src" -t s16 -e signed -b 16 -c 1 -r 8000 "$tmp.raw"
		python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read())
for l in open(sys.argv[2]):
    i = 2 * int(l)
    d[i:i + 320] = bytes(len(d[i:i + 320]))
open(sys.argv[1], "wb").write(d)' "$tmp.raw" "$tmp.loss"
		sox -R -t s16 -e signed -b 16 -c 1 -r 8000 "$tmp.raw" "$tmp.wav" && rm -f "$tmp.raw" "$tmp.loss" ;;
	*) echo "unknown channel $ch" >&2; exit 2 ;;
	esac
	sox -R "$tmp.wav" -r 8000 -c 1 -e mu-law "$dst" && rm -f "$tmp.wav"
}
for ch in $channels; do
	mkdir -p "$out/$ch"
	: > "$out/$ch.scp"
	: > "$out/$ch.key"
	while IFS="$(printf '\t')" read -r id path class fam; do
		dst="$out/$ch/$id.wav"
		[ -s "$dst" ] || through "$ch" "$path" "$dst"
		printf '%s %s\n' "$id" "$dst" >> "$out/$ch.scp"
		printf '%s %s\n' "$id" "$class" >> "$out/$ch.key"
	done < "$out/items.tsv"
	$vg spoof --model "$model" --list "$out/$ch.scp" --out "$out/$ch.scores${TAG:-}" > /dev/null 2>&1
	python3 - "$out/items.tsv" "$out/$ch.scores${TAG:-}" "$ch" <<'PY'
import sys
fam = {}
for l in open(sys.argv[1]):
    i, p, c, f = l.rstrip("\n").split("\t"); fam[i] = f
sc = {}
flag = {}
for l in open(sys.argv[2]):
    p = l.split()
    if len(p) >= 3:
        sc[p[0]] = float(p[1]); flag[p[0]] = p[2]
bona = [sc[i] for i in sc if fam[i] == "bonafide"]
nb = sum(1 for i in sc if fam[i] == "bonafide" and flag[i] == "spoof")
def eer(t, n):
    xs = sorted(set(t + n)); best = 1.0
    for th in xs:
        fr = sum(v < th for v in t) / len(t); fa = sum(v >= th for v in n) / len(n)
        best = min(best, max(fr, fa))
    return 100 * best
out = ["%s: bona fide flagged %d of %d (%.2f%%)" % (sys.argv[3], nb, len(bona), 100.0 * nb / max(1, len(bona)))]
for f in sorted(set(fam.values()) - {"bonafide"}):
    t = [sc[i] for i in sc if fam[i] == f]
    if t:
        passed = sum(1 for i in sc if fam[i] == f and flag[i] != "spoof")
        out.append("%s %.2f%% (passed %d%%)" % (f, eer(t, bona), 100 * passed // len(t)))
print("; ".join(out))
PY
done
