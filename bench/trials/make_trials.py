#!/usr/bin/python3
"""Builds voxguard's development trials from ../shared/corpora, with the speakers listed in
bench/dev_speakers.txt held out of every trained component (voxguard train --exclude uses the same
list). Deterministic: the same corpora give the same files and lists.

Usage (repository root):  /usr/bin/python3 bench/trials/make_trials.py [--out bench/out/dev]

Conditions, each a folder with Kaldi-style enroll.scp, test.scp and trials:
  enr30_test4      ~30 s enrollment (several files) / one ~4 s read utterance
  enr30_test12     ~30 s enrollment / ~12 s test (3 utterances or a 12 s excerpt)
  enr30_test4_deg  the 4 s tests through a degraded phone channel: AMR-NB (random mode) or GSM or
                   plain G.711, additive noise (white/pink/brown or babble of training speakers,
                   5-20 dB SNR), a band limit (300-3400 or 200-3200 Hz), gain (-12..+6 dB, clipped)
  enr30_test25     ~30 s enrollment / a ~25 s test (whole utterances not used for enrollment,
                   concatenated; up to 4 tests per speaker): the length of a caller's opening
                   minute, where calibration must not extrapolate
  fsdd_enr5_test1  ~5 s of single spoken digits / one digit (FSDD; its speakers never train anything)
  ident_1toN       1:N: 20 held-out speakers enrolled, probes = 4 s tests of the enrolled speakers
                   (mated) and of the other held-out speakers (non-mated); `probes` maps each probe
                   to its speaker or "-"; trials is the full cross product.
Every audio file written is 8 kHz mono mu-law WAV, like the corpora.
"""
import argparse
import concurrent.futures as cf
import os
import random
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPORA = os.path.normpath(os.path.join(ROOT, "..", "shared", "corpora"))
DEV_LIST = os.path.join(ROOT, "bench", "dev_speakers.txt")


def read_dev_speakers():
    out = set()
    for line in open(DEV_LIST):
        line = line.split("#")[0].strip()
        if line:
            out.add(line)
    return out


def utterances(corpus, spk):
    d = os.path.join(CORPORA, corpus, spk)
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".wav"))


def perturbed_copies(out, factors, tag):
    """The copies that make new training speakers (make_speed.py, make_vtlp.py): for every
    speechocean762 and mini-librispeech speaker not in bench/dev_speakers.txt, every recording and
    every factor, (source, destination, factor) with destination
    <out>/<corpus>/<speaker>-<tag><factor>/<utt>~<tag><factor>.wav; the folders are created."""
    dev = read_dev_speakers()
    jobs = []
    for corpus in ("speechocean762", "mini-librispeech"):
        for spk in sorted(os.listdir(os.path.join(CORPORA, corpus))):
            if not os.path.isdir(os.path.join(CORPORA, corpus, spk)) or "%s/%s" % (corpus, spk) in dev:
                continue
            for f in factors:
                d = os.path.join(out, corpus, "%s-%s%s" % (spk, tag, f))
                os.makedirs(d, exist_ok=True)
                for u in utterances(corpus, spk):
                    base = os.path.splitext(os.path.basename(u))[0]
                    jobs.append((u, os.path.join(d, "%s~%s%s.wav" % (base, tag, f)), f))
    return jobs


def load(path):
    raw = subprocess.check_output(["sox", "-D", path, "-t", "raw", "-e", "signed", "-b", "16", "-r", "8000", "-c", "1", "-"])
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)


def save(x, path, extra=()):
    """Writes x (int16 scale) as 8 kHz mu-law WAV, through an optional sox effect chain."""
    x = np.clip(np.round(x), -32768, 32767).astype("<i2")
    cmd = ["sox", "-D", "-t", "raw", "-e", "signed", "-b", "16", "-r", "8000", "-c", "1", "-",
           "-e", "u-law", "-b", "8", path] + list(extra)
    subprocess.run(cmd, input=x.tobytes(), check=True)


def codec(path, fmt, args, seed):
    """Round-trips a WAV through a sox codec (amr-nb, gsm) in place."""
    tmp = path + "." + fmt
    subprocess.run(["sox", "-D", path] + args + ["-t", fmt, tmp], check=True)
    subprocess.run(["sox", "-D", "-t", fmt, tmp, "-r", "8000", "-e", "u-law", "-b", "8", path], check=True)
    os.remove(tmp)


def colored_noise(n, kind, rng):
    w = rng.standard_normal(n)
    if kind == "white":
        return w
    spec = np.fft.rfft(w)
    f = np.arange(len(spec)) + 1.0
    spec /= np.sqrt(f) if kind == "pink" else f
    return np.fft.irfft(spec, n)


def add_noise(x, rng, babble_pool, n_babble, snr_range, dry=False):
    """Adds to x one noise drawn with rng (white, pink, brown, or the babble of n_babble
    recordings of babble_pool, each at unit power) at an SNR drawn from snr_range (dB, over the
    whole recording's power). Returns (noisy x, kind, snr). dry: draw the same values but load no
    babble (the result is then not meaningful)."""
    kind = rng.choice(["white", "pink", "brown", "babble"])
    if kind == "babble":
        noise = np.zeros(len(x))
        for p in rng.choice(babble_pool, n_babble, replace=False):
            if dry:
                continue
            b = np.resize(load(p), len(x))
            noise += b / (np.sqrt(np.mean(b ** 2)) + 1e-9)
    else:
        noise = colored_noise(len(x), kind, rng)
    snr = rng.uniform(*snr_range)
    px, pn = np.mean(x ** 2), np.mean(noise ** 2) + 1e-12
    return x + noise * np.sqrt(px / pn / 10 ** (snr / 10)), kind, snr


def channel(src, dst, seed, babble_pool, n_babble, snr_range, gain_range, band_fn, codecs, dry=False):
    """Passes src through a random phone channel into dst: additive noise (white, pink, brown, or
    babble of n_babble recordings) at an SNR drawn from snr_range, gain from gain_range (dB,
    clipped to 16 bits), the band limit band_fn(rng) gives, then a codec drawn from codecs
    (amr-nb in a random mode, gsm, or g711 alone). Returns a description of what was drawn.
    dry: draw exactly the same values but write nothing (for a key of existing copies)."""
    rng = np.random.default_rng(seed)
    x, kind, snr = add_noise(load(src), rng, babble_pool, n_babble, snr_range, dry)
    gain = rng.uniform(*gain_range)
    x = x * 10 ** (gain / 20)
    band = band_fn(rng)
    if not dry:
        save(x, dst, ["sinc", band])
    c = rng.choice(codecs)
    if c == "amr-nb":
        mode = rng.integers(0, 8)
        if not dry:
            codec(dst, "amr-nb", ["-C", str(mode)], seed)
    elif c == "gsm" and not dry:
        codec(dst, "gsm", [], seed)
    return "%s snr=%.1f gain=%.1f band=%s codec=%s" % (kind, snr, gain, band, c)


def degrade(src, dst, seed, babble_pool):
    """The development trials' degraded channel."""
    return channel(src, dst, seed, babble_pool, 3, (5, 20), (-12, 6),
                   lambda rng: ["300-3400", "200-3200"][rng.integers(2)], ["amr-nb", "gsm", "g711"])


def write_lists(d, enroll, tests, trials):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "enroll.scp"), "w") as f:
        for m, p in enroll:
            f.write("%s %s\n" % (m, p))
    with open(os.path.join(d, "test.scp"), "w") as f:
        for t, p in tests:
            f.write("%s %s\n" % (t, p))
    with open(os.path.join(d, "trials"), "w") as f:
        for m, t, lab in trials:
            f.write("%s %s %s\n" % (m, t, lab))
    ntar = sum(1 for _, _, l in trials if l == "target")
    print("%-18s %4d enroll files, %5d tests, %7d trials (%d target)" % (os.path.basename(d), len(enroll), len(tests), len(trials), ntar))


def cross(models, tests, spk_of_test):
    return [(m, t, "target" if spk_of_test[t] == m else "nontarget") for m in models for t, _ in tests]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "dev"))
    ap.add_argument("--only-long", action="store_true", help="build only enr30_test25")
    args = ap.parse_args()
    if not os.path.isdir(CORPORA):
        sys.exit("corpora not found at " + CORPORA)
    out = os.path.abspath(args.out)
    wavdir = os.path.join(out, "wav")
    os.makedirs(wavdir, exist_ok=True)
    dev = read_dev_speakers()
    jobs = []  # (function, args) producing files

    enroll, test4, test12, test25, spk_of = [], [], [], [], {}
    for key in sorted(dev):
        corpus, spk = key.split("/")
        if corpus == "fsdd":
            continue
        utts = utterances(corpus, spk)
        durs = [int(subprocess.check_output(["soxi", "-s", u])) / 8000 for u in utts]
        total, i = 0.0, 0
        while total < 30 and i < len(utts):
            enroll.append((spk, utts[i]))
            total += durs[i]
            i += 1
        rest = list(zip(utts[i:], durs[i:]))
        group, gdur = [], 0.0
        for u, d in rest:
            group.append(u)
            gdur += d
            if gdur >= 25 and sum(1 for t, _ in test25 if t.startswith(spk + "-")) < 4:
                tid = "%s-t25-%d" % (spk, sum(1 for t, _ in test25 if t.startswith(spk + "-")))
                p = os.path.join(wavdir, tid + ".wav")
                jobs.append(("concat", group, p))
                test25.append((tid, p))
                spk_of[tid] = spk
                group, gdur = [], 0.0
        if args.only_long:
            continue
        if corpus == "speechocean762":
            for j, (u, d) in enumerate(rest):
                tid = "%s-t4-%02d" % (spk, j)
                test4.append((tid, u))
                spk_of[tid] = spk
            for j in range(0, len(rest) - 2, 3):
                tid = "%s-t12-%02d" % (spk, j // 3)
                p = os.path.join(wavdir, tid + ".wav")
                jobs.append(("concat", [u for u, _ in rest[j:j + 3]], p))
                test12.append((tid, p))
                spk_of[tid] = spk
        else:  # read audiobook speech: cut excerpts from utterances not used for enrollment
            n4 = n12 = 0
            for u, d in rest:
                if d >= 5 and n4 < 15:
                    tid = "%s-t4-%02d" % (spk, n4)
                    p = os.path.join(wavdir, tid + ".wav")
                    jobs.append(("trim", u, p, 0.5, 4.0))
                    test4.append((tid, p))
                    spk_of[tid] = spk
                    n4 += 1
                if d >= 13 and n12 < 6:
                    tid = "%s-t12-%02d" % (spk, n12)
                    p = os.path.join(wavdir, tid + ".wav")
                    jobs.append(("trim", u, p, 0.5, 12.0))
                    test12.append((tid, p))
                    spk_of[tid] = spk
                    n12 += 1

    # Babble comes from training speakers only.
    babble = []
    for corpus in ("speechocean762", "mini-librispeech"):
        for spk in sorted(os.listdir(os.path.join(CORPORA, corpus))):
            if os.path.isdir(os.path.join(CORPORA, corpus, spk)) and "%s/%s" % (corpus, spk) not in dev:
                babble.extend(utterances(corpus, spk)[:2])
    deg = []
    for k, (tid, p) in enumerate(test4):
        did = tid.replace("-t4-", "-deg-")
        dp = os.path.join(wavdir, did + ".wav")
        jobs.append(("degrade", p, dp, 1000 + k))
        deg.append((did, dp))
        spk_of[did] = spk_of[tid]

    def run(job):
        kind = job[0]
        if kind == "concat":
            subprocess.run(["sox", "-D"] + job[1] + ["-e", "u-law", "-b", "8", job[2]], check=True)
        elif kind == "trim":
            subprocess.run(["sox", "-D", job[1], "-e", "u-law", "-b", "8", job[2], "trim", str(job[3]), str(job[4])], check=True)
        return job

    models = sorted({m for m, _ in enroll})
    if args.only_long:
        with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
            list(ex.map(run, jobs))
        write_lists(os.path.join(out, "enr30_test25"), enroll, test25, cross(models, test25, spk_of))
        return
    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        list(ex.map(run, [j for j in jobs if j[0] != "degrade"]))  # degraded inputs need the trims first
        notes = list(ex.map(lambda j: (j[2], degrade(j[1], j[2], j[3], babble)), [j for j in jobs if j[0] == "degrade"]))
    with open(os.path.join(out, "degradations.txt"), "w") as f:
        for p, n in notes:
            f.write("%s %s\n" % (os.path.basename(p), n))

    write_lists(os.path.join(out, "enr30_test25"), enroll, test25, cross(models, test25, spk_of))
    write_lists(os.path.join(out, "enr30_test4"), enroll, test4, cross(models, test4, spk_of))
    write_lists(os.path.join(out, "enr30_test12"), enroll, test12, cross(models, test12, spk_of))
    write_lists(os.path.join(out, "enr30_test4_deg"), enroll, deg, cross(models, deg, spk_of))

    # FSDD: 5 s of single digits / one digit.
    rng = random.Random(762)
    fenroll, ftests = [], []
    for spk in sorted(os.listdir(os.path.join(CORPORA, "fsdd"))):
        if not os.path.isdir(os.path.join(CORPORA, "fsdd", spk)):
            continue
        utts = utterances("fsdd", spk)
        rng.shuffle(utts)
        total, i = 0.0, 0
        while total < 5:
            fenroll.append((spk, utts[i]))
            total += int(subprocess.check_output(["soxi", "-s", utts[i]])) / 8000
            i += 1
        for j, u in enumerate(utts[i:i + 40]):
            tid = "%s-w-%02d" % (spk, j)
            ftests.append((tid, u))
            spk_of[tid] = spk
    write_lists(os.path.join(out, "fsdd_enr5_test1"), fenroll, ftests, cross(sorted({m for m, _ in fenroll}), ftests, spk_of))

    # 1:N identification.
    watch = models[:20]
    wenroll = [(m, p) for m, p in enroll if m in watch]
    d = os.path.join(out, "ident_1toN")
    write_lists(d, wenroll, test4, cross(watch, test4, spk_of))
    with open(os.path.join(d, "probes"), "w") as f:
        for tid, _ in test4:
            f.write("%s %s\n" % (tid, spk_of[tid] if spk_of[tid] in watch else "-"))


if __name__ == "__main__":
    main()
