#!/usr/bin/python3
"""How far a condition's LLRs are from calibrated: the Cllr of the scores as they are, after the
best offset b (s + b), the best scale a (a·s) and the best affine map (a·s + b), each fitted on the
trials themselves (so the last is minCllr's affine counterpart), and the mean target and non-target
LLR. A diagnostic for development trials, not a calibration.

Usage: /usr/bin/python3 bench/accuracy/affine.py TRIALS SCORES   (needs numpy and scipy)
"""
import sys

import numpy as np
from scipy.optimize import minimize


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
