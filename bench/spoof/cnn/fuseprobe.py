#!/usr/bin/python3
"""Fuses a CNN probe's fold scores with the c42 recipe's LOFO fold scores (GMM+LTSS 'fused' col of
c42_a, frame net c42f_nn, VQ c42f_vq as shipped: 0.6/0.3/0.1, standardised on held rows)."""
import csv, sys
import numpy as np
# Usage: fuseprobe.py FOLD CNN_SCORES EVAL_ORDER [DUMP_DIR]: EVAL_ORDER lists the ids of cnn.py's
# evaluation items in its --out order (dump.py's index, split eval); DUMP_DIR holds run.sh's
# leave-one-family-out dumps of c42's recipe (lofo_dump.tsv, nnlofo_dump.tsv, lofo_vq_dump.tsv
# there named c42_a.tsv, c42f_nn.tsv, c42f_vq.tsv).
fold, sfile, order = sys.argv[1], sys.argv[2], sys.argv[3]
ddir = sys.argv[4] if len(sys.argv) > 4 else "/work/cache/lofo"
def load(path, col):
    out, held = {}, []
    with open(path) as f:
        r = csv.DictReader(f, delimiter="\t")
        for x in r:
            if x["fold"] != fold: continue
            v = float(x[col])
            if x["set"] == "held": held.append(v); continue
            out[(x["id"], x["codec"])] = (x["family"], v)
    mu, sd = np.mean(held), np.std(held)
    return {k: (fam, (v - mu) / sd) for k, (fam, v) in out.items()}
A = load(ddir + "/c42_a.tsv", "fused"); B = load(ddir + "/c42f_nn.tsv", "fused"); C = load(ddir + "/c42f_vq.tsv", "ltss")
base = {k: (A[k][0], 0.6 * A[k][1] + 0.3 * B[k][1] + 0.1 * C[k][1]) for k in A if k in B and k in C}
ids = [l.strip() for l in open(order)]
cnn = {}
for (c, fam, lab, s), i in zip([l.rstrip("\n").split("\t") for l in open(sfile)], ids):
    cnn[(i, c)] = float(s)
bon = np.array([v for (i, c), v in cnn.items() if c == "none" and base.get((i, c), ("", 0))[0] == "bonafide"])
mu, sd = bon.mean(), bon.std()
def eer(pos, neg):
    s = np.concatenate([pos, neg]); y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    y = y[np.argsort(-s)]; tp = np.cumsum(y) / len(pos); fp = np.cumsum(1 - y) / len(neg)
    i = np.argmin(np.abs(1 - tp - fp)); return 100 * (1 - tp[i] + fp[i]) / 2
keys = [k for k in base if k in cnn]
print("joined", len(keys), "of", len(base), len(cnn))
for w in (0, 0.3, 0.5, 0.7, 0.8, 1.0):
    res = []
    for c in ("none", "mobile"):
        for fam in sorted({base[k][0] for k in keys} - {"bonafide"}):
            sc = lambda k: (1 - w) * base[k][1] + w * (cnn[k] - mu) / sd
            pos = np.array([sc(k) for k in keys if k[1] == c and base[k][0] == fam])
            neg = np.array([sc(k) for k in keys if k[1] == c and base[k][0] == "bonafide"])
            if len(pos): res.append((fam, c, eer(pos, neg)))
    print(f"w={w}: " + " ".join(f"{f}/{c[0]}:{e:.2f}" for f, c, e in res))
