#!/usr/bin/python3
"""Small neural vocoders for the countermeasure's neural-vocoder spoof families (issue 7).

Modern text-to-speech and voice conversion end in a neural vocoder that turns mel frames into a
waveform (HiFi-GAN in VITS/Piper, Coqui and StyleTTS; NSF-HiFi-GAN in RVC and DiffSinger). No such
engine is packaged for Debian, and none can be downloaded here, so this script trains one on the
training speakers' own 8 kHz recordings: an NSF-HiFi-GAN-style generator (a harmonic-plus-noise
source from F0, a transposed-convolution upsampler from 40 log-mel bands at 100 frames/s, residual
dilated convolutions), fitted with a multi-resolution STFT loss and a log-mel loss (as NSF is, no
adversary). Copy-synthesis of bona fide files through it (mel and F0 in, waveform out) gives spoofs
that carry a neural vocoder's artefacts (the upsampler's imaging, the source's phase, smoothed
noise) but the speaker's own voice, the training recipe of Wang & Yamagishi (ICASSP 2023).
--arch istftnet (an iSTFTNet-style generator from the mel alone) and --arch hifigan (the same
generator without its source) make the never-trained probes neural-istft and neural-hifigan;
--gan --init fine-tunes a generator adversarially, with HiFi-GAN's period and scale
discriminators and losses (the never-trained probe neural-gan: neural-hifigan's generator, 3,000
steps, ~41 min).

Seeded (torch on CPU; multithreaded kernels may still differ in the last bits between machines,
so a rebuilt vocoder is equivalent rather than bit-identical). Needs Debian's python3-torchaudio
(torch 1.13). Run from the repository root:

    /usr/bin/python3 bench/spoof/neural_vocoder.py train [--corpora ../shared/corpora] [--dev bench/dev_speakers.txt]
        [--arch nsf-hifigan|istftnet|hifigan] [--out bench/out/spoof/tools/nvoc.pt] [--steps 4000] [--threads 2]
        [--gan --init CHECKPOINT]
    /usr/bin/python3 bench/spoof/neural_vocoder.py synth --ckpt bench/out/spoof/tools/nvoc.pt --list PAIRS
        (PAIRS: lines "source.wav<TAB>destination.wav"; writes 16-bit 8 kHz WAVs)

Only training speakers train it (bench/dev_speakers.txt are excluded); 13-17 min on 2 cores.
"""
import argparse, math, os, random, sys, time, wave

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spoof_data as msd  # noqa: E402  (the corpora's training/dev split)

RATE, HOP, NFFT, NMEL = 8000, 80, 256, 40


def load(path):
    """Returns a file's samples at 8 kHz as a float32 tensor (1, n)."""
    x, sr = torchaudio.load(path)
    x = x[:1]
    if sr != RATE:
        x = torchaudio.functional.resample(x, sr, RATE)
    return x


_melfb = None


def mel_of(x):
    """Log-mel frames (1, NMEL, 1 + n // HOP) of x (1, n): 32 ms Hann window, 10 ms hop, centred."""
    global _melfb
    if _melfb is None:
        _melfb = torchaudio.functional.melscale_fbanks(NFFT // 2 + 1, 60.0, 3800.0, NMEL, RATE, norm="slaney",
                                                       mel_scale="slaney")
    S = torch.stft(x, NFFT, HOP, window=torch.hann_window(NFFT), return_complex=True).abs()
    return torch.log(torch.clamp(torch.matmul(S.transpose(1, 2), _melfb).transpose(1, 2), min=1e-5))


def f0_of(x, frames):
    """F0 in Hz per mel frame (1, frames), 0 where unvoiced: the lag (60-400 Hz) of the largest
    normalised cross-correlation over a 40 ms window centred on the frame, voiced where that peak
    exceeds 0.5 and the frame is within 40 dB of the file's loudest, then a 3-frame median.
    (Debian's torchaudio lacks Kaldi's pitch tracker.)"""
    v = x[0].numpy().astype(np.float64)
    W, lo, hi = 320, RATE // 400, RATE // 60
    pad = np.concatenate([np.zeros(W // 2), v, np.zeros(W // 2 + hi + 1)])
    idx = np.arange(frames)[:, None] * HOP + np.arange(W)[None, :]
    a = pad[idx]
    a = a - a.mean(1, keepdims=True)
    e0 = (a * a).sum(1)
    best, lag = np.zeros(frames), np.zeros(frames)
    for L in range(lo, hi + 1):
        b = pad[idx + L]
        b = b - b.mean(1, keepdims=True)
        c = (a * b).sum(1) / np.sqrt(e0 * (b * b).sum(1) + 1e-12)
        m = c > best
        best[m], lag[m] = c[m], L
    db = 10 * np.log10(e0 + 1e-12)
    voiced = (best > 0.5) & (db > db.max() - 40)
    f0 = np.where(voiced, RATE / np.maximum(lag, 1), 0.0)
    med = np.copy(f0)
    for j in range(1, frames - 1):
        w = f0[j - 1:j + 2]
        if f0[j] > 0 and (w > 0).all():
            med[j] = np.median(w)
    return torch.tensor(med, dtype=torch.float32)[None]


class Source(nn.Module):
    """NSF's harmonic-plus-noise source: sines at F0 and 7 harmonics (amplitude 0.1) with Gaussian
    noise (0.003 voiced, 0.033 unvoiced), merged by a learnt linear map and tanh."""

    def __init__(self, harmonics=8):
        super().__init__()
        self.h = harmonics
        self.merge = nn.Linear(harmonics + 1, 1)

    def forward(self, f0, gen):
        # f0: (B, n) per sample, Hz.
        fs = f0[..., None] * torch.arange(1, self.h + 1, dtype=f0.dtype)
        phase = 2 * math.pi * torch.cumsum(fs / RATE, dim=1)
        phase = phase + 2 * math.pi * torch.rand(f0.shape[0], 1, self.h, generator=gen)
        voiced = (f0 > 0).float()[..., None]
        sines = 0.1 * torch.sin(phase) * voiced
        noise = torch.randn(sines.shape[:2] + (1,), generator=gen) * (0.003 * voiced + 0.033 * (1 - voiced))
        return torch.tanh(self.merge(torch.cat([sines + torch.randn(sines.shape, generator=gen) * 0.003, noise], -1)))


class ResBlock(nn.Module):
    """HiFi-GAN's residual block: dilated (1, 3, 9) then plain 3-tap convolutions, leaky ReLU."""

    def __init__(self, ch, dil=(1, 3, 9)):
        super().__init__()
        self.c1 = nn.ModuleList(nn.Conv1d(ch, ch, 3, dilation=d, padding=d) for d in dil)
        self.c2 = nn.ModuleList(nn.Conv1d(ch, ch, 3, padding=1) for _ in dil)

    def forward(self, x):
        for a, b in zip(self.c1, self.c2):
            x = x + b(F.leaky_relu(a(F.leaky_relu(x, 0.1)), 0.1))
        return x


def upsampler(c, r):
    """A transposed convolution from c to c/2 channels that lengthens its input exactly r times."""
    return nn.ConvTranspose1d(c, c // 2, 2 * r, stride=r, padding=r // 2 + r % 2, output_padding=r % 2)


class Generator(nn.Module):
    """Mel (B, NMEL, T) and F0 per sample (B, T*HOP) -> waveform (B, T*HOP). With source=False
    the F0 is ignored: the mel alone drives it, as in HiFi-GAN."""

    def __init__(self, ch=128, rates=(5, 4, 4), source=True):
        super().__init__()
        self.source = Source() if source else None
        self.pre = nn.Conv1d(NMEL, ch, 7, padding=3)
        self.ups, self.srcs, self.res = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        c = ch
        for i, r in enumerate(rates):
            self.ups.append(upsampler(c, r))
            c //= 2
            down = int(np.prod(rates[i + 1:]))
            self.srcs.append(nn.Conv1d(1, c, 2 * down, stride=down, padding=down // 2) if down > 1
                             else nn.Conv1d(1, c, 1))
            self.res.append(ResBlock(c))
        self.post = nn.Conv1d(c, 1, 7, padding=3)

    def forward(self, mel, f0, gen):
        n = f0.shape[1]
        s = self.source(f0, gen).transpose(1, 2) if self.source is not None else None  # (B, 1, n)
        x = self.pre(mel)
        for up, src, res in zip(self.ups, self.srcs, self.res):
            x = up(F.leaky_relu(x, 0.1))
            if s is None:
                x = res(x)
                continue
            e = src(s)
            m = min(x.shape[-1], e.shape[-1])
            x = res(x[..., :m] + e[..., :m])
        y = torch.tanh(self.post(F.leaky_relu(x, 0.1)))[:, 0]
        return F.pad(y, (0, max(0, n - y.shape[-1])))[:, :n]


class ISTFTGenerator(nn.Module):
    """An iSTFTNet-style generator (as in StyleTTS 2 and Kokoro): mel (B, NMEL, T) -> two
    transposed-convolution stages (x5, x4) -> per-step magnitude and phase of a 16-point STFT with
    a hop of 4 samples -> inverse STFT. No F0 input (f0 is ignored)."""

    def __init__(self, ch=128, rates=(5, 4), nfft=16, hop=4):
        super().__init__()
        self.nfft, self.hop = nfft, hop
        self.pre = nn.Conv1d(NMEL, ch, 7, padding=3)
        self.ups, self.res = nn.ModuleList(), nn.ModuleList()
        c = ch
        for r in rates:
            self.ups.append(upsampler(c, r))
            c //= 2
            self.res.append(ResBlock(c))
        self.post = nn.Conv1d(c, nfft + 2, 7, padding=3)

    def forward(self, mel, f0, gen):
        n = f0.shape[1]
        x = self.pre(mel)
        for up, res in zip(self.ups, self.res):
            x = res(up(F.leaky_relu(x, 0.1)))
        x = self.post(F.leaky_relu(x, 0.1))
        k = self.nfft // 2 + 1
        mag = torch.exp(torch.clamp(x[:, :k], max=6.0))
        phase = math.pi * torch.sin(x[:, k:])
        S = torch.polar(mag, phase)
        y = torch.istft(S, self.nfft, self.hop, window=torch.hann_window(self.nfft), center=True)
        y = torch.tanh(y)
        return F.pad(y, (0, max(0, n - y.shape[-1])))[:, :n]


ARCHS = {"nsf-hifigan": Generator, "istftnet": ISTFTGenerator, "hifigan": lambda: Generator(source=False)}


def stft_loss(y, x):
    """Multi-resolution STFT loss (spectral convergence + log magnitude L1) at 64/128/256/512 points."""
    loss = 0.0
    for n in (64, 128, 256, 512):
        w = torch.hann_window(n)
        Y = torch.stft(y, n, n // 4, window=w, return_complex=True).abs() + 1e-5
        X = torch.stft(x, n, n // 4, window=w, return_complex=True).abs() + 1e-5
        loss = loss + torch.norm(X - Y) / torch.norm(X) + (torch.log(X) - torch.log(Y)).abs().mean()
    return loss


def conv_stack(d, x):
    """A sub-discriminator's convolutions (leaky ReLU after each) and final projection on x: its
    flattened output and every layer's activations (for feature matching)."""
    feats = []
    for c in d.convs:
        x = F.leaky_relu(c(x), 0.1)
        feats.append(x)
    x = d.post(x)
    feats.append(x)
    return x.flatten(1), feats


class PeriodDisc(nn.Module):
    """HiFi-GAN's multi-period sub-discriminator: the waveform folded into columns of period p,
    2-D convolutions along time (channels narrowed for 2 CPU cores)."""

    def __init__(self, p, chs=(1, 16, 64, 128, 128)):
        super().__init__()
        self.p = p
        self.convs = nn.ModuleList(nn.Conv2d(chs[i], chs[i + 1], (5, 1), (3 if i < 3 else 1, 1), padding=(2, 0))
                                   for i in range(len(chs) - 1))
        self.post = nn.Conv2d(chs[-1], 1, (3, 1), padding=(1, 0))

    def forward(self, x):
        b, n = x.shape
        if n % self.p:
            x = F.pad(x, (0, self.p - n % self.p), mode="reflect")
        return conv_stack(self, x.view(b, 1, -1, self.p))


class ScaleDisc(nn.Module):
    """HiFi-GAN's multi-scale sub-discriminator on the waveform average-pooled `pool` times."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool
        self.convs = nn.ModuleList([nn.Conv1d(1, 16, 15, padding=7), nn.Conv1d(16, 64, 41, 4, groups=4, padding=20),
                                    nn.Conv1d(64, 128, 41, 4, groups=16, padding=20),
                                    nn.Conv1d(128, 128, 41, 4, groups=16, padding=20),
                                    nn.Conv1d(128, 128, 5, padding=2)])
        self.post = nn.Conv1d(128, 1, 3, padding=1)

    def forward(self, x):
        x = x[:, None]
        if self.pool > 1:
            x = F.avg_pool1d(x, 2 * self.pool, self.pool, padding=self.pool)
        return conv_stack(self, x)


def discriminators():
    """HiFi-GAN's discriminator set: periods 2, 3, 5, 7, 11 and scales 1, 2, 4."""
    return nn.ModuleList([PeriodDisc(p) for p in (2, 3, 5, 7, 11)] + [ScaleDisc(s) for s in (1, 2, 4)])


def upsample_f0(f0):
    """Per-frame F0 (B, T) -> per-sample (B, T*HOP), held within a frame and kept at 0 where unvoiced."""
    return f0.repeat_interleave(HOP, dim=1)


def train(a):
    """Fits a generator on 1 s segments of a seeded draw of training files and saves it."""
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    rng = random.Random(1)
    files = [p for _, p in msd.bonafide_recordings(a.corpora, msd.read_dev(a.dev))["train"]]
    rng.shuffle(files)
    files = files[:a.files]
    print(f"features of {len(files)} training-speaker files ...", file=sys.stderr, flush=True)
    data = []
    for p in files:
        x = load(p)
        if x.shape[1] < RATE:
            continue
        m = mel_of(x)
        data.append((x, m, f0_of(x, m.shape[-1])))
    seg = a.seconds * RATE // HOP  # frames per training segment
    G = ARCHS[a.arch]()
    D = None
    if a.init:
        ck = torch.load(a.init)
        if ck["arch"] != a.arch:
            sys.exit(f"--init {a.init} holds a {ck['arch']} generator, not {a.arch}")
        G.load_state_dict(ck["state"])
    lr = 2e-4 if a.gan else 2e-3
    opt = torch.optim.AdamW(G.parameters(), lr, betas=(0.8, 0.99))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.steps, lr / 20)
    if a.gan:
        D = discriminators()
        optd = torch.optim.AdamW(D.parameters(), lr, betas=(0.8, 0.99))
        schedd = torch.optim.lr_scheduler.CosineAnnealingLR(optd, a.steps, lr / 20)
    gen = torch.Generator().manual_seed(2)
    # A resume file beside --out, rewritten every --every steps, lets a killed run (a host
    # restart stops any background job) carry on where it stopped instead of from step 1.
    resume, first, t_before = a.out + ".resume", 1, 0.0
    tag = {"arch": a.arch, "steps": a.steps, "gan": a.gan, "batch": a.batch, "files": a.files, "init": a.init}
    if os.path.exists(resume):
        ck = torch.load(resume, weights_only=False)
        if ck["tag"] != tag:
            sys.exit(f"{resume} was written by a run with other options ({ck['tag']}); remove it to start again")
        G.load_state_dict(ck["G"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        if D is not None:
            D.load_state_dict(ck["D"])
            optd.load_state_dict(ck["optd"])
            schedd.load_state_dict(ck["schedd"])
        rng.setstate(ck["rng"])
        gen.set_state(ck["gen"])
        torch.set_rng_state(ck["torch"])
        first, t_before = ck["step"] + 1, ck["elapsed"]
        print(f"resuming at step {first} from {resume}", file=sys.stderr, flush=True)
    t0 = time.time() - t_before
    for step in range(first, a.steps + 1):
        xs, ms, fs = [], [], []
        for _ in range(a.batch):
            x, m, f = data[rng.randrange(len(data))]
            j = rng.randrange(max(1, m.shape[-1] - seg))
            ms.append(m[..., j:j + seg])
            fs.append(f[..., j:j + seg])
            xs.append(F.pad(x[:, j * HOP:(j + seg) * HOP], (0, seg * HOP))[:, :seg * HOP])
        x, m, f = torch.cat(xs), torch.cat(ms), torch.cat(fs)
        y = G(m, upsample_f0(f), gen)
        if D is not None:
            # HiFi-GAN's objective: least-squares adversarial losses, feature matching (x2) and
            # the log-mel L1 (x45).
            dl = 0.0
            for d in D:
                r, _ = d(x)
                g, _ = d(y.detach())
                dl = dl + ((1 - r) ** 2).mean() + (g ** 2).mean()
            optd.zero_grad()
            dl.backward()
            optd.step()
            schedd.step()
            adv = fm = 0.0
            for d in D:
                with torch.no_grad():
                    _, fr = d(x)
                g, fg = d(y)
                adv = adv + ((1 - g) ** 2).mean()
                fm = fm + sum((a_ - b_.detach()).abs().mean() for a_, b_ in zip(fg, fr))
            loss = adv + 2 * fm + 45 * F.l1_loss(mel_of(y)[..., :m.shape[-1]], m)
        else:
            loss = stft_loss(y, x) + F.l1_loss(mel_of(y)[..., :m.shape[-1]], m)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(G.parameters(), 10.0)
        opt.step()
        sched.step()
        if step % a.every == 0 or step == a.steps:
            el = time.time() - t0
            dmsg = f" D {dl.item():.3f}" if D is not None else ""
            done = step - first + 1
            print(f"step {step}/{a.steps} loss {loss.item():.3f}{dmsg}  {el:.0f} s, ETA {(el - t_before) / done * (a.steps - step):.0f} s",
                  file=sys.stderr, flush=True)
            if step < a.steps:
                ck = {"tag": tag, "step": step, "elapsed": el, "G": G.state_dict(), "opt": opt.state_dict(),
                      "sched": sched.state_dict(), "rng": rng.getstate(), "gen": gen.get_state(), "torch": torch.get_rng_state()}
                if D is not None:
                    ck.update(D=D.state_dict(), optd=optd.state_dict(), schedd=schedd.state_dict())
                os.makedirs(os.path.dirname(resume) or ".", exist_ok=True)
                torch.save(ck, resume + ".tmp")
                os.replace(resume + ".tmp", resume)
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    torch.save({"arch": a.arch, "state": G.state_dict()}, a.out + ".tmp")
    os.replace(a.out + ".tmp", a.out)
    if os.path.exists(resume):
        os.remove(resume)
    print(f"wrote {a.out}", file=sys.stderr)


def synth(a):
    """Copy-synthesises every pair of --list that is not there yet (written atomically)."""
    torch.set_num_threads(a.threads)
    ck = torch.load(a.ckpt)
    G = ARCHS[ck["arch"]]()
    G.load_state_dict(ck["state"])
    G.eval()
    pairs = [l.rstrip("\n").split("\t") for l in open(a.list) if l.strip()]
    for i, (src, dst) in enumerate(pairs):
        if os.path.exists(dst):
            continue
        x = load(src)
        m = mel_of(x)
        f = f0_of(x, m.shape[-1])
        gen = torch.Generator().manual_seed(1000 + i)
        with torch.no_grad():
            y = G(m, upsample_f0(f), gen)[0, :x.shape[1]].numpy()
        peak = float(np.abs(y).max()) if len(y) else 0.0
        if peak > 0.99:
            y *= 0.99 / peak
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        tmp = dst + ".part"
        with wave.open(tmp, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(np.round(y * 32767).astype("<i2").tobytes())
        os.replace(tmp, dst)
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(pairs)}", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--corpora", default="../shared/corpora")
    t.add_argument("--dev", default="bench/dev_speakers.txt")
    t.add_argument("--out", default="bench/out/spoof/tools/nvoc.pt")
    t.add_argument("--steps", type=int, default=4000)
    t.add_argument("--arch", choices=sorted(ARCHS), default="nsf-hifigan",
                   help="nsf-hifigan (F0-driven source, the neural-vocoder family), istftnet (mel only, inverse "
                        "STFT: neural-istft) or hifigan (mel only, the NSF-HiFi-GAN without its source: neural-hifigan)")
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--seconds", type=int, default=1, help="segment length")
    t.add_argument("--files", type=int, default=600, help="training files drawn at random")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--init", default="", help="start from this checkpoint's generator (same --arch)")
    t.add_argument("--gan", action="store_true",
                   help="HiFi-GAN's adversarial training (multi-period and multi-scale discriminators, feature "
                        "matching, log-mel L1) instead of the STFT and mel losses; best from --init")
    t.add_argument("--every", type=int, default=100, help="progress line every N steps")
    s = sub.add_parser("synth")
    s.add_argument("--ckpt", default="bench/out/spoof/tools/nvoc.pt")
    s.add_argument("--list", required=True)
    s.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    {"train": train, "synth": synth}[a.cmd](a)


if __name__ == "__main__":
    main()
