#!/usr/bin/python3
"""Builds degraded-channel copies of the training speakers' recordings for `voxguard train`.

Usage (repository root):  /usr/bin/python3 bench/trials/make_augmented.py [--out bench/out/aug] [--copies 1]
                          [--from bench/out/speed --seed 150000]   (degrade the speed-perturbed speakers)
                          [--first-copy 1 --seed 450000 --out bench/out/aug2]   (a second copy of each recording)

Writes <out>/<corpus>/<speaker>/<utt>~aug<k>.wav for speechocean762 and mini-librispeech speakers
NOT in bench/dev_speakers.txt (held-out speakers are never touched). Each copy goes through a
random channel drawn independently per file (seeded): additive noise (white, pink, brown or babble
of other training speakers, 0-25 dB SNR), a band limit (250-450 Hz low edge, 2800-3500 Hz high
edge), gain (-15..+8 dB, clipped to 16 bits) and a codec (AMR-NB in a random mode, GSM 06.10, or
G.711 only). Pass the two folders to train with --corpus; the "~" in the names tells the trainer
they are copies (calibration trials use originals only).

--channels diverse draws from a wider set of channels instead (augment_diverse): the same four
noises plus car rumble, intermittent tones and synthetic room reverberation, an optional overdrive,
a spectral tilt, and Vorbis or IMA ADPCM among the codecs. None of its parts is one of
bench/trials/make_unseen.py's (music, hum, noise bursts, sox reverb, sox shelving and peaking
equalisers, Opus, Speex, MP3), so that condition stays a test of channels never trained on.
"""
import argparse
import concurrent.futures as cf
import os

import subprocess

import numpy as np

from make_trials import CORPORA, ROOT, channel, codec, colored_noise, load, read_dev_speakers, save, utterances

SR = 8000


def augment(src, dst, seed, babble_pool, dry=False):
    """The training copies' channel: wider ranges than the development trials' (make_trials.degrade).
    Returns its description; dry draws the same channel without writing anything."""
    return channel(src, dst, seed, babble_pool, 4, (0, 25), (-15, 8),
                   lambda rng: "%d-%d" % (rng.integers(250, 451), rng.integers(2800, 3501)),
                   ["amr-nb", "amr-nb", "gsm", "g711"], dry=dry)


def car(n, rng):
    """Car rumble: brown noise low-passed at 150-500 Hz plus engine harmonics (25-60 Hz)."""
    w = np.fft.rfft(colored_noise(n, "brown", rng))
    f = np.fft.rfftfreq(n, 1 / SR)
    w /= 1 + (f / rng.uniform(150, 500)) ** 4
    x = np.fft.irfft(w, n)
    x /= np.std(x) + 1e-12
    tt = np.arange(n) / SR
    f0 = rng.uniform(25, 60)
    eng = sum(np.sin(2 * np.pi * f0 * h * tt + rng.uniform(0, 6.3)) / h for h in range(1, 7))
    return x + rng.uniform(0.2, 1.0) * eng / (np.std(eng) + 1e-12)


def tones(n, rng):
    """Intermittent tones (400-2000 Hz, 100-500 ms on) over a pink-noise floor 20 dB down."""
    tt = np.arange(n) / SR
    x, t = np.zeros(n), 0
    while t < n:
        m = int(rng.uniform(0.1, 0.5) * SR)
        if rng.random() < 0.5:
            x[t:t + m] = np.sin(2 * np.pi * rng.uniform(400, 2000) * tt[t:t + m])
        t += m
    p = colored_noise(n, "pink", rng)
    return x + 0.1 * p / (np.std(p) + 1e-12)


def room(x, rng):
    """Synthetic room reverberation: an exponentially decaying noise response (RT60 0.2-0.9 s)
    after a direct path 0-10 dB above it, energy kept."""
    rt60 = rng.uniform(0.2, 0.9)
    tt = np.arange(int(rt60 * SR)) / SR
    h = rng.standard_normal(len(tt)) * np.exp(-6.9 * tt / rt60)
    h[0] = 0
    h *= 1 / (np.sqrt(np.sum(h ** 2)) + 1e-12)
    h[0] = 10 ** (rng.uniform(0, 10) / 20)
    y = np.convolve(x, h)[:len(x)]
    return y * np.sqrt(np.mean(x ** 2) / (np.mean(y ** 2) + 1e-12))


def augment_diverse(src, dst, seed, babble_pool, dry=False, replay_like=True):
    """A wider channel than augment's: noise (white, pink, brown, babble of 4 training voices, car
    rumble, intermittent tones, or synthetic room reverberation with a pink floor) at 0-25 dB SNR,
    an overdrive (tanh saturation) one time in five, a spectral tilt of -3..+3 dB per octave about
    1 kHz (at most +-10 dB), gain -15..+8 dB, the training band limit, then AMR-NB, GSM, G.711,
    Vorbis (quality -1..2) or IMA ADPCM. Returns its description. replay_like=False leaves out the
    parts a replay attack also shows (the reverberation and the overdrive: the countermeasure's
    copies, bench/spoof/make_spoof_noise.py --channels diverse-dry)."""
    rng = np.random.default_rng(seed)
    x = load(src)
    n = len(x)
    kinds = ["white", "pink", "brown", "babble", "car", "tones"] + (["reverb"] if replay_like else [])
    kind = rng.choice(kinds)
    snr = rng.uniform(0, 25)
    if kind == "reverb":
        x = room(x, rng)
        noise = colored_noise(n, "pink", rng)
        snr = rng.uniform(15, 30)
    elif kind == "babble":
        noise = np.zeros(n)
        for p in rng.choice(babble_pool, 4, replace=False):
            if not dry:
                b = np.resize(load(p), n)
                noise += b / (np.sqrt(np.mean(b ** 2)) + 1e-9)
    elif kind in ("car", "tones"):
        noise = {"car": car, "tones": tones}[kind](n, rng)
    else:
        noise = colored_noise(n, kind, rng)
    px, pn = np.mean(x ** 2), np.mean(noise ** 2) + 1e-12
    if not dry:
        x = x + noise * np.sqrt(px / pn / 10 ** (snr / 10))
    desc = ["%s snr=%.1f" % (kind, snr)]
    if rng.random() < 0.2 and replay_like:
        drive = rng.uniform(2, 6)
        peak = np.max(np.abs(x)) + 1e-9
        x = np.tanh(drive * x / peak) / np.tanh(drive) * peak
        desc.append("overdrive=%.1f" % drive)
    slope = rng.uniform(-3, 3)
    w = np.fft.rfft(x)
    f = np.maximum(np.fft.rfftfreq(n, 1 / SR), 50)
    w *= 10 ** (np.clip(slope * np.log2(f / 1000), -10, 10) / 20)
    x = np.fft.irfft(w, n)
    gain = rng.uniform(-15, 8)
    x = x * 10 ** (gain / 20)
    band = "%d-%d" % (rng.integers(250, 451), rng.integers(2800, 3501))
    desc.append("tilt=%.1f gain=%.1f band=%s" % (slope, gain, band))
    if not dry:
        save(x, dst, ["sinc", band])
    c = rng.choice(["amr-nb", "gsm", "g711", "vorbis", "ima-adpcm"])
    if c == "amr-nb":
        mode = rng.integers(0, 8)
        if not dry:
            codec(dst, "amr-nb", ["-C", str(mode)], seed)
        c += "-%d" % mode
    elif c == "gsm" and not dry:
        codec(dst, "gsm", [], seed)
    elif c == "vorbis":
        q = rng.integers(-1, 3)
        if not dry:
            codec(dst, "ogg", ["-C", str(q)], seed)
        c += "%d" % q
    elif c == "ima-adpcm" and not dry:
        tmp = dst + ".ima.wav"
        subprocess.run(["sox", "-D", dst, "-e", "ima-adpcm", "-b", "4", tmp], check=True)
        subprocess.run(["sox", "-D", tmp, "-e", "u-law", "-b", "8", dst], check=True)
        os.remove(tmp)
    desc.append("codec=" + c)
    return " ".join(desc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "aug"))
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--from", dest="src", default=CORPORA,
                    help="folder of <corpus>/<speaker>/ recordings to degrade (default: the corpora; "
                         "e.g. bench/out/speed for the speed-perturbed speakers)")
    ap.add_argument("--seed", type=int, default=50000, help="seed of the first copy (the k-th uses seed+k)")
    ap.add_argument("--first-copy", type=int, default=0,
                    help="number the copies from this k (~aug<k>), so that a second folder of copies "
                         "made with another --seed does not reuse the first folder's names")
    ap.add_argument("--key-only", action="store_true",
                    help="write <out>/key.tsv (copy, channel drawn) for copies already made, without writing audio")
    ap.add_argument("--channels", choices=["train", "diverse"], default="train",
                    help="the channels drawn: train (augment, the default) or diverse (augment_diverse)")
    args = ap.parse_args()
    draw = augment if args.channels == "train" else augment_diverse
    dev = read_dev_speakers()
    jobs, pool = [], []
    for corpus in ("speechocean762", "mini-librispeech"):  # babble: original training voices
        for spk in sorted(os.listdir(os.path.join(CORPORA, corpus))):
            if os.path.isdir(os.path.join(CORPORA, corpus, spk)) and "%s/%s" % (corpus, spk) not in dev:
                pool.extend(utterances(corpus, spk)[:2])
    for corpus in ("speechocean762", "mini-librispeech"):
        for spk in sorted(os.listdir(os.path.join(args.src, corpus))):
            base_spk = spk.split("-sp")[0]
            if not os.path.isdir(os.path.join(args.src, corpus, spk)) or "%s/%s" % (corpus, base_spk) in dev:
                continue
            d = os.path.join(args.src, corpus, spk)
            utts = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".wav"))

            os.makedirs(os.path.join(args.out, corpus, spk), exist_ok=True)
            for u in utts:
                for k in range(args.first_copy, args.first_copy + args.copies):
                    base = os.path.splitext(os.path.basename(u))[0]
                    jobs.append((u, os.path.join(args.out, corpus, spk, "%s~aug%d.wav" % (base, k))))
    print("%d copies to %s" % (len(jobs), "describe" if args.key_only else "make"))
    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        desc = list(ex.map(lambda a: draw(a[1][0], a[1][1], args.seed + a[0], pool, args.key_only), enumerate(jobs)))
    # key.tsv: each copy (relative to --out) and the channel drawn for it (snr in dB)
    with open(os.path.join(args.out, "key.tsv"), "w") as f:
        for (_, dst), d in zip(jobs, desc):
            f.write("%s\t%s\n" % (os.path.relpath(dst, args.out), d))
    print("done:", args.out)


if __name__ == "__main__":
    main()
