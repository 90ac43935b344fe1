#!/usr/bin/python3
"""Speaker-cross-validated fusion of two score files on development conditions (a research aid).

    /usr/bin/python3 bench/accuracy/fuse_cv.py A B DIR...

For each DIR (trials, scores_A, scores_B), fits a logistic regression on A alone, B alone and
both, on the trials of half the model speakers, scores the other half with it, and prints the
pooled EER of each: what adding B to A could give without tuning on the speakers reported.
Needs python3-sklearn.
"""
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression


def eer(t, n):
    """The equal error rate of target scores t and non-target scores n (nearest operating point)."""
    s = np.concatenate([t, n])
    y = np.concatenate([np.ones(len(t)), np.zeros(len(n))])[np.argsort(-s)]
    miss, fa = 1 - np.cumsum(y) / len(t), np.cumsum(1 - y) / len(n)
    i = np.argmin(np.abs(miss - fa))
    return (miss[i] + fa[i]) / 2


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    a_tag, b_tag = sys.argv[1:3]
    for d in sys.argv[3:]:
        lab = {tuple(l.split()[:2]): l.split()[2] == "target" for l in open(f"{d}/trials")}

        def read(tag):
            return {tuple(l.split()[:2]): float(l.split()[2]) for l in open(f"{d}/scores_{tag}")}

        a, b = read(a_tag), read(b_tag)
        keys = sorted(lab)
        y = np.array([lab[k] for k in keys])
        X = np.array([[a[k], b[k]] for k in keys])
        spk = sorted({k[0] for k in keys})
        fold = np.array([spk.index(k[0]) % 2 for k in keys])
        out = [d]
        for cols, name in (([0], a_tag), ([1], b_tag), ([0, 1], "fused")):
            s = np.zeros(len(keys))
            for f in (0, 1):
                m = LogisticRegression(C=1e4).fit(X[fold != f][:, cols], y[fold != f])
                s[fold == f] = m.decision_function(X[fold == f][:, cols])
            out.append(f"{name} {100 * eer(s[y], s[~y]):.2f}%")
        print("  ".join(out))


if __name__ == "__main__":
    main()
