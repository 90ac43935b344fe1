#!/usr/bin/python3
"""Builds degraded-channel copies of the training speakers' recordings for `voxguard train`.

Usage (repository root):  /usr/bin/python3 bench/trials/make_augmented.py [--out bench/out/aug] [--copies 1]
                          [--from bench/out/speed --seed 150000]   (degrade the speed-perturbed speakers)
                          [--first-copy 1 --seed 450000 --out bench/out/aug2]   (a second copy of each recording)

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


def augment(src, dst, seed, babble_pool, dry=False):
    """The training copies' channel: wider ranges than the development trials' (make_trials.degrade).
    Returns its description; dry draws the same channel without writing anything."""
    return channel(src, dst, seed, babble_pool, 4, (0, 25), (-15, 8),
                   lambda rng: "%d-%d" % (rng.integers(250, 451), rng.integers(2800, 3501)),
                   ["amr-nb", "amr-nb", "gsm", "g711"], dry=dry)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "aug"))
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--from", dest="src", default=CORPORA,
                    help="folder of <corpus>/<speaker>/ recordings to degrade (default: the corpora; "
                         "e.g. bench/out/speed for the speed-perturbed speakers)")
    ap.add_argument("--seed", type=int, default=50000, help="seed of the first copy (the k-th uses seed+k)")
    ap.add_argument("--first-copy", type=int, default=0,
                    help="number the copies from this k (~aug<k>), so that a second folder of copies "
                         "made with another --seed does not reuse the first folder's names")
    ap.add_argument("--key-only", action="store_true",
                    help="write <out>/key.tsv (copy, channel drawn) for copies already made, without writing audio")
    args = ap.parse_args()
    dev = read_dev_speakers()
    jobs, pool = [], []
    for corpus in ("speechocean762", "mini-librispeech"):  # babble: original training voices
        for spk in sorted(os.listdir(os.path.join(CORPORA, corpus))):
            if os.path.isdir(os.path.join(CORPORA, corpus, spk)) and "%s/%s" % (corpus, spk) not in dev:
                pool.extend(utterances(corpus, spk)[:2])
    for corpus in ("speechocean762", "mini-librispeech"):
        for spk in sorted(os.listdir(os.path.join(args.src, corpus))):
            base_spk = spk.split("-sp")[0]
            if not os.path.isdir(os.path.join(args.src, corpus, spk)) or "%s/%s" % (corpus, base_spk) in dev:
                continue
            d = os.path.join(args.src, corpus, spk)
            utts = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".wav"))

            os.makedirs(os.path.join(args.out, corpus, spk), exist_ok=True)
            for u in utts:
                for k in range(args.first_copy, args.first_copy + args.copies):
                    base = os.path.splitext(os.path.basename(u))[0]
                    jobs.append((u, os.path.join(args.out, corpus, spk, "%s~aug%d.wav" % (base, k))))
    print("%d copies to %s" % (len(jobs), "describe" if args.key_only else "make"))
    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        desc = list(ex.map(lambda a: augment(a[1][0], a[1][1], args.seed + a[0], pool, args.key_only), enumerate(jobs)))
    # key.tsv: each copy (relative to --out) and the channel drawn for it (snr in dB)
    with open(os.path.join(args.out, "key.tsv"), "w") as f:
        for (_, dst), d in zip(jobs, desc):
            f.write("%s\t%s\n" % (os.path.relpath(dst, args.out), d))
    print("done:", args.out)


if __name__ == "__main__":
    main()
