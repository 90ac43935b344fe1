#!/usr/bin/python3
"""Scores feats2.pkl's sets with a saved probe; thresholds at 1 % of the tel eval bona fide (from
the training run's --out file)."""
import os, pickle, sys
import numpy as np, torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netdef import Net, norm
torch.set_num_threads(2)
model, sfile = sys.argv[1], sys.argv[2]
net = Net(); net.load_state_dict(torch.load(model)); net.eval()
base = [l.split("\t") for l in open(sfile)]
bon = np.array([float(r[3]) for r in base if r[0] == "none" and r[1] == "bonafide"])
bonm = np.array([float(r[3]) for r in base if r[0] == "mobile" and r[1] == "bonafide"])
thr = max(np.quantile(bon, 0.99), np.quantile(bonm, 0.99))
print(f"threshold {thr:.3f} (tel {np.quantile(bon,0.99):.3f}, telmob {np.quantile(bonm,0.99):.3f})")
data = pickle.load(open("bench/out/spoof/cnn/feats2.pkl", "rb"))
res = {}
with torch.no_grad():
    for c, fam, p, f in data:
        if len(f) < 16:  # under the pools' least input: no verdict
            continue
        res.setdefault((c, fam), []).append(net(torch.from_numpy(norm(f))[None]).item())
def eer(pos, neg):
    s = np.concatenate([pos, neg]); y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    y = y[np.argsort(-s)]; tp = np.cumsum(y) / len(pos); fp = np.cumsum(1 - y) / len(neg)
    i = np.argmin(np.abs(1 - tp - fp)); return 100 * (1 - tp[i] + fp[i]) / 2
for (c, fam), v in sorted(res.items()):
    v = np.array(v)
    if fam == "bonafide":
        print(f"{c}\tbonafide\tflagged {np.sum(v > thr)} of {len(v)} ({100*np.mean(v > thr):.2f} %)\tmedian {np.median(v):.2f}")
for c in sorted({c for c, _ in res}):
    if (c, "bonafide") not in res or len(res) == 0:
        continue
    b = np.array(res[(c, "bonafide")]); eers = []
    for (c2, fam), v in sorted(res.items()):
        if c2 == c and fam != "bonafide":
            eers.append((fam, eer(np.array(v), b), 100 * np.mean(np.array(v) < thr)))
    if eers:
        print(c, "mean EER %.2f" % np.mean([e for _, e, _ in eers]), " ".join(f"{f}:{e:.1f}/{p:.0f}%" for f, e, p in eers))
