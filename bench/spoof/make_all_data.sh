#!/bin/sh
# Builds every piece of the countermeasure's data that run.sh and the leave-one-family-out
# studies use, in the order that gives a usable set soonest: the families the shipped
# countermeasure trains on (every Debian engine since c38) first, with their codec, Opus,
# speed-perturbed and augmented copies; then the never-trained vocoder-hnm, codec2 and
# vocoder-mlsa probes (5 min); the four
# never-trained neural probes (neural-istft, neural-hifigan, neural-gan, neural-gan2: about two
# hours of vocoder training on 2 cores) last.
# Every step skips what is already built, so an interrupted run continues where it stopped.
# Usage: bench/spoof/make_all_data.sh [OUT]   (repository root; OUT defaults to bench/out/spoof;
# "TRAINING FAMILIES DONE" on stdout marks the point where run.sh's training data are complete)
set -eu
out=${1:-bench/out/spoof}
py=${PYTHON:-/usr/bin/python3}
# The families run.sh trains on (since c38 every Debian engine: pico, mbrola, rhvoice, freetts
# too; make_spoof_aug.py skips any the key does not hold).
train=espeak-ng,festival-diphone,festival-hts,flite-cg,flite-diphone,replay,replay-room,vocoder-lpc,sam,gnuspeech,neural-vocoder,voice-changer,pico,mbrola,rhvoice,freetts
if [ ! -s "$out/key.tsv" ]; then
	"$py" bench/spoof/make_spoof_data.py --out "$out" --neural-istft 0 --neural-hifigan 0 --neural-gan 0 --neural-gan2 0
fi
# voice-changer (pitch-shifting voice changers; a training family since the twenty-fifth session,
# 2 min): built here for a key made before it existed.
grep -q '	voice-changer	' "$out/key.tsv" || "$py" bench/spoof/make_spoof_data.py --out "$out" --only voice-changer
bench/spoof/make_spoof_perc.sh "$out"
SET=opus bench/spoof/make_spoof_perc.sh "$out"
[ -d bench/out/speed/speechocean762 ] || "$py" bench/trials/make_speed.py
"$py" bench/spoof/make_spoof_speed.py --out "$out"
"$py" bench/spoof/make_spoof_aug.py --key "$out/key.tsv" --out "$out/aug" --ops speed --eq 0 --band 0 --families "$train"
# voice-changer's speed-perturbed copies in a folder of their own, as c33 was trained (c33's
# recipe's leave-one-family-out in bench/README.md reads them; c38 trains on aug/voice-changer).
"$py" bench/spoof/make_spoof_aug.py --key "$out/key.tsv" --out "$out/aug_vc" --ops speed --eq 0 --band 0 --families voice-changer
# Both classes through degraded channels (since c40): noisy copies of every 2nd training file and
# a drawn channel without reverberation or overdrive on the other half (make_spoof_noise.py; ~5 min).
"$py" bench/spoof/make_spoof_noise.py --out "$out" --families "$train"
"$py" bench/spoof/make_spoof_noise.py --out "$out" --families "$train" --channels diverse-dry
# The bona fide files through the synthetic items' own telephone channel, with and without a
# mobile codec (since c41; ~1 min each): for training, and for eval.sh's tel and telmob.
# Since c42 also noisy and channel copies of those telephone copies (training), and noisy and
# unseen-channel ones (eval.sh's noisetel and unseentel).
for split in train eval; do
	"$py" bench/spoof/make_spoof_noise.py --out "$out" --split "$split" --channels telephone
	"$py" bench/spoof/make_spoof_noise.py --out "$out" --split "$split" --channels telephone-mobile
	"$py" bench/spoof/make_spoof_noise.py --out "$out" --split "$split" --bonafide-from tel
done
"$py" bench/spoof/make_spoof_noise.py --out "$out" --bonafide-from tel --channels diverse-dry
"$py" bench/spoof/make_spoof_noise.py --out "$out" --split eval --bonafide-from tel --channels unseen
echo "TRAINING FAMILIES DONE"
# vocoder-hnm (a WORLD-style vocoder's copy-synthesis, since the twenty-first session): a
# never-trained probe; built here for a key made before it existed.
grep -q '	vocoder-hnm	' "$out/key.tsv" || "$py" bench/spoof/make_spoof_data.py --out "$out" --only vocoder-hnm
# codec2 and vocoder-mlsa (Codec2's and SPTK's MLSA copy-synthesis, since the thirty-third
# session; 2 min): two more never-trained vocoder probes, for a key made before they existed.
grep -q '	codec2	' "$out/key.tsv" || "$py" bench/spoof/make_spoof_data.py --out "$out" --only codec2,vocoder-mlsa
for fam in neural-istft neural-hifigan neural-gan neural-gan2; do
	"$py" bench/spoof/make_spoof_data.py --out "$out" --only "$fam"
done
# Perceptual-codec and Opus copies of the probes' items too.
bench/spoof/make_spoof_perc.sh "$out"
SET=opus bench/spoof/make_spoof_perc.sh "$out"
# eval.sh's noisy and never-trained-channel test conditions, of every built family.
all=$(awk -F'\t' 'NR > 1 && $3 == "spoof" { print $4 }' "$out/key.tsv" | sort -u | paste -sd, -)
"$py" bench/spoof/make_spoof_noise.py --out "$out" --families "$all" --split eval
"$py" bench/spoof/make_spoof_noise.py --out "$out" --families "$all" --split eval --channels unseen
