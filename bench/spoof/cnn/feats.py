#!/usr/bin/python3
"""Log power spectra (32 ms Hamming, 10 ms hop, 129 bins, 8 kHz) of every countermeasure item the
CNN probe needs, frames within 35 dB of the loudest kept, float16, one pickle."""
import audioop, csv, os, pickle, sys, wave
from multiprocessing import Pool
import numpy as np

root = "."
S = "bench/out/spoof"
keys = ["key.tsv", "tel_key.tsv", "telmob_key.tsv", "noise_key.tsv", "chand_key.tsv",
        "noisetel_key.tsv", "chandtel_key.tsv", "tel_eval_key.tsv", "telmob_eval_key.tsv"]
win = np.hamming(256).astype(np.float32)

def feat(path):
    b = open(os.path.join(root, path), "rb").read()
    pos, fmt, sw, raw = 12, None, None, None
    while pos + 8 <= len(b):
        cid, size = b[pos:pos+4], int.from_bytes(b[pos+4:pos+8], "little")
        if cid == b"fmt ":
            fmt = int.from_bytes(b[pos+8:pos+10], "little"); sw = int.from_bytes(b[pos+22:pos+24], "little") // 8
        elif cid == b"data":
            raw = b[pos+8:pos+8+size]; break
        pos += 8 + size + (size & 1)
    if fmt == 7:
        x = np.frombuffer(audioop.ulaw2lin(raw, 2), dtype=np.int16)
    elif sw == 2:
        x = np.frombuffer(raw, dtype=np.int16)
    else:
        raise ValueError(path)
    x = x.astype(np.float32) / 32768.0
    n = 1 + (len(x) - 256) // 80
    if n < 10:
        return None
    idx = np.arange(256)[None, :] + 80 * np.arange(n)[:, None]
    fr = x[idx] * win
    p = np.abs(np.fft.rfft(fr, axis=1)) ** 2 + 1e-9
    lp = np.log(p).astype(np.float32)
    e = np.log(p.sum(1))
    keep = e > e.max() - np.log(10) * 3.5
    return lp[keep].astype(np.float16)

def rows():
    out = {}
    for k in keys:
        with open(os.path.join(root, S, k)) as f:
            for r in csv.DictReader(f, delimiter="\t"):
                r["key"] = k
                out[r["id"] + "|" + k] = r
    return out

if __name__ == "__main__":
    rs = rows()
    items = list(rs.values())
    print(len(items), "items", file=sys.stderr)
    with Pool(2) as pool:
        fs = pool.map(feat, [r["path"] for r in items], chunksize=64)
    data = []
    for r, f in zip(items, fs):
        if f is not None:
            data.append((r, f))
    os.makedirs("bench/out/spoof/cnn", exist_ok=True)
    pickle.dump(data, open("bench/out/spoof/cnn/feats.pkl", "wb"), protocol=4)
    print(len(data), "kept", sum(len(f) for _, f in data), "frames", file=sys.stderr)
