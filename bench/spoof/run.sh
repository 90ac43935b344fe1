#!/bin/sh
# Spoofing countermeasure benchmark (issue 7): builds the data, trains the shipped configuration
# with voxguard train-spoof on every family, scores the held-out evaluation items with
# voxguard spoof --list --key, and runs the leave-one-family-out study. Run from the repository
# root; everything lands in bench/out/spoof (gitignored).
set -eu
out=bench/out/spoof
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_data.py --out "$out" # needs numpy (griffin-lim) and python3-torchaudio (the neural vocoders)
bench/spoof/make_spoof_perc.sh "$out" # perceptual-codec copies (MP3, Vorbis) of half the training files
# Speed-perturbed copies of the training speakers as more bona fide voices (since c20): the speaker
# models' make_speed.py output, made here if missing.
[ -d bench/out/speed/speechocean762 ] || "${PYTHON:-/usr/bin/python3}" bench/trials/make_speed.py
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_speed.py --out "$out"
go build -o bench/out/voxguard ./cmd/voxguard
vg=bench/out/voxguard

# Training: bona fide training speakers (not bench/dev_speakers.txt) and every family's train split,
# each with its mobile-codec copies and its perceptual-codec copies (train-perc, since c19; each
# --bonafide folder is a threshold group, so the stated rates hold on such copies too), and the
# training speakers at speed 0.9 and 1.1 with their mobile-codec copies (bonafide-speed, since c20),
# and every family's speed-perturbed copies (aug/<family>, since c21).
# Since c38 (twenty-ninth session) every text-to-speech engine Debian offers is trained on: the
# seven of c33 (espeak-ng, festival's diphone and HTS voices, flite's two, sam, gnuspeech) and
# pico, mbrola, rhvoice and freetts, which until then stayed never-trained probes (built when their
# tools are installed: pico and mbrola are Debian non-free). The engines are two balance groups
# (--family-group), so that the spoof GMM still draws most of its frames from replay and
# copy-synthesis: each group gets one family's share (bench/README.md, "Every Debian engine in
# training, as two balance groups: shipped in c38"). TRAIN_FAMILIES and FAMILY_GROUPS override.
# griffin-lim, vocoder-hnm (copy-synthesis by a WORLD-style vocoder), codec2 and vocoder-mlsa
# (copy-synthesis by Codec2 and by SPTK's MLSA vocoder, since the thirty-third session: training on
# them made every condition worse, bench/README.md) and the neural probes (neural-istft,
# neural-hifigan, neural-gan, neural-gan2: other neural vocoders) are built and evaluated but never
# trained on: they are the held-out probes of unseen vocoders.
# --hold-out-speakers sets the thresholds on bona fide speakers each fold's model never heard
# (trains five bona fide GMMs and one spoof GMM, ~2-3 minutes).
# History of the other families: gnuspeech (GnuSpeech's articulatory synthesis, from npm) is
# trained on since c25; replay-room (a second replay simulation) since c26; neural-vocoder
# (copy-synthesis by a small NSF-HiFi-GAN-style vocoder that make_spoof_data.py trains with
# torch, ~17 min) since c27; voice-changer (bona fide speech pitch-shifted 2-7 semitones by sox's
# WSOLA pitch effect or a phase vocoder, with or without its spectral envelope kept) since c33.
# train-spoof's --balance-spoof (on by default) draws the spoof GMM's frames evenly over the
# families and groups. Since c31 train-spoof's defaults include a voice-source scorer
# (--voice-quality --vq-weight 0.1 --vq-half-rate --vq-max-frames 150: bench/README.md, "A
# WORLD-style vocoder, and voice-source statistics").
train_families=${TRAIN_FAMILIES:-espeak-ng festival-diphone festival-hts flite-cg flite-diphone replay replay-room vocoder-lpc sam gnuspeech neural-vocoder voice-changer pico mbrola rhvoice freetts}
family_groups=${FAMILY_GROUPS:---family-group tts=espeak-ng,festival-diphone,festival-hts,flite-cg,flite-diphone,sam,gnuspeech --family-group tts-more=pico,mbrola,rhvoice,freetts}
# Only the families the key holds (pico and mbrola need Debian's non-free tools).
built=$(awk -F'\t' 'NR > 1 && $3 == "spoof" { print $4 }' "$out/key.tsv" | sort -u)
train_families=$(for fam in $train_families; do
	if echo "$built" | grep -qx "$fam"; then printf '%s ' "$fam"; else echo "run.sh: $fam is not built, not trained on" >&2; fi
done)
train_csv=$(echo $train_families | tr ' ' ',')
# On the spoof side, a speed-perturbed copy of every training family's training items (since c21;
# each rebuilt and sent again through its family's channel, plus a codec copy; ~9 min).
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_aug.py --key "$out/key.tsv" --out "$out/aug" --ops speed --eq 0 --band 0 \
	--families "$train_csv"
# Both classes through degraded phone channels (since c40, thirty-first session): noisy copies of
# every 2nd training file (train-noise: white, pink, brown or babble noise at 5-25 dB SNR) and a
# copy of the other half through a whole drawn channel (train-chand: make_augmented.py's
# augment_diverse without its replay-like reverberation and overdrive: noise, tilt, gain, band
# limit and codec), the same channels on both classes so that a degraded channel stops being a cue
# for synthesis; without them genuine callers through a noisy channel were flagged
# (bench/README.md, "Genuine callers through degraded channels").
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --families "$train_csv"
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --families "$train_csv" --channels diverse-dry
# The bona fide training files through the synthetic items' own telephone channel, alone and then
# through a mobile codec (since c41, thirty-second session): nearly every synthetic item went
# through make_spoof_data.py's telephone() (a level, a band-pass on half, a noise floor), so without
# these copies that channel was itself a cue, and genuine callers on an ordinary phone line were
# flagged (bench/README.md, "The synthetic items' own telephone channel").
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --channels telephone
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --channels telephone-mobile
# And (since c42) their noisy and channel copies made from those telephone copies, as the
# synthetic items' noisy and channel copies were made from items that had gone through it.
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --bonafide-from tel
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --bonafide-from tel --channels diverse-dry
# The test conditions of noisy and never-trained channels (eval.sh's "noise" and "unseen"), for
# every built family.
all_families=$(awk -F'\t' 'NR > 1 && $3 == "spoof" { print $4 }' "$out/key.tsv" | sort -u | paste -sd, -)
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --families "$all_families" --split eval
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --families "$all_families" --split eval --channels unseen
# eval.sh's tel and telmob: the dev speakers' bona fide through that telephone channel (and a codec).
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --split eval --channels telephone
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --split eval --channels telephone-mobile
# eval.sh's noisetel and unseentel: the noise and unseen channels on those bona fide copies.
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --split eval --bonafide-from tel
"${PYTHON:-/usr/bin/python3}" bench/spoof/make_spoof_noise.py --out "$out" --split eval --bonafide-from tel --channels unseen
spoof_dirs=""
for fam in $train_families; do
	spoof_dirs="$spoof_dirs --spoof $out/$fam/train --spoof $out/$fam/train-codec --spoof $out/$fam/train-perc --spoof $out/aug/$fam/train --spoof $out/aug/$fam/train-codec"
	spoof_dirs="$spoof_dirs --spoof $out/$fam/train-noise --spoof $out/$fam/train-chand"
done
# The built families left out of training, kept out of every leave-one-family-out fold too.
no_train=$(awk -F'\t' 'NR > 1 && $3 == "spoof" { print $4 }' "$out/key.tsv" | sort -u | while read -r fam; do
	case " $train_families " in *" $fam "*) ;; *) printf '%s,' "$fam" ;; esac
done)
# Since c45 (thirty-eighth session) a fifth system, the spectrum network (--spec-net: a light CNN
# on the first 6 s of each recording's fine log power spectrum, one per speaker fold, ~9 min each
# on 2 cores), and thresholds that hold on unseen speakers with 90 % confidence
# (--threshold-confidence, train-spoof's default since then); --bonafide-scores keeps the
# held-out scores they were set on.
# Since c46 (thirty-ninth session) the network alone also trains on the families the other
# systems leave out (--spec-spoof: the neural probes, griffin-lim and the copy-synthesis vocoders,
# as two more balance groups): in leave-one-family-out each held-out vocoder family was caught
# better so (bench/README.md, "Shipped 2026-12-07 (c46)"); the other
# four systems are trained as before, bit for bit.
# Since c48 (forty-fifth session) a second network on a short window's spectrum, 8 ms frames every
# 2 ms, averaged with the first (--spec-view 64/16/32; bench/README.md, "Shipped 2026-12-07
# (c48)"): SPEC_FLAGS replaces it (SPEC_FLAGS="" trains c46's single network; "--spec-members 2"
# two networks from different seeds, averaged; "--spec-one-class" one-class networks).
# --spec-work-dir keeps each network as it is trained, so that a stopped run resumes (since the
# forty-fourth session).
# The network's own families are exactly the built ones the others leave out (no_train).
spec_families=${SPEC_FAMILIES:-$(echo "$no_train" | tr ',' ' ')}
spec_groups=${SPEC_GROUPS:---family-group neural=neural-gan,neural-gan2,neural-hifigan,neural-istft --family-group copysyn=vocoder-hnm,vocoder-mlsa,codec2,griffin-lim}
spec_dirs=""
for fam in $spec_families; do
	for d in "$out/$fam/train" "$out/$fam/train-codec" "$out/$fam/train-perc" "$out/aug/$fam/train" "$out/aug/$fam/train-codec" "$out/$fam/train-noise" "$out/$fam/train-chand"; do
		if [ -d "$d" ]; then spec_dirs="$spec_dirs --spec-spoof $d"; fi
	done
done
# shellcheck disable=SC2086
$vg train-spoof --hold-out-speakers --spec-net --spec-work-dir "$out/specwork" ${SPEC_FLAGS---spec-view 64/16/32} --bonafide-scores "$out/cm_bonafide_scores.tsv" --bonafide "$out/bonafide/train" --bonafide "$out/bonafide/train-codec" --bonafide "$out/bonafide/train-perc" \
	--bonafide "$out/bonafide-speed/train" --bonafide "$out/bonafide-speed/train-codec" --bonafide "$out/bonafide/train-noise" --bonafide "$out/bonafide/train-chand" \
	--bonafide "$out/bonafide/train-tel" --bonafide "$out/bonafide/train-telmob" \
	--bonafide "$out/bonafide/train-tel-noise" --bonafide "$out/bonafide/train-tel-chand" $spoof_dirs $spec_dirs $family_groups $spec_groups --out "$out/cm.vxgb"

# Per family and condition (dev-speaker bona fide vs the family's eval split), then all corpora.
bench/spoof/eval.sh "$out/cm.vxgb" "$vg"
# The same conditions with every file scored once (a spectrum network makes eval.sh's per-condition
# passes slow), plus the held-out speakers' 4 s tests and all of ../shared/corpora (false flags).
bench/spoof/evalall.sh "$out/cm.vxgb" "$out/evalall" "$vg"

# Leave-one-family-out (one countermeasure per built family, plus one on all), in the shipped
# configuration: the perceptron and the running cepstral mean normalisation (train-spoof's
# defaults), the perceptual-codec copies, the speed-perturbed bona fide files and the
# speed-perturbed spoof copies among the training items (a fold drops the held-out family's), the
# same balance groups; then the voice-source scorer alone in the same folds (--vq only), the frame
# network (train-spoof --frame-net, shipped since c23), and the three fused as train-spoof fuses
# them (frame network 0.3, voice-source scorer 0.1). ~30 minutes on 2 cores.
lofo_aug="$out/perc_key.tsv,$out/speed_key.tsv,$out/aug/key.tsv,$out/noise_key.tsv,$out/chand_key.tsv,$out/tel_key.tsv,$out/telmob_key.tsv,$out/noisetel_key.tsv,$out/chandtel_key.tsv"
# Since the thirty-second session the held-out families are measured against the dev speakers'
# bona fide through the synthetic items' own telephone channel (clean: tel copies; codecs: telmob
# copies), not against the recordings as made, which that channel itself told apart: key_tel.tsv
# is key.tsv with those rows swapped in.
lofo_key="$out/key_tel.tsv"
awk -F'\t' 'NR == 1 || !($3 == "bonafide" && $5 == "eval")' "$out/key.tsv" > "$lofo_key"
tail -n +2 "$out/tel_eval_key.tsv" | awk -F'\t' 'BEGIN { OFS = "\t" } { $6 = "none"; print }' >> "$lofo_key"
tail -n +2 "$out/telmob_eval_key.tsv" | awk -F'\t' 'BEGIN { OFS = "\t" } { $6 = "mobile"; print }' >> "$lofo_key"
# shellcheck disable=SC2086
go run ./bench/spoof/lofo --key "$lofo_key" --corpora ../shared/corpora --no-train "$no_train" --ltss-mlp 16 --variant cmn-causal --balance-families $family_groups \
	--aug "$lofo_aug" --dump "$out/lofo_dump.tsv"
# shellcheck disable=SC2086
go run ./bench/spoof/lofo --key "$lofo_key" --corpora '' --no-train "$no_train" --ltss-mlp 16 --variant cmn-causal --balance-families $family_groups \
	--aug "$lofo_aug" --vq only --vq-shift-ms 20 --vq-max-frames 150 --vq-half-rate --dump "$out/lofo_vq_dump.tsv"
go run ./bench/spoof/nnlofo --key "$lofo_key" --no-train "$no_train" --aug "$lofo_aug" --dump "$out/nnlofo_dump.tsv"
go run ./bench/spoof/fuse --a "$out/lofo_dump.tsv" --b "$out/nnlofo_dump.tsv" --w 0.3 --c "$out/lofo_vq_dump.tsv" --c-col ltss --wc 0.1
# The spectrum network in the same folds (~9 min a fold on 2 cores, ~3.5 h for all), fused with
# the three above as train-spoof fuses it (weight 0.8). As in train-spoof the network trains on
# every family (the other systems' never-trained ones too), so each family is a fold of its own.
# shellcheck disable=SC2086
go run ./bench/spoof/speclofo --key "$lofo_key" --aug "$lofo_aug" $family_groups $spec_groups --dump "$out/speclofo_dump.tsv"
"${PYTHON:-/usr/bin/python3}" bench/spoof/fusespec.py "$out/lofo_dump.tsv" "$out/nnlofo_dump.tsv" "$out/lofo_vq_dump.tsv" "$out/speclofo_dump.tsv" --w 0,0.8,1
