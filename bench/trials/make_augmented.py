#!/usr/bin/python3
"""Builds degraded-channel copies of the training speakers' recordings for `voxguard train`.

Usage (repository root):  /usr/bin/python3 bench/trials/make_augmented.py [--out bench/out/aug] [--copies 1]

Writes <out>/<corpus>/<speaker>/<utt>~aug<k>.wav for speechocean762 and mini-librispeech speakers
NOT in bench/dev_speakers.txt (held-out speakers are never touched). Each copy goes through a
random channel drawn independently per file (seeded): additive noise (white, pink, brown or babble
of other training speakers, 0-25 dB SNR), a band limit (250-450 Hz low edge, 2800-3500 Hz high
edge), gain (-15..+8 dB, clipped to 16 bits) and a codec (AMR-NB in a random mode, GSM 06.10, or
G.711 only). Pass the two folders to train with --corpus; the "~" in the names tells the trainer
they are copies (calibration trials use originals only).
"""
import argparse
import concurrent.futures as cf
import os

from make_trials import CORPORA, ROOT, channel, read_dev_speakers, utterances


def augment(src, dst, seed, babble_pool):
    """The training copies' channel: wider ranges than the development trials' (make_trials.degrade)."""
    channel(src, dst, seed, babble_pool, 4, (0, 25), (-15, 8),
            lambda rng: "%d-%d" % (rng.integers(250, 451), rng.integers(2800, 3501)),
            ["amr-nb", "amr-nb", "gsm", "g711"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "aug"))
    ap.add_argument("--copies", type=int, default=1)
    args = ap.parse_args()
    dev = read_dev_speakers()
    jobs, pool = [], []
    for corpus in ("speechocean762", "mini-librispeech"):
        for spk in sorted(os.listdir(os.path.join(CORPORA, corpus))):
            if not os.path.isdir(os.path.join(CORPORA, corpus, spk)) or "%s/%s" % (corpus, spk) in dev:
                continue
            utts = utterances(corpus, spk)
            pool.extend(utts[:2])
            os.makedirs(os.path.join(args.out, corpus, spk), exist_ok=True)
            for u in utts:
                for k in range(args.copies):
                    base = os.path.splitext(os.path.basename(u))[0]
                    jobs.append((u, os.path.join(args.out, corpus, spk, "%s~aug%d.wav" % (base, k))))
    print("%d copies to make" % len(jobs))
    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        list(ex.map(lambda a: augment(a[1][0], a[1][1], 50000 + a[0], pool), enumerate(jobs)))
    print("done:", args.out)


if __name__ == "__main__":
    main()
