#!/usr/bin/python3
"""Builds formant-warped copies of the training speakers as NEW speakers, for the back end.

Usage (repository root):  /usr/bin/python3 bench/trials/make_vtlp.py [--out bench/out/vtlp] [--factors 0.9,1.1]

Writes <out>/<corpus>/<speaker>-vt<factor>/<utt>~vt<factor>.wav for each factor, for the
speechocean762 and mini-librispeech speakers not in bench/dev_speakers.txt. Each copy keeps the
pitch, timing and phase of the original and moves its spectral envelope along the frequency axis
by the factor (a vocal tract 1/factor as long): every 32 ms Hann frame (8 ms hop, 8 kHz) is
multiplied by exp(E(f / factor) - E(f)), E the frame's cepstrally smoothed log magnitude (lifter
18), and the frames are overlap-added. Speed perturbation (make_speed.py) moves pitch and formants
together; this moves the formants alone, a second way to make new identities for LDA/PLDA from
the same training speakers. The "~vt" in the names keeps the copies out of the UBM, the S-norm
cohort, the GMM nuisance projection and the calibration trials: they train the back ends and,
with `voxguard train --formant-extractor` (the default since c35), the i-vector extractor.
"""
import argparse
import concurrent.futures as cf
import os

import numpy as np

from make_trials import ROOT, load, perturbed_copies, save

N_FFT, HOP, LIFTER = 256, 64, 18


def warp(x, factor):
    """Returns x (int16 scale, 8 kHz) with its spectral envelope scaled in frequency by factor."""
    if len(x) < N_FFT:
        return x.copy()
    win = np.hanning(N_FFT + 1)[:-1]
    pad = np.concatenate([np.zeros(N_FFT), x, np.zeros(N_FFT)])
    starts = np.arange(0, len(pad) - N_FFT + 1, HOP)
    frames = np.stack([pad[s:s + N_FFT] for s in starts]) * win
    S = np.fft.rfft(frames, axis=1)
    logmag = np.log(np.abs(S) + 1e-3)
    c = np.fft.irfft(logmag, axis=1)
    c[:, LIFTER:N_FFT - LIFTER + 1] = 0
    env = np.fft.rfft(c, axis=1).real
    bins = np.arange(N_FFT // 2 + 1)
    src = np.minimum(bins / factor, N_FFT // 2)  # E'(f) = E(f / factor)
    i0 = np.floor(src).astype(int)
    i1 = np.minimum(i0 + 1, N_FFT // 2)
    w = src - i0
    warped = (1 - w) * env[:, i0] + w * env[:, i1]
    Y = S * np.exp(warped - env)
    y = np.fft.irfft(Y, n=N_FFT, axis=1) * win
    out = np.zeros(len(pad))
    wsum = np.zeros(len(pad))
    for k, s in enumerate(starts):
        out[s:s + N_FFT] += y[k]
        wsum[s:s + N_FFT] += win ** 2
    out = out / np.maximum(wsum, 1e-3)
    out = out[N_FFT:N_FFT + len(x)]
    # the same level as the original
    r = np.sqrt(np.mean(x ** 2) / max(np.mean(out ** 2), 1e-9))
    return out * r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "vtlp"))
    ap.add_argument("--factors", default="0.9,1.1", help="comma-separated formant scale factors")
    args = ap.parse_args()
    jobs = [(src, dst, float(f)) for src, dst, f in perturbed_copies(args.out, args.factors.split(","), "vt")
            if not os.path.exists(dst)]
    print("%d files to make" % len(jobs))

    def run(j):
        tmp = j[1] + ".tmp.wav"
        save(warp(load(j[0]), j[2]), tmp)
        os.replace(tmp, j[1])

    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        list(ex.map(run, jobs))
    print("done:", args.out)


if __name__ == "__main__":
    main()
