#!/usr/bin/env python3
"""Per family, the area under the ROC curve of each statistic of bench/spoof/vqstats's output as
a bona fide-vs-spoof detector: P(bona fide's value > the family's), on the eval split, each
codec condition ("none", "mobile") against the dev-speaker bona fide of the same condition.
0.5: no separation; near 1: the family's values are lower; near 0: higher.
Usage: /usr/bin/python3 bench/spoof/vq_auc.py STATS.tsv"""
import sys

import numpy as np


def auc(a, b):
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    rank = np.concatenate([a, b]).argsort().argsort() + 1
    return (rank[:len(a)].sum() - len(a) * (len(a) + 1) / 2) / (len(a) * len(b))


rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
x = np.array([[float(v) for v in r[5:]] for r in rows])
for codec in ("none", "mobile"):
    bona = np.array([i for i, r in enumerate(rows) if r[2] == "bonafide" and r[3] == "eval" and r[4] == codec])
    if len(bona) == 0:
        continue
    print(f"== {codec}: {len(bona)} bona fide; columns: the statistics in order")
    for fam in sorted({r[2] for r in rows} - {"bonafide"}):
        idx = np.array([i for i, r in enumerate(rows) if r[2] == fam and r[3] == "eval" and r[4] == codec])
        if len(idx) == 0:
            continue
        print(f"{fam:18s}", " ".join(f"{auc(x[bona, j], x[idx, j]):.2f}" for j in range(x.shape[1] - 1)))
