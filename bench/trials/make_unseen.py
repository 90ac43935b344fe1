#!/usr/bin/python3
"""Builds enr30_test4_unseen: the 4 s condition's tests through degraded phone channels made of
parts no speaker-model training copy goes through (bench/trials/make_augmented.py draws white,
pink, brown or babble noise, a steep sinc band limit, gain, then AMR-NB, GSM or G.711). A check
that the degraded channel's accuracy and calibration are not learnt from our own simulator only:
the independent check degrades with tools we do not choose.

Usage (repository root, after make_trials.py; needs sox with libsox-fmt-all, opus-tools, speex):
    /usr/bin/python3 bench/trials/make_unseen.py [--out bench/out/dev]

Each test draws, seeded per file:
  - a disturbance: synthetic music (random chords of harmonic tones), mains hum with a fan-like
    band of noise, non-stationary bursts (noise under a random on/off envelope), or no additive
    noise but room reverberation (sox reverb); SNR 5-20 dB for the additive ones;
  - a spectral tilt or peak (sox bass/treble shelves or a parametric equaliser, +-6 dB);
  - a gentle band limit (2-pole sox highpass 150-400 Hz and lowpass 2900-3600 Hz);
  - gain -12..+6 dB, clipped to 16 bits;
  - a codec: Opus at 6, 8 or 12 kbit/s (opus-tools, narrowband, 20 ms frames), Speex
    narrowband (quality 3-5), or MP3 at 8 or 16 kbit/s (sox/LAME);
and ends as 8 kHz mu-law like every test. The enrollments and trials are the 4 s condition's.
Writes <out>/enr30_test4_unseen/{enroll.scp,test.scp,trials,channels.txt} and <out>/wav_unseen/.
"""
import argparse
import concurrent.futures as cf
import os
import shutil
import subprocess
import tempfile

import numpy as np

from make_trials import ROOT, load

SR = 8000


def music(n, rng):
    """Random chords of harmonic tones, a new chord every 0.3-1 s, with a decaying envelope."""
    out, t = np.zeros(n), 0
    while t < n:
        m = min(n - t, int(rng.uniform(0.3, 1.0) * SR))
        tt = np.arange(m) / SR
        env = np.exp(-tt * rng.uniform(1, 6))
        for _ in range(rng.integers(2, 5)):
            f0 = 110 * 2 ** (rng.integers(0, 36) / 12)
            for h in range(1, 6):
                if f0 * h < SR / 2:
                    out[t:t + m] += env * np.sin(2 * np.pi * f0 * h * tt + rng.uniform(0, 6.3)) / h
        t += m
    return out


def hum(n, rng):
    """Mains hum (50 or 60 Hz and its harmonics) plus a fan-like band of noise."""
    tt = np.arange(n) / SR
    f = rng.choice([50.0, 60.0])
    x = sum(np.sin(2 * np.pi * f * h * tt + rng.uniform(0, 6.3)) / h for h in range(1, 8))
    w = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    c, bw = rng.uniform(300, 1200), rng.uniform(100, 400)
    w *= np.exp(-0.5 * ((freqs - c) / bw) ** 2)
    fan = np.fft.irfft(w, n)
    return x / np.std(x) + fan / (np.std(fan) + 1e-12)


def bursts(n, rng):
    """White noise under a random on/off envelope: 50-400 ms bursts, 30-60 % of the time."""
    env, t = np.zeros(n), 0
    duty = rng.uniform(0.3, 0.6)
    while t < n:
        m = int(rng.uniform(0.05, 0.4) * SR)
        if rng.random() < duty:
            env[t:t + m] = rng.uniform(0.5, 1.0)
        t += m
    env = np.convolve(env, np.ones(40) / 40, mode="same")  # 5 ms ramps
    return rng.standard_normal(n) * env


def sox(args):
    subprocess.run(["sox", "-D"] + args, check=True, stderr=subprocess.DEVNULL)


def unseen(src, dst, seed):
    """Passes src through one drawn unseen channel into dst (8 kHz mu-law); returns its description."""
    rng = np.random.default_rng(seed)
    x = load(src)
    kind = rng.choice(["music", "hum", "bursts", "reverb"])
    desc = [kind]
    if kind != "reverb":
        noise = {"music": music, "hum": hum, "bursts": bursts}[kind](len(x), rng)
        snr = rng.uniform(5, 20)
        px, pn = np.mean(x ** 2), np.mean(noise ** 2) + 1e-12
        x = x + noise * np.sqrt(px / pn / 10 ** (snr / 10))
        desc.append("snr=%.1f" % snr)
    gain = rng.uniform(-12, 6)
    x = np.clip(np.round(x * 10 ** (gain / 20)), -32768, 32767).astype("<i2")
    desc.append("gain=%.1f" % gain)
    effects = []
    if kind == "reverb":
        rev, room = rng.integers(30, 90), rng.integers(30, 100)
        effects += ["reverb", str(rev), "50", str(room)]
        desc.append("reverb=%d/%d" % (rev, room))
    tilt = rng.choice(["bass", "treble", "peak"])
    db = rng.uniform(-6, 6)
    if tilt == "peak":
        fc = rng.uniform(500, 2500)
        effects += ["equalizer", "%.0f" % fc, "1q", "%.1f" % db]
        desc.append("peak=%.0fHz/%.1fdB" % (fc, db))
    else:
        effects += [tilt, "%.1f" % db]
        desc.append("%s=%.1fdB" % (tilt, db))
    hp, lp = rng.uniform(150, 400), rng.uniform(2900, 3600)
    effects += ["highpass", "-2", "%.0f" % hp, "lowpass", "-2", "%.0f" % lp]
    desc.append("band=%.0f-%.0f" % (hp, lp))
    codec = rng.choice(["opus", "speex", "mp3"])
    with tempfile.TemporaryDirectory() as tmp:
        pcm = os.path.join(tmp, "in.wav")
        # effects, then 16-bit PCM for the encoders (reverb's tail cut to the input's length)
        subprocess.run(["sox", "-D", "-t", "raw", "-e", "signed", "-b", "16", "-r", str(SR), "-c", "1", "-",
                        "-e", "signed", "-b", "16", pcm] + effects + ["trim", "0", "%ds" % len(x)],
                       input=x.tobytes(), check=True, stderr=subprocess.DEVNULL)
        dec = os.path.join(tmp, "dec.wav")
        if codec == "opus":
            kb = rng.choice([6, 8, 12])
            subprocess.run(["opusenc", "--quiet", "--bitrate", str(kb), "--framesize", "20", pcm,
                            os.path.join(tmp, "c.opus")], check=True)
            subprocess.run(["opusdec", "--quiet", "--rate", str(SR), os.path.join(tmp, "c.opus"), dec], check=True)
            desc.append("opus-%d" % kb)
        elif codec == "speex":
            q = rng.integers(3, 6)
            subprocess.run(["speexenc", "--quiet", "--narrowband", "--quality", str(q), pcm,
                            os.path.join(tmp, "c.spx")], check=True)
            subprocess.run(["speexdec", "--quiet", os.path.join(tmp, "c.spx"), dec], check=True,
                           stderr=subprocess.DEVNULL)
            desc.append("speex-q%d" % q)
        else:
            kb = rng.choice([8, 16])
            sox([pcm, "-C", str(kb), os.path.join(tmp, "c.mp3")])
            sox([os.path.join(tmp, "c.mp3"), "-r", str(SR), dec])
            desc.append("mp3-%d" % kb)
        sox([dec, "-r", str(SR), "-c", "1", "-e", "u-law", "-b", "8", dst])
    return " ".join(desc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "dev"))
    args = ap.parse_args()
    for tool in ("sox", "opusenc", "opusdec", "speexenc", "speexdec"):
        if shutil.which(tool) is None:
            raise SystemExit("%s not found: apt-get install sox libsox-fmt-all opus-tools speex" % tool)
    src = os.path.join(args.out, "enr30_test4")
    dst = os.path.join(args.out, "enr30_test4_unseen")
    wav = os.path.join(args.out, "wav_unseen")
    os.makedirs(dst, exist_ok=True)
    os.makedirs(wav, exist_ok=True)
    tests = [l.split() for l in open(os.path.join(src, "test.scp"))]
    jobs = []
    for k, (tid, path) in enumerate(tests):
        jobs.append((tid, path, os.path.join(wav, tid + ".wav"), 7000 + k))
    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        notes = list(ex.map(lambda j: (j[0], unseen(j[1], j[2], j[3])), jobs))
    with open(os.path.join(dst, "test.scp"), "w") as f:
        for tid, _, out, _ in jobs:
            f.write("%s %s\n" % (tid, out))
    with open(os.path.join(dst, "channels.txt"), "w") as f:
        for tid, d in notes:
            f.write("%s %s\n" % (tid, d))
    for name in ("enroll.scp", "trials"):
        shutil.copy(os.path.join(src, name), os.path.join(dst, name))
    print("%s: %d tests through unseen channels" % (dst, len(jobs)))


if __name__ == "__main__":
    main()
