#!/usr/bin/python3
"""CNN countermeasure probe: a small LCNN on per-utterance mean-normalised log spectra, trained
without one family (leave-one-family-out), evaluated against genuine speech through the same
telephone channel (tel) and with a mobile codec (telmob)."""
import argparse, math, os, pickle, random, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--fold", default="none")
ap.add_argument("--steps", type=int, default=1500)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--crop", type=int, default=150)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--no-cmn", action="store_true")
ap.add_argument("--width", type=int, default=1)
ap.add_argument("--out", default=None)
ap.add_argument("--save", default=None)
ap.add_argument("--no-bn", action="store_true")
a = ap.parse_args()
torch.manual_seed(a.seed); random.seed(a.seed); np.random.seed(a.seed)
torch.set_num_threads(2)
NEVER = {"griffin-lim", "vocoder-hnm", "codec2", "vocoder-mlsa", "neural-istft", "neural-hifigan", "neural-gan", "neural-gan2"}
TRAINKEYS = {"key.tsv", "tel_key.tsv", "telmob_key.tsv", "noise_key.tsv", "chand_key.tsv", "noisetel_key.tsv", "chandtel_key.tsv"}
t0 = time.time()
data = pickle.load(open("bench/out/spoof/cnn/feats.pkl", "rb"))
print("loaded", len(data), f"{time.time()-t0:.0f}s", file=sys.stderr)

def norm(f):
    x = f.astype(np.float32)
    if not a.no_cmn:
        x = x - x.mean(0, keepdims=True)
    return x / 3.0

bona_tr, spoof_tr = [], {}
ev = []  # (cond, family, label, x)
for r, f in data:
    k, cls, fam, split = r["key"], r["class"], r["family"], r["split"]
    if split == "train" and k in TRAINKEYS:
        if cls == "bonafide":
            bona_tr.append(f)
        elif fam not in NEVER and fam != a.fold:
            spoof_tr.setdefault(fam, []).append(f)
    elif split == "eval":
        if k == "tel_eval_key.tsv":
            ev.append(("none", "bonafide", 0, f))
        elif k == "telmob_eval_key.tsv":
            ev.append(("mobile", "bonafide", 0, f))
        elif k == "key.tsv" and cls == "spoof" and r["codec"] in ("none", "mobile"):
            ev.append((r["codec"], fam, 1, f))
print("train bona", len(bona_tr), "spoof", {k: len(v) for k, v in spoof_tr.items()}, file=sys.stderr)
fams = sorted(spoof_tr)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netdef import Net

net = Net(a.width)
if a.no_bn:
    net.f = nn.Sequential(*[m for m in net.f if not isinstance(m, nn.BatchNorm2d)])
print("params", sum(p.numel() for p in net.parameters()), file=sys.stderr)
opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=a.steps, pct_start=0.1)

def crop(f):
    T = len(f)
    if T >= a.crop:
        s = random.randrange(T - a.crop + 1)
        x = f[s:s + a.crop]
    else:
        x = np.concatenate([f] * (a.crop // T + 1))[:a.crop]
    return x

def specaug(x):
    x = x.copy()
    fw = random.randrange(0, 16); f0 = random.randrange(0, 129 - fw); x[:, f0:f0 + fw] = 0
    tw = random.randrange(0, 20); t0_ = random.randrange(0, a.crop - tw); x[t0_:t0_ + tw] = 0
    return x

# normalise whole utterances once (CMN over the utterance, then crop)
bona_tr = [norm(f) for f in bona_tr]
spoof_tr = {k: [norm(f) for f in v] for k, v in spoof_tr.items()}
ev = [(c, fam, l, norm(f)) for c, fam, l, f in ev]

net.train(); t0 = time.time(); run = 0
for step in range(a.steps):
    xs, ys = [], []
    for _ in range(a.batch):
        xs.append(specaug(crop(random.choice(bona_tr)))); ys.append(0)
        fam = random.choice(fams)
        xs.append(specaug(crop(random.choice(spoof_tr[fam])))); ys.append(1)
    x = torch.from_numpy(np.stack(xs)); y = torch.tensor(ys, dtype=torch.float32)
    loss = F.binary_cross_entropy_with_logits(net(x), y)
    opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    run = 0.98 * run + 0.02 * loss.item() if step else loss.item()
    if step % 100 == 0 or step == a.steps - 1:
        print(f"step {step} loss {run:.3f} {time.time()-t0:.0f}s", file=sys.stderr)

net.eval(); scores = []
if a.save:
    torch.save(net.state_dict(), a.save)
with torch.no_grad():
    for c, fam, l, x in ev:
        scores.append(net(torch.from_numpy(x)[None]).item())

def eer(pos, neg):
    s = np.concatenate([pos, neg]); y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    o = np.argsort(-s); y = y[o]
    tp = np.cumsum(y) / len(pos); fp = np.cumsum(1 - y) / len(neg)
    fn = 1 - tp
    i = np.argmin(np.abs(fn - fp))
    return 100 * (fn[i] + fp[i]) / 2

S = np.array(scores)
out = []
for c in ("none", "mobile"):
    bon = S[[i for i, e in enumerate(ev) if e[0] == c and e[2] == 0]]
    thr = np.quantile(bon, 0.99)
    for fam in sorted({e[1] for e in ev if e[2] == 1}):
        sp = S[[i for i, e in enumerate(ev) if e[0] == c and e[1] == fam]]
        if len(sp):
            out.append((fam, c, eer(sp, bon), 100 * np.mean(sp < thr)))
tag = f"fold={a.fold}"
for fam in sorted({o[0] for o in out}):
    r = {o[1]: o for o in out if o[0] == fam}
    mark = " *" if fam == a.fold else (" (never)" if fam in NEVER else "")
    print(f"{tag}\t{fam}{mark}\t{r['none'][2]:.2f}\t{r['mobile'][2]:.2f}\tpass {r['none'][3]:.0f}%")
if a.out:
    with open(a.out, "w") as f:
        for (c, fam, l, _), s in zip(ev, scores):
            f.write(f"{c}\t{fam}\t{l}\t{s:.4f}\n")
