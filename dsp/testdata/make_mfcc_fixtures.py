#!/usr/bin/python3
"""Regenerates the MFCC / sliding-CMN reference fixtures for package dsp.

Independent reference: torchaudio.compliance.kaldi (Debian package python3-torchaudio), which
re-implements Kaldi's compute-mfcc-feats, and torchaudio.functional.sliding_window_cmn
(a port of Kaldi's apply-cmvn-sliding).

torchaudio runs in float64: its float32 mode carries rounding errors up to ~7e-3 on the 16 kHz
inputs (bright low bands next to near-empty high bands), which would swamp the comparison. float64
mode differs from Kaldi only in its log floor (DBL_EPSILON instead of FLT_EPSILON); the script
checks that no fixture has an energy near either floor, so the outputs are Kaldi's semantics.

Inputs are real utterances from ../shared/corpora, decoded to 16-bit integers by sox (the
wideband inputs are the same utterances upsampled to 16 kHz by sox without dither).

Run from the repository root:  /usr/bin/python3 dsp/testdata/make_mfcc_fixtures.py

File formats (all little-endian):
  <name>.s16                 raw int16 samples
  <name>.<config>.mfcc       int32 rows, int32 cols, then rows*cols float32 (row-major)
  <name>.<config>.cmn        the same, after sliding CMN (300 frames, centred, means only)
"""
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torchaudio.compliance.kaldi as K
import torchaudio.functional as F

CORPORA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/corpora")
OUT = os.path.dirname(os.path.abspath(__file__))

UTTERANCES = [
    # name, corpus path, start s, duration s
    ("so762", "speechocean762/0001/000010011.wav", 0.0, 2.6),
    ("libri", "mini-librispeech/1088/1088-134315-0000.wav", 1.0, 3.5),
    ("fsdd", "fsdd/george/0_george_0.wav", 0.0, 1.0),
]

CONFIGS = {
    "telephone": dict(sample_frequency=8000, num_mel_bins=23, low_freq=20, high_freq=3700, num_ceps=20),
    "wideband": dict(sample_frequency=16000, num_mel_bins=40, low_freq=20, high_freq=7600, num_ceps=30),
}


def sox_s16(path, rate, start, dur):
    cmd = ["sox", "-D", path, "-r", str(rate), "-e", "signed", "-b", "16", "-c", "1", "-t", "raw", "-",
           "trim", str(start), str(dur)]
    return np.frombuffer(subprocess.check_output(cmd), dtype="<i2")


def write_matrix(path, m):
    m = np.ascontiguousarray(m, dtype="<f4")
    with open(path, "wb") as f:
        f.write(struct.pack("<ii", m.shape[0], m.shape[1]))
        f.write(m.tobytes())


def main():
    if not os.path.isdir(CORPORA):
        sys.exit("corpora not found at " + CORPORA)
    for cfg_name, cfg in CONFIGS.items():
        for name, rel, start, dur in UTTERANCES:
            rate = cfg["sample_frequency"]
            pcm = sox_s16(os.path.join(CORPORA, rel), rate, start, dur)
            base = os.path.join(OUT, "%s_%d" % (name, rate // 1000))
            pcm.tofile(base + ".s16")
            common = dict(frame_length=25.0, frame_shift=10.0, window_type="povey",
                          preemphasis_coefficient=0.97, remove_dc_offset=True, raw_energy=True,
                          dither=0.0, snip_edges=True, sample_frequency=rate,
                          num_mel_bins=cfg["num_mel_bins"], low_freq=cfg["low_freq"], high_freq=cfg["high_freq"])
            wav = torch.from_numpy(pcm.astype(np.float64)).unsqueeze(0)  # int16 scale, like Kaldi
            mfcc = K.mfcc(wav, use_energy=True, energy_floor=0.0, cepstral_lifter=22.0,
                          num_ceps=cfg["num_ceps"], **common)
            fbank = K.fbank(wav, use_energy=True, energy_floor=0.0, **common)
            if fbank.min().item() < -15.0:  # log(FLT_EPSILON) = -15.9
                sys.exit("%s: an energy is near the log floor; pick another excerpt" % name)
            m32 = K.mfcc(wav.float(), use_energy=True, energy_floor=0.0, cepstral_lifter=22.0,
                         num_ceps=cfg["num_ceps"], **common).double()
            d = (m32 - mfcc).abs()
            print("  torchaudio float32 vs float64: %.2f%% within 1e-3, max %.2g" %
                  (100 * (d <= 1e-3).double().mean().item(), d.max().item()))
            write_matrix(base + "." + cfg_name + ".mfcc", mfcc.numpy())
            cmn = F.sliding_window_cmn(mfcc, cmn_window=300, min_cmn_window=100, center=True, norm_vars=False)
            write_matrix(base + "." + cfg_name + ".cmn", cmn.numpy())
            print(cfg_name, name, pcm.shape[0], "samples", tuple(mfcc.shape), "frames x ceps")


if __name__ == "__main__":
    main()
