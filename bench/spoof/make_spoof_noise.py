#!/usr/bin/python3
"""Noisy copies for countermeasure training (issue 7): every 2nd file of the bona fide training set
and of each given family's train split, with background noise added — white, pink or brown noise
or the babble of four bona fide training voices, at 5-25 dB SNR (drawn per file from a checksum of
its path, so reruns give the same copies) — back to 8 kHz mu-law, into <family>/train-noise/
n_<name>.wav. The same noises on both classes, so that noise stops being a cue for synthesis:
without them, genuine callers through a noisy channel were flagged as synthetic (bench/README.md,
"Genuine callers through noisy channels are flagged").

--channels diverse instead passes the other half of the files (every 2nd, from the 2nd) through
whole degraded phone channels, the speaker models' widest training channel
(bench/trials/make_augmented.py's augment_diverse: one of seven noises at 0-25 dB SNR, an
occasional overdrive, a spectral tilt, gain, a band limit, then AMR-NB, GSM, G.711, Vorbis or IMA
ADPCM), into <family>/<split>-chan/c_<name>.wav: noise alone did not carry over to noise after a
band limit and a codec. --channels diverse-dry (c40's training copies): the same without the
reverberation and the overdrive, which replay attacks show too (into <split>-chand/d_<name>.wav).
--channels unseen (for --split eval) passes every 2nd file through bench/trials/make_unseen.py's
channels, none of whose parts any training copy uses (music, hum, bursts or sox reverberation; sox
equalisers; Opus, Speex or MP3), into <family>/eval-unseen/u_<name>.wav: the countermeasure's test
of channels never trained on.
--channels telephone passes every bona fide file (the --families are ignored: every synthetic item
already went through it) through the telephone channel that make_spoof_data.py puts nearly every
synthetic item through (its telephone(): a level drawn 2-14 dB under full scale, a 200-350 to
3200-3500 Hz band-pass on half, coloured noise at 25-55 dB SNR, mu-law), into
bonafide/<split>-tel/t_<name>.wav: without it, that channel itself is a cue for synthesis (a band
limit alone raised the held-out speakers' scores by 1.7 nats; bench/README.md, "The synthetic
items' own telephone channel"). --channels telephone-mobile: the same, then make_spoof_data.py's
mobile codec round trip (AMR-NB or GSM), as every synthetic item's mobile-codec copy went
(bonafide/<split>-telmob/tm_<name>.wav).
--bonafide-from tel (with noise, diverse, diverse-dry or unseen) copies the bona fide files'
telephone-channel copies instead (bonafide/<split>-tel, made first by --channels telephone), and
no family: the synthetic items went through that channel before their noise or channel, so these
are the genuine side of a fair noisy or unseen-channel condition (into bonafide/<split>-tel-<kind>/,
key <kind>tel_<...>.tsv, key codec "<kind>tel": eval.sh's noisetel and unseentel).

Usage (repository root, after make_spoof_data.py):
    /usr/bin/python3 bench/spoof/make_spoof_noise.py [--out bench/out/spoof] [--families F1,F2,...]
        [--split eval]   (copies of eval items instead, into <family>/eval-noise/ etc.: a test condition)
        [--channels noise|diverse|diverse-dry|unseen|telephone|telephone-mobile] [--all]   (--all: a copy of every file)
        [--bonafide-from tel]
Also writes <out>/<key>_<split>_channels.txt (each copy's channel) and <out>/noise_key.tsv
(noise_eval_key.tsv with --split eval; chan_*, chand_*, unseen_*, tel_*, telmob_* for the other channels): every
copy's id, path, class, family, split and "noise" ("chan", "chand", "unseen", "tel", "telmob"), in key.tsv's
columns, for lofo --aug. Needs sox and numpy; --channels unseen also opus-tools and speex.
"""
import argparse
import concurrent.futures as cf
import os
import random
import sys
import tempfile
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trials"))
from make_trials import add_noise, load, save  # noqa: E402
from make_augmented import augment_diverse  # noqa: E402
from make_unseen import unseen  # noqa: E402
from make_spoof_data import SEED, codec, telephone  # noqa: E402

FAMILIES = ("espeak-ng,festival-diphone,festival-hts,flite-cg,flite-diphone,replay,replay-room,vocoder-lpc,"
            "sam,gnuspeech,neural-vocoder,voice-changer,pico,mbrola,rhvoice,freetts")


def noisy(src, dst, seed, pool):
    """Adds one drawn noise (make_trials.add_noise: babble of 4 voices, 5-25 dB SNR) to src,
    writing dst; returns the description."""
    x, kind, snr = add_noise(load(src), np.random.default_rng(seed), pool, 4, (5, 25))
    save(x, dst)
    return "%s snr=%.1f" % (kind, snr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/spoof")
    ap.add_argument("--families", default=FAMILIES)
    ap.add_argument("--split", choices=["train", "eval"], default="train")
    ap.add_argument("--channels", choices=["noise", "diverse", "diverse-dry", "unseen", "telephone", "telephone-mobile"], default="noise")
    ap.add_argument("--all", action="store_true", help="a copy of every file, not of every 2nd")
    ap.add_argument("--bonafide-from", choices=["", "tel"], default="",
                    help="tel: copy the bona fide files' telephone-channel copies (<split>-tel), no family")
    a = ap.parse_args()
    if a.bonafide_from and a.channels.startswith("telephone"):
        sys.exit("make_spoof_noise: --bonafide-from needs a noise or channel kind, not --channels " + a.channels)
    # per channel kind: its name (folder suffix, key file, key's codec column), file prefix,
    # first file of every 2nd
    name, prefix, first = {
        "noise": ("noise", "n_", 0),
        "diverse": ("chan", "c_", 1),
        "diverse-dry": ("chand", "d_", 1),
        "unseen": ("unseen", "u_", 0),
        "telephone": ("tel", "t_", 0),
        "telephone-mobile": ("telmob", "tm_", 0)}[a.channels]
    bona = os.path.join(a.out, "bonafide", "train")
    pool = sorted(os.path.join(bona, f) for f in os.listdir(bona) if f.endswith(".wav"))
    jobs, rows = [], []
    families = [] if a.channels.startswith("telephone") or a.bonafide_from else [f for f in a.families.split(",") if f]
    src_sub = a.split + ("-" + a.bonafide_from if a.bonafide_from else "")  # e.g. eval-tel
    key_name = name + a.bonafide_from  # e.g. noisetel: the key's codec column and the key file's name
    for fam in ["bonafide"] + families:
        src = os.path.join(a.out, fam, src_sub)
        if not os.path.isdir(src):
            print("make_spoof_noise: %s has no %s folder, skipped" % (fam, src_sub), file=sys.stderr)
            continue
        dst = os.path.join(a.out, fam, src_sub + "-" + name)
        os.makedirs(dst, exist_ok=True)
        files = sorted(f for f in os.listdir(src) if f.endswith(".wav"))
        for f in (files if a.all or a.channels.startswith("telephone") else files[first::2]):
            out = os.path.join(dst, prefix + f)
            rows.append((prefix + f[:-len(".wav")], out, "bonafide" if fam == "bonafide" else "spoof", fam))
            if not os.path.exists(out):
                jobs.append((os.path.join(src, f), out))
    print("%d copies to make" % len(jobs))

    def make(j):
        src, dst = j
        seed = zlib.crc32(src.encode())
        if a.channels in ("diverse", "diverse-dry"):
            return augment_diverse(src, dst, seed ^ 0x5EED, pool, replay_like=a.channels == "diverse")
        if a.channels == "unseen":
            return unseen(src, dst, seed ^ 0x0BE5)
        if a.channels.startswith("telephone"):  # make_spoof_data's own draws for a file of this name
            with tempfile.TemporaryDirectory() as tmp:
                rng = random.Random(f"{SEED}:{dst}")
                if a.channels == "telephone":
                    telephone(src, dst, rng, tmp)
                    return "telephone"
                t = os.path.join(tmp, "t.wav")
                telephone(src, t, rng, tmp)
                codec(t, dst, rng, tmp)
            return "telephone mobile"
        return noisy(src, dst, seed, pool)
    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        descs = list(ex.map(make, jobs))
    # what each copy went through (appended: a rerun only makes the missing copies)
    with open(os.path.join(a.out, key_name + "_" + a.split + "_channels.txt"), "a") as f:
        for (_, dst), d in zip(jobs, descs):
            f.write("%s %s\n" % (os.path.basename(dst)[:-len(".wav")], d))
    key = os.path.join(a.out, key_name + ("_key.tsv" if a.split == "train" else "_eval_key.tsv"))
    with open(key, "w") as f:
        f.write("id\tpath\tclass\tfamily\tsplit\tcodec\n")
        for uid, path, cls, fam in rows:
            f.write("%s\t%s\t%s\t%s\t%s\t%s\n" % (uid, path, cls, fam, a.split, key_name))
    print("done:", key)


if __name__ == "__main__":
    main()
