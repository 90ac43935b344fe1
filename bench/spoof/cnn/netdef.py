import numpy as np, torch, torch.nn as nn

def mfm(x):
    a_, b_ = x.chunk(2, 1)
    return torch.max(a_, b_)

class MFM(nn.Module):
    def forward(self, x):
        return mfm(x)

def blk(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, 2 * cout, k, padding=k // 2), MFM())

class Net(nn.Module):
    def __init__(s, w=1):
        super().__init__()
        s.f = nn.Sequential(
            blk(1, 16 * w, 5), nn.MaxPool2d(2),
            blk(16 * w, 16 * w, 1), nn.BatchNorm2d(16 * w), blk(16 * w, 24 * w, 3), nn.MaxPool2d(2), nn.BatchNorm2d(24 * w),
            blk(24 * w, 24 * w, 1), nn.BatchNorm2d(24 * w), blk(24 * w, 32 * w, 3), nn.MaxPool2d(2), nn.BatchNorm2d(32 * w),
            blk(32 * w, 32 * w, 1), nn.BatchNorm2d(32 * w), blk(32 * w, 32 * w, 3), nn.MaxPool2d(2))
        s.fc1 = nn.Linear(32 * w * 8, 64); s.fc2 = nn.Linear(32, 1); s.do = nn.Dropout(0.5)
    def forward(s, x):
        x = x[:, None, :, :128]
        h = s.f(x).mean(2).flatten(1)
        return s.fc2(mfm(s.fc1(s.do(h))))[:, 0]

def norm(f, cmn=True):
    x = f.astype(np.float32)
    if cmn:
        x = x - x.mean(0, keepdims=True)
    return x / 3.0
