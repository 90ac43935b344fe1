#!/usr/bin/python3
"""Writes feats.pkl as a binary the Go probe reads: per item int32 T, then T×128 int16 (log power ×256),
and an index TSV (key, class, family, split, codec) in the same order."""
import pickle, struct, sys
import numpy as np
data = pickle.load(open("bench/out/spoof/cnn/feats.pkl", "rb"))
with open("bench/out/spoof/cnn/feats.bin", "wb") as f, open("bench/out/spoof/cnn/feats.idx", "w") as g:
    for r, x in data:
        x = np.clip(np.round(x[:, :128].astype(np.float32) * 256), -32768, 32767).astype("<i2")
        f.write(struct.pack("<i", len(x))); f.write(x.tobytes())
        g.write("\t".join([r["key"], r["class"], r["family"], r["split"], r["codec"], r["id"]]) + "\n")
