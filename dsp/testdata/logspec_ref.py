#!/usr/bin/python3
"""Reference output for dsp.LogSpectrogram from an independent implementation (numpy's FFT):
a 0.4 s test signal at 8 kHz (a harmonic tone with vibrato, a quiet gap, noise), framed 256 / 80
with a symmetric Hamming window, natural-log power of bins 0-127 (+1e-9), frames within 35 dB of
the loudest kept. Writes logspec_ref.json next to itself. Run: /usr/bin/python3 dsp/testdata/logspec_ref.py"""
import json, os
import numpy as np

rng = np.random.default_rng(5)
sr, n = 8000, 3200
t = np.arange(n) / sr
f0 = 140 + 15 * np.sin(2 * np.pi * 3 * t)
ph = 2 * np.pi * np.cumsum(f0) / sr
x = sum(0.3 / k * np.sin(k * ph) for k in range(1, 20))
x[1200:2000] *= 1e-3                                # a gap far under the floor
x[2400:] = 0.05 * rng.standard_normal(n - 2400)     # noise
x = x.astype(np.float32)
win = np.hamming(256)
idx = np.arange(256)[None, :] + 80 * np.arange(1 + (n - 256) // 80)[:, None]
p = np.abs(np.fft.rfft(x.astype(np.float64)[idx] * win, axis=1)) ** 2 + 1e-9
e = p.sum(1)
keep = e > e.max() * 10 ** -3.5
rows = np.log(p[keep, :128])
json.dump({"samples": x.tolist(), "t": int(keep.sum()), "rows": rows.reshape(-1).tolist(), "dropped": int((~keep).sum())},
          open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "logspec_ref.json"), "w"))
