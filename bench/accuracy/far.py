#!/usr/bin/python3
"""Share of a condition's impostors at or above LLR thresholds, over all non-target pairs and over
pairs of speakers of the same sex (../shared/corpora/*/speakers.tsv), with the share of targets
below. Test ids start with their speaker ("0006-t4-03"), as bench/trials/make_trials.py writes them.
Usage (repository root):  bench/accuracy/far.py bench/out/dev/enr30_test4 [SCORES] THRESHOLD...
SCORES defaults to DIR/scores (what bench/accuracy/run.sh writes)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPORA = os.path.join(ROOT, "..", "shared", "corpora")


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    d = args.pop(0)
    scores = os.path.join(d, "scores")
    if not args[0].lstrip("+-").replace(".", "", 1).isdigit():
        scores = args.pop(0)
    thresholds = [float(x) for x in args]
    sex = {}
    for c in ("speechocean762", "mini-librispeech", "fsdd"):
        path = os.path.join(CORPORA, c, "speakers.tsv")
        if not os.path.exists(path):
            continue
        lines = open(path).read().splitlines()
        col = lines[0].split("\t").index("gender")
        for l in lines[1:]:
            f = l.split("\t")
            sex[f[0]] = f[col]
    label = {}
    for l in open(os.path.join(d, "trials")):
        m, t, k = l.split()
        label[(m, t)] = k
    tar, non, same = [], [], []
    for l in open(scores):
        m, t, s = l.split()
        s = float(s)
        if label[(m, t)] == "target":
            tar.append(s)
            continue
        non.append(s)
        if sex.get(m) is not None and sex.get(m) == sex.get(t.split("-")[0]):
            same.append(s)
    share = lambda xs, th: 100 * sum(x >= th for x in xs) / max(1, len(xs))
    for th in thresholds:
        print("LLR %+.2f: impostors past %.2f%% of %d (same sex %.2f%% of %d); targets below %.2f%% of %d" % (
            th, share(non, th), len(non), share(same, th), len(same), 100 - share(tar, th), len(tar)))


if __name__ == "__main__":
    main()
