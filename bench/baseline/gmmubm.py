#!/usr/bin/python3
"""Classic GMM-UBM reference baseline, as described in the issue.

The issue reports an independent evaluation in which "a classic GMM-UBM built the way most
open-source projects build it (Kaldi MFCC + deltas, energy VAD, sliding CMN, 512-component sklearn
UBM trained on ../shared/corpora, MAP r=16, top-5 scoring, T-norm)" was run on the independent
trials. This script rebuilds that system in Python and scores it on OUR development trials
(bench/out/dev, made by bench/trials/make_trials.py), so the two trial sets can be compared through
a common reference system. It is not part of voxguard and shares no code with it.

Recipe (all choices deterministic; random state fixed by --seed, default 0):
  * Audio: torchaudio.load (decodes the 8 kHz G.711 mu-law WAVs bit-exactly, checked against a
    table-free mu-law decoder), scaled to the 16-bit range as Kaldi does.
  * Features: torchaudio.compliance.kaldi.mfcc, 8 kHz telephone config (23 mel bins, 20 cepstra,
    20-3700 Hz, dither 0, other options at their defaults), with use_energy=True (Kaldi's default,
    as in Kaldi's egs/sre10 GMM/i-vector recipe, whose mfcc.conf these settings are): the first
    coefficient is the frame's log energy instead of c0. + deltas and delta-deltas
    (torchaudio.functional.compute_deltas, window 5, i.e. Kaldi add-deltas order 2) -> 60 dims.
  * Sliding CMN: Kaldi apply-cmvn-sliding --norm-vars=false --center=true --cmn-window=300
    (same window placement rules as Kaldi's SlidingWindowCmnInternal), on all 60 dims, computed
    over all frames BEFORE voiced-frame selection.
  * Energy VAD: Kaldi compute-vad on the log energy (feature 0 before CMN): threshold =
    5.5 + 0.5 * mean(log energy) over the file;
    frame t is voiced when at least 50% of the frames in [t-2, t+2] (clipped to the file) are above
    the threshold (vad-frames-context 2, vad-proportion-threshold 0.5). With use_energy=False the
    same rule applied to c0 (~sqrt(23) times the mean log mel energy, so a far larger mean) keeps
    ~100% of frames, i.e. is no VAD at all; that is why the log energy is used.
  * UBM: sklearn GaussianMixture(512, diag, max_iter 20, reg_covar 1e-3, random_state seed,
    default k-means init) on a random sample of voiced frames (default 400k) from the training
    speakers only: speechocean762 and mini-librispeech minus bench/dev_speakers.txt. FSDD never
    trains anything.
  * Enrollment: MAP adaptation of the means only, relevance factor 16, with the statistics of all
    the model's enrollment files pooled.
  * Scoring: per test frame, the UBM's top-5 components; LLR = mean over frames of
    [log sum_{c in top5} w_c N(x; mu_c^model, S_c) - log sum_{c in top5} w_c N(x; mu_c^ubm, S_c)].
  * T-norm: cohort = one MAP model per training speaker (121), each from the first ~30 s of that
    speaker's files (in sorted order); each trial score is normalised by the mean and standard
    deviation of the test file's scores against the cohort.

Outputs `model_id test_id score` per trial to OUT/<cond>.scores (default bench/out/baseline), plus
raw (un-normalised) scores in OUT/<cond>.raw.scores. The UBM is cached in OUT/ubm.npz.

Usage (from the repository root):
  OMP_NUM_THREADS=2 /usr/bin/python3 bench/baseline/gmmubm.py [--conds c1,c2,...]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torchaudio
from scipy.special import logsumexp
from sklearn.mixture import GaussianMixture

CORPORA = os.environ.get("CORPORA", "/work/shared/corpora")
CONDS = ["enr30_test4", "enr30_test12", "enr30_test4_deg", "fsdd_enr5_test1", "enr30_test25",
         "ident_1toN"]

T0 = time.time()


def log(msg):
    print("[%7.1f s] %s" % (time.time() - T0, msg), flush=True)


# ---------------------------------------------------------------------------------------------
# Front end
# ---------------------------------------------------------------------------------------------

def load_wav(path):
    """8 kHz mono waveform as a (1, N) float tensor in the 16-bit range (Kaldi's convention)."""
    w, sr = torchaudio.load(path)
    if sr != 8000:
        raise ValueError("%s: %d Hz, expected 8000" % (path, sr))
    return w[:1] * 32768.0


def sliding_cmn(x, window=300):
    """Kaldi apply-cmvn-sliding --norm-vars=false --center=true --cmn-window=WINDOW.

    For frame t the window is [t - window/2, t - window/2 + window), shifted right if it starts
    before 0, then shifted left (and clipped at 0) if it ends after the last frame, exactly as in
    Kaldi's SlidingWindowCmnInternal. The window's mean is subtracted.
    """
    T = x.shape[0]
    t = np.arange(T)
    start = t - window // 2
    end = start + window
    neg = start < 0
    end[neg] -= start[neg]
    start[neg] = 0
    over = end > T
    start[over] -= end[over] - T
    end[over] = T
    start = np.maximum(start, 0)
    cs = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0, dtype=np.float64)])
    mean = (cs[end] - cs[start]) / (end - start)[:, None]
    return x - mean


def energy_vad(c0, threshold=5.5, mean_scale=0.5, context=2, proportion=0.5):
    """Kaldi compute-vad on the log energy: boolean mask of voiced frames."""
    T = len(c0)
    thr = threshold + mean_scale * c0.mean()
    above = (c0 > thr).astype(np.float64)
    cs = np.concatenate([[0.0], np.cumsum(above)])
    t = np.arange(T)
    lo = np.maximum(t - context, 0)
    hi = np.minimum(t + context + 1, T)
    num = cs[hi] - cs[lo]
    den = hi - lo
    return num >= den * proportion


def features(path):
    """60-dim voiced, CMN'd MFCC+deltas of one file (float64 array, frames x 60)."""
    w = load_wav(path)
    with torch.no_grad():
        m = torchaudio.compliance.kaldi.mfcc(
            w, sample_frequency=8000, num_mel_bins=23, num_ceps=20, low_freq=20, high_freq=3700,
            dither=0.0, use_energy=True)  # (T, 20), column 0 = log energy; rest at defaults
        mt = m.T  # compute_deltas works on (..., feature, time)
        d1 = torchaudio.functional.compute_deltas(mt, win_length=5)
        d2 = torchaudio.functional.compute_deltas(d1, win_length=5)
        f = torch.cat([mt, d1, d2], dim=0).T.double().numpy()
    voiced = energy_vad(f[:, 0])
    f = sliding_cmn(f, 300)
    if not voiced.any():  # never drop a whole file (did not happen on the dev lists)
        return f
    return f[voiced]


_FEAT_CACHE = {}


def feats_cached(path):
    if path not in _FEAT_CACHE:
        _FEAT_CACHE[path] = features(path)
    return _FEAT_CACHE[path]


# ---------------------------------------------------------------------------------------------
# GMM-UBM maths
# ---------------------------------------------------------------------------------------------

class UBM:
    """Diagonal GMM in arrays: weights (C,), means (C,D), variances (C,D)."""

    def __init__(self, w, mu, var):
        self.w, self.mu, self.var = w, mu, var
        self.logw = np.log(w)
        self.prec = 1.0 / var
        # per-component constant: log w_c - 0.5 * (D log 2pi + sum log var)
        self.const = self.logw - 0.5 * (mu.shape[1] * np.log(2 * np.pi) + np.log(var).sum(1))

    def comp_loglik(self, x, mu=None):
        """log w_c N(x_t; mu_c, var_c) for all frames and components, (T, C)."""
        mu = self.mu if mu is None else mu
        # -0.5 * sum_d (x - mu)^2 / var = -0.5*(x^2.P - 2 x.(mu P) + mu^2.P)
        a = (x * x) @ self.prec.T
        b = x @ (mu * self.prec).T
        c = ((mu * mu) * self.prec).sum(1)
        return self.const - 0.5 * (a - 2 * b + c)

    def stats(self, x):
        """Zeroth and first-order Baum-Welch statistics with full UBM posteriors."""
        ll = self.comp_loglik(x)
        post = np.exp(ll - logsumexp(ll, axis=1, keepdims=True))
        return post.sum(0), post.T @ x

    def map_means(self, n, f, r=16.0):
        """Relevance-MAP adapted means (means only): (F + r mu) / (n + r)."""
        return (f + r * self.mu) / (n + r)[:, None]

    def top_c(self, x, c=5):
        """Indices (T, c) of the UBM's top-c components per frame, and the UBM's top-c loglik."""
        ll = self.comp_loglik(x)
        idx = np.argpartition(-ll, c, axis=1)[:, :c]
        return idx, logsumexp(np.take_along_axis(ll, idx, 1), axis=1)

    def model_topc_loglik(self, x, idx, mu_model):
        """log sum over the given per-frame components of w_c N(x; mu_model_c, var_c), (T,)."""
        m = mu_model[idx]          # (T, c, D)
        p = self.prec[idx]
        k = self.const[idx]
        ll = k - 0.5 * (((x[:, None, :] - m) ** 2) * p).sum(2)
        return logsumexp(ll, axis=1)


# ---------------------------------------------------------------------------------------------
# Data lists
# ---------------------------------------------------------------------------------------------

def dev_speakers(path):
    out = set()
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            out.add(line)
    return out


def training_speakers(dev):
    """{'corpus/spk': [sorted wav paths]} for speechocean762 + mini-librispeech minus dev."""
    spk = {}
    for corpus in ("speechocean762", "mini-librispeech"):
        root = os.path.join(CORPORA, corpus)
        for s in sorted(os.listdir(root)):
            d = os.path.join(root, s)
            key = corpus + "/" + s
            if not os.path.isdir(d) or key in dev:
                continue
            files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".wav"))
            if files:
                spk[key] = files
    return spk


def read_scp(path):
    """List of (id, path) in file order (ids may repeat in enroll.scp)."""
    return [tuple(l.split()) for l in open(path) if l.strip()]


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def train_ubm(train, args):
    rng = np.random.default_rng(args.seed)
    log("features of %d training speakers" % len(train))
    feats = []
    nfiles = 0
    for key, files in train.items():
        for f in files:
            feats.append(feats_cached(f).astype(np.float32))
            nfiles += 1
    allf = np.concatenate(feats)
    log("training pool: %d files, %d voiced frames (%.0f s)" % (nfiles, len(allf), len(allf) / 100))
    n = min(args.ubm_frames, len(allf))
    sel = np.sort(rng.choice(len(allf), size=n, replace=False))
    x = allf[sel].astype(np.float64)
    log("fitting GaussianMixture(%d, diag) on %d frames" % (args.components, n))
    gmm = GaussianMixture(n_components=args.components, covariance_type="diag",
                          max_iter=args.em_iter, reg_covar=1e-3, random_state=args.seed,
                          verbose=2, verbose_interval=1)
    gmm.fit(x)
    log("UBM done: converged=%s n_iter=%d lower_bound=%.4f" % (gmm.converged_, gmm.n_iter_,
                                                                gmm.lower_bound_))
    return gmm.weights_, gmm.means_, gmm.covariances_


def adapt(ubm, files, r):
    n = np.zeros(len(ubm.w))
    f = np.zeros_like(ubm.mu)
    for p in files:
        x = feats_cached(p)
        if len(x) == 0:
            continue
        n1, f1 = ubm.stats(x)
        n += n1
        f += f1
    return ubm.map_means(n, f, r)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    ap.add_argument("--out", default=None, help="default REPO/bench/out/baseline")
    ap.add_argument("--conds", default=",".join(CONDS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--components", type=int, default=512)
    ap.add_argument("--em-iter", type=int, default=20)
    ap.add_argument("--ubm-frames", type=int, default=400000)
    ap.add_argument("--relevance", type=float, default=16.0)
    ap.add_argument("--topc", type=int, default=5)
    ap.add_argument("--cohort-seconds", type=float, default=30.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = args.out or os.path.join(args.repo, "bench", "out", "baseline")
    os.makedirs(out, exist_ok=True)

    dev = dev_speakers(os.path.join(args.repo, "bench", "dev_speakers.txt"))
    train = training_speakers(dev)
    log("%d dev speakers held out, %d training speakers" % (len(dev), len(train)))

    # --- UBM (cached) ---
    ubm_path = os.path.join(out, "ubm.npz")
    if os.path.exists(ubm_path):
        z = np.load(ubm_path)
        ubm = UBM(z["w"], z["mu"], z["var"])
        log("loaded UBM from %s" % ubm_path)
    else:
        w, mu, var = train_ubm(train, args)
        np.savez(ubm_path, w=w, mu=mu, var=var)
        ubm = UBM(w, mu, var)

    # --- T-norm cohort: one model per training speaker from ~30 s of voiced speech ---
    cohort = []
    need = int(args.cohort_seconds * 100)  # 10 ms frame shift
    for key, files in train.items():
        take, got = [], 0
        for f in files:
            if got >= need:
                break
            take.append(f)
            got += len(feats_cached(f))
        cohort.append(adapt(ubm, take, args.relevance))
    cohort = np.stack(cohort)  # (K, C, D)
    log("cohort: %d models" % len(cohort))
    # training features no longer needed
    _FEAT_CACHE.clear()

    for cond in args.conds.split(","):
        d = os.path.join(args.repo, "bench", "out", "dev", cond)
        if not os.path.isdir(d):
            log("skip %s (no %s)" % (cond, d))
            continue
        t1 = time.time()
        enroll = {}
        for mid, p in read_scp(os.path.join(d, "enroll.scp")):
            enroll.setdefault(mid, []).append(p)
        tests = dict(read_scp(os.path.join(d, "test.scp")))
        trials = [l.split()[:2] for l in open(os.path.join(d, "trials")) if l.strip()]
        models = {m: adapt(ubm, fs, args.relevance) for m, fs in enroll.items()}
        needed = sorted({t for _, t in trials})
        raw, tn = {}, {}
        for tid in needed:
            x = feats_cached(tests[tid])
            if len(x) == 0:
                raise SystemExit("%s: no voiced frames in %s" % (cond, tests[tid]))
            idx, ubm_ll = ubm.top_c(x, args.topc)
            coh = np.array([np.mean(ubm.model_topc_loglik(x, idx, c) - ubm_ll) for c in cohort])
            mu_c, sd_c = coh.mean(), coh.std()
            for m in {m for m, t in trials if t == tid}:
                s = float(np.mean(ubm.model_topc_loglik(x, idx, models[m]) - ubm_ll))
                raw[m, tid] = s
                tn[m, tid] = (s - mu_c) / sd_c
        with open(os.path.join(out, cond + ".scores"), "w") as fo, \
                open(os.path.join(out, cond + ".raw.scores"), "w") as fr:
            for m, t in trials:
                fo.write("%s %s %.6f\n" % (m, t, tn[m, t]))
                fr.write("%s %s %.6f\n" % (m, t, raw[m, t]))
        log("%s: %d models, %d test files, %d trials scored in %.1f s" % (
            cond, len(models), len(needed), len(trials), time.time() - t1))
    log("done")


if __name__ == "__main__":
    main()
