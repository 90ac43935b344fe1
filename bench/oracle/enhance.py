#!/usr/bin/python3
"""Feasibility probe (not part of voxguard): a regression network from degraded front-end frames
(the 60-dim normalised frames of `go run ./bench/oracle --dump`, +-CTX frames of context) to the
clean original's frames, trained on the training speakers' degraded copies (bench/out/aug) and
applied to the degraded development tests; `go run ./bench/oracle --variants enh:OUT/devout`
then scores the tests with the enhanced frames in place of the degraded ones.

Usage: /usr/bin/python3 bench/oracle/enhance.py DIR   (DIR holds train/*.bin and dev/*.bin from
--dump; writes DIR/devout/*.f32). Environment: CTX (3), HID (256), EPOCHS (6). Needs Debian's
python3-torch.
"""
import glob, os, sys, struct, numpy as np, torch, time
DIR = sys.argv[1]
torch.manual_seed(0); np.random.seed(0)
K = int(os.environ.get("CTX", "3")); H = int(os.environ.get("HID", "256"))
def load(p):
    b = open(p, 'rb').read()
    n, d = struct.unpack('<II', b[:8])
    cv = np.frombuffer(b, np.uint8, n, 8).astype(bool); dv = np.frombuffer(b, np.uint8, n, 8 + n).astype(bool)
    x = np.frombuffer(b, np.float32, 2 * n * d, 8 + 2 * n).reshape(2, n, d)
    return cv, dv, x[0], x[1]
def ctx(x, K):
    n, d = x.shape
    p = np.concatenate([np.repeat(x[:1], K, 0), x, np.repeat(x[-1:], K, 0)])
    return np.concatenate([p[i:i + n] for i in range(2 * K + 1)], 1)
files = sorted(glob.glob(os.path.join(DIR, 'train', '*.bin')))
X, Y = [], []
for p in files:
    cv, dv, c, d = load(p)
    m = dv | cv
    X.append(ctx(d, K)[m]); Y.append(c[m])
X = np.concatenate(X); Y = np.concatenate(Y)
print("frames", X.shape, flush=True)
mu, sd = X.mean(0), X.std(0) + 1e-5
ymu, ysd = Y.mean(0), Y.std(0) + 1e-5
Xt = torch.tensor((X - mu) / sd); Yt = torch.tensor((Y - ymu) / ysd)
D = Y.shape[1]
net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU(), torch.nn.Linear(H, D))
opt = torch.optim.Adam(net.parameters(), 1e-3)
torch.set_num_threads(2)
N = len(Xt); bs = 512; epochs = int(os.environ.get("EPOCHS", "6"))
sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=epochs * (N // bs))
t0 = time.time()
for ep in range(epochs):
    perm = torch.randperm(N); tot = 0
    for i in range(N // bs):
        idx = perm[i * bs:(i + 1) * bs]
        loss = ((net(Xt[idx]) - Yt[idx]) ** 2).mean()
        opt.zero_grad(); loss.backward(); opt.step(); sched.step(); tot += loss.item()
    print("epoch", ep, tot / (N // bs), "%.0fs" % (time.time() - t0), flush=True)
# baseline loss: identity (deg frame as estimate)
dmid = X[:, K * D:(K + 1) * D]
print("identity mse (normalised units):", (((dmid - Y) / ysd) ** 2).mean())
# apply to dev
os.makedirs(os.path.join(DIR, 'devout'), exist_ok=True)
net.eval()
for p in sorted(glob.glob(os.path.join(DIR, 'dev', '*.bin'))):
    cv, dv, c, d = load(p)
    with torch.no_grad():
        e = net(torch.tensor((ctx(d, K) - mu) / sd)).numpy() * ysd + ymu
    e.astype(np.float32).tofile(os.path.join(DIR, 'devout', os.path.basename(p).replace('.bin', '.f32')))
print("done")
