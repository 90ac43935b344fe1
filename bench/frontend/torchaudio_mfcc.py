#!/usr/bin/python3
"""Times torchaudio.compliance.kaldi.mfcc on one thread, for the front-end speed comparison in
bench/README.md. Usage: /usr/bin/python3 bench/frontend/torchaudio_mfcc.py FILE.wav [repeats]

Reports seconds of audio per CPU-second for the MFCC alone (telephone config, as voxguard's),
taking the best of the repeats, and the one-off cost of decoding the file with torchaudio.
"""
import sys
import time

import torch
import torchaudio
import torchaudio.compliance.kaldi as K

torch.set_num_threads(1)
path = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
t0 = time.process_time()
wav, rate = torchaudio.load(path)
decode = time.process_time() - t0
wav = wav[:1] * 32768
seconds = wav.shape[1] / rate
best = float("inf")
for _ in range(repeats):
    t0 = time.process_time()
    K.mfcc(wav, sample_frequency=rate, frame_length=25.0, frame_shift=10.0, num_mel_bins=23,
           low_freq=20, high_freq=3700, num_ceps=20, use_energy=True, energy_floor=0.0, dither=0.0,
           window_type="povey", preemphasis_coefficient=0.97, remove_dc_offset=True, raw_energy=True,
           cepstral_lifter=22.0, snip_edges=True)
    best = min(best, time.process_time() - t0)
print("torchaudio %s: %.1f s of audio; decode %.3f CPU-s; kaldi.mfcc best of %d: %.3f CPU-s = %.0fx real time"
      % (torchaudio.__version__, seconds, decode, repeats, best, seconds / best))
