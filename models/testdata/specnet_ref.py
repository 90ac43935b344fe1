#!/usr/bin/python3
"""Reference outputs for models.SpecNet from an independent implementation (PyTorch, Debian's
python3-torch): a small network of the same layer kinds (convolution + max-feature-map, 2×2 max
pooling, batch normalisation in eval mode, the input's mean row removed and scaled, time average, two linear layers with max-feature-map),
random weights, random inputs of odd and even lengths. Writes specnet_ref.json next to itself.
Run: /usr/bin/python3 models/testdata/specnet_ref.py"""
import json, os
import torch, torch.nn as nn

torch.manual_seed(7)

def mfm(x):
    a, b = x.chunk(2, 1)
    return torch.max(a, b)

bins, hidden = 16, 3
convs = [(5, 1, 4), (1, 4, 4), (3, 4, 6)]
c0, c1, c2 = [nn.Conv2d(i, 2 * o, k, padding=k // 2) for k, i, o in convs]
bn1, bn2 = nn.BatchNorm2d(4), nn.BatchNorm2d(6)
for bn in (bn1, bn2):
    bn.running_mean.uniform_(-0.5, 0.5); bn.running_var.uniform_(0.5, 2.0)
    bn.weight.data.uniform_(0.5, 1.5); bn.bias.data.uniform_(-0.3, 0.3)
    bn.eval()
fc1, fc2 = nn.Linear(6 * 4, 2 * hidden), nn.Linear(hidden, 1)

scale = 0.4

def forward(x):  # x: T x bins; the recording's mean row removed, then scaled
    h = ((x - x.mean(0, keepdim=True)) * scale)[None, None]
    h = nn.functional.max_pool2d(mfm(c0(h)), 2)
    h = bn1(mfm(c1(h)))
    h = bn2(nn.functional.max_pool2d(mfm(c2(h)), 2))
    h = h.mean(2).flatten(1)
    return fc2(mfm(fc1(h)))[0, 0].item()

def conv_json(c, k, i, o):
    return {"kind": "conv", "k": k, "in": i, "out": o,
            "w": c.weight.detach().permute(2, 3, 1, 0).reshape(-1).tolist(), "b": c.bias.detach().tolist()}

def norm_json(bn):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return {"kind": "norm", "out": len(s), "scale": s.detach().tolist(),
            "shift": (bn.bias - bn.running_mean * s).detach().tolist()}

layers = [conv_json(c0, *convs[0]), {"kind": "pool", "out": 4}, conv_json(c1, *convs[1]), norm_json(bn1),
          conv_json(c2, *convs[2]), {"kind": "pool", "out": 6}, norm_json(bn2)]
cases = []
with torch.no_grad():
    for T in (13, 8, 4):
        x = torch.randn(T, bins + 2)  # rows longer than Bins: the network reads the first Bins
        cases.append({"t": T, "stride": bins + 2, "spec": x.reshape(-1).tolist(), "logit": forward(x[:, :bins])})
out = {"bins": bins, "input_scale": scale, "hidden": hidden, "layers": layers,
       "w1": fc1.weight.detach().reshape(-1).tolist(), "b1": fc1.bias.detach().tolist(),
       "w2": fc2.weight.detach().reshape(-1).tolist(), "b2": fc2.bias.item(), "cases": cases}
json.dump(out, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "specnet_ref.json"), "w"))
