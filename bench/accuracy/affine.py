#!/usr/bin/python3
"""How far a condition's LLRs are from calibrated: the Cllr of the scores as they are, after the
best offset b (s + b), the best scale a (a·s) and the best affine map (a·s + b), each fitted on the
trials themselves (so the last is minCllr's affine counterpart), and the mean target and non-target
LLR. A diagnostic for development trials, not a calibration.

Usage: /usr/bin/python3 bench/accuracy/affine.py TRIALS SCORES   (needs numpy; scipy's Nelder-Mead
when installed, else a grid search refined twice, which agrees to about 0.01 in a and b)
"""
import sys
from types import SimpleNamespace

import numpy as np

try:
    from scipy.optimize import minimize
except ImportError:  # Debian's python3-numpy alone: a refined grid instead
    def minimize(f, x0, method=None):
        """Minimises f on a grid refined twice around the best point; a parameter starting at 1
        is a scale (searched in 0.2..3), one starting at 0 an offset (-5..5). Returns .x and .fun
        as scipy does."""
        steps = [0.05] * len(x0)
        lo = [0.2 if v == 1 else -5.0 for v in x0]
        hi = [3.0 if v == 1 else 5.0 for v in x0]
        best = None
        for _ in range(3):
            axes = [np.arange(l, h + st / 2, st) for l, h, st in zip(lo, hi, steps)]
            for p in np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(x0), -1).T:
                v = f(p)
                if best is None or v < best[0]:
                    best = (v, p.copy())
            lo = [c - 2 * st for c, st in zip(best[1], steps)]
            hi = [c + 2 * st for c, st in zip(best[1], steps)]
            steps = [st / 10 for st in steps]
        return SimpleNamespace(x=best[1], fun=best[0])


def main():
    key = {}
    for line in open(sys.argv[1]):
        m, t, k = line.split()
        key[(m, t)] = k == "target"
    y, s = [], []
    for line in open(sys.argv[2]):
        m, t, v = line.split()
        y.append(key[(m, t)])
        s.append(float(v))
    y, s = np.array(y), np.array(s)

    def cllr(sc):
        return (np.mean(np.logaddexp(0, -sc[y])) + np.mean(np.logaddexp(0, sc[~y]))) / 2 / np.log(2)

    aff = minimize(lambda p: cllr(p[0] * s + p[1]), [1, 0], method="Nelder-Mead")
    off = minimize(lambda p: cllr(s + p[0]), [0], method="Nelder-Mead")
    sca = minimize(lambda p: cllr(p[0] * s), [1], method="Nelder-Mead")
    print("Cllr %.3f; best offset b=%.3f -> %.3f; best scale a=%.3f -> %.3f; best affine a=%.3f b=%.3f -> %.3f"
          % (cllr(s), off.x[0], off.fun, sca.x[0], sca.fun, aff.x[0], aff.x[1], aff.fun))
    print("mean LLR: targets %.2f, non-targets %.2f" % (s[y].mean(), s[~y].mean()))


if __name__ == "__main__":
    main()
