#!/usr/bin/python3
"""Leave-one-family-out with the spectrum network fused as train-spoof fuses it.

Joins bench/spoof/lofo's dumps of the shipped systems (GMM + long-term statistics "fused" column,
the frame network's nnlofo dump, the voice-source scorer's lofo --vq only dump, "ltss" column)
with bench/spoof/speclofo's dump, fold by fold: each score is standardised on the fold's held-out
bona fide training files ("held" rows); the shipped systems are summed with weights
(1 - net - vq, net, vq) as models.SpoofFusion.FuseVQ does, that sum is standardised on the held
rows again and fused with the network's as FuseSpec does ((1 - w) base + w spec). Prints per
held-out family the EER clean and after mobile codecs and the spoofs passing the 1 % threshold of
the held rows, for each weight w.

Usage: fusespec.py A.tsv NN.tsv VQ.tsv SPEC.tsv [--w 0,0.8,1] [--net 0.3] [--vq 0.1]
"""
import argparse
import csv
import math

import numpy as np


def load(path, col):
    """fold -> {(set, id, codec): (family, score)}"""
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            out.setdefault(r["fold"], {})[(r["set"], r["id"], r["codec"])] = (r["family"], float(r[col]))
    return out


def z(rows):
    held = np.array([v for (s, _, _), (_, v) in rows.items() if s == "held" and math.isfinite(v)])
    mu, sd = held.mean(), held.std(ddof=1)
    return {k: (fam, (v - mu) / sd) for k, (fam, v) in rows.items()}


def eer(pos, neg):
    s = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])[np.argsort(-s, kind="stable")]
    tp, fp = np.cumsum(y) / len(pos), np.cumsum(1 - y) / len(neg)
    i = np.argmin(np.abs(1 - tp - fp))
    return 100 * (1 - tp[i] + fp[i]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a"), ap.add_argument("nn"), ap.add_argument("vq"), ap.add_argument("spec")
    ap.add_argument("--w", default="0,0.8,1")
    ap.add_argument("--net", type=float, default=0.3)
    ap.add_argument("--vq-weight", type=float, default=0.1)
    o = ap.parse_args()
    A, N, V, S = load(o.a, "fused"), load(o.nn, "fused"), load(o.vq, "ltss"), load(o.spec, "fused")
    ws = [float(x) for x in o.w.split(",")]
    folds = sorted(set(S) & set(A) & set(N) & set(V))
    print("| held-out | " + " | ".join(f"w={w} clean | w={w} codecs" for w in ws) + " |")
    print("|---" * (1 + 2 * len(ws)) + "|")
    means = {w: [[], []] for w in ws}
    for fold in folds:
        a, n, v, s = z(A[fold]), z(N[fold]), z(V[fold]), S[fold]
        keys = [k for k in s if k in a and k in n and k in v and math.isfinite(s[k][1])]
        wb = 1 - o.net - o.vq_weight
        base = z({k: (a[k][0], wb * a[k][1] + o.net * n[k][1] + o.vq_weight * v[k][1]) for k in keys})
        spec = z({k: s[k] for k in keys})
        cells = []
        for w in ws:
            tot = {k: (base[k][0], (1 - w) * base[k][1] + w * spec[k][1]) for k in keys}
            held = np.array([v for (st, _, _), (_, v) in tot.items() if st == "held"])
            thr = np.quantile(held, 0.99)
            for ci, codec in enumerate(("none", "mobile")):
                pos = np.array([v for (st, _, c), (f, v) in tot.items() if st == "eval" and c == codec and f == fold])
                neg = np.array([v for (st, _, c), (f, v) in tot.items() if st == "eval" and c == codec and f == "bonafide"])
                e = eer(pos, neg)
                means[w][ci].append(e)
                passing = 100 * np.mean(pos <= thr)
                cells.append(f"{e:.2f} ({passing:.0f} %)")
        print(f"| {fold} | " + " | ".join(cells) + " |")
    print(f"| mean of {len(folds)} | " + " | ".join(f"{np.mean(means[w][0]):.2f} | {np.mean(means[w][1]):.2f}" for w in ws) + " |")


if __name__ == "__main__":
    main()
