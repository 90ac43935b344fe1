#!/usr/bin/python3
"""Noisy copies for countermeasure training (issue 7): every 2nd file of the bona fide training set
and of each given family's train split, with background noise added — white, pink or brown noise
or the babble of four bona fide training voices, at 5-25 dB SNR (drawn per file from a checksum of
its path, so reruns give the same copies) — back to 8 kHz mu-law, into <family>/train-noise/
n_<name>.wav. The same noises on both classes, so that noise stops being a cue for synthesis:
without them, genuine callers through a noisy channel were flagged as synthetic (bench/README.md,
"Genuine callers through noisy channels are flagged").

Usage (repository root, after make_spoof_data.py):
    /usr/bin/python3 bench/spoof/make_spoof_noise.py [--out bench/out/spoof] [--families F1,F2,...]
        [--split eval]   (noisy copies of every 2nd eval item instead, into <family>/eval-noise/:
                          a noisy-channel test condition)
Also writes <out>/noise_key.tsv (noise_eval_key.tsv with --split eval): every copy's id, path,
class, family, split and "noise", in key.tsv's columns, for lofo --aug. Needs sox and numpy.
"""
import argparse
import concurrent.futures as cf
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trials"))
from make_trials import colored_noise, load, save  # noqa: E402

FAMILIES = ("espeak-ng,festival-diphone,festival-hts,flite-cg,flite-diphone,replay,replay-room,vocoder-lpc,"
            "sam,gnuspeech,neural-vocoder,voice-changer,pico,mbrola,rhvoice,freetts")


def noisy(src, dst, pool):
    """Adds one drawn noise to src, writing dst; returns the description."""
    seed = zlib.crc32(src.encode())
    rng = np.random.default_rng(seed)
    x = load(src)
    kind = rng.choice(["white", "pink", "brown", "babble"])
    if kind == "babble":
        noise = np.zeros(len(x))
        for p in rng.choice(pool, 4, replace=False):
            b = np.resize(load(p), len(x))
            noise += b / (np.sqrt(np.mean(b ** 2)) + 1e-9)
    else:
        noise = colored_noise(len(x), kind, rng)
    snr = rng.uniform(5, 25)
    px, pn = np.mean(x ** 2), np.mean(noise ** 2) + 1e-12
    save(x + noise * np.sqrt(px / pn / 10 ** (snr / 10)), dst)
    return "%s snr=%.1f" % (kind, snr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/spoof")
    ap.add_argument("--families", default=FAMILIES)
    ap.add_argument("--split", choices=["train", "eval"], default="train")
    a = ap.parse_args()
    bona = os.path.join(a.out, "bonafide", "train")
    pool = sorted(os.path.join(bona, f) for f in os.listdir(bona) if f.endswith(".wav"))
    jobs, rows = [], []
    for fam in ["bonafide"] + [f for f in a.families.split(",") if f]:
        src = os.path.join(a.out, fam, a.split)
        if not os.path.isdir(src):
            print("make_spoof_noise: %s has no %s split, skipped" % (fam, a.split), file=sys.stderr)
            continue
        dst = os.path.join(a.out, fam, a.split + "-noise")
        os.makedirs(dst, exist_ok=True)
        files = sorted(f for f in os.listdir(src) if f.endswith(".wav"))
        for f in files[::2]:
            out = os.path.join(dst, "n_" + f)
            rows.append(("n_" + f[:-len(".wav")], out, "bonafide" if fam == "bonafide" else "spoof", fam))
            if not os.path.exists(out):
                jobs.append((os.path.join(src, f), out))
    print("%d noisy copies to make" % len(jobs))
    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        list(ex.map(lambda j: noisy(j[0], j[1], pool), jobs))
    key = os.path.join(a.out, "noise_key.tsv" if a.split == "train" else "noise_eval_key.tsv")
    with open(key, "w") as f:
        f.write("id\tpath\tclass\tfamily\tsplit\tcodec\n")
        for uid, path, cls, fam in rows:
            f.write("%s\t%s\t%s\t%s\t%s\tnoise\n" % (uid, path, cls, fam, a.split))
    print("done:", key)


if __name__ == "__main__":
    main()
