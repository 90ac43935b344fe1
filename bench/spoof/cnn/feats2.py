#!/usr/bin/python3
"""Extra evaluation sets for the CNN probe: noisy / unseen-channel conditions, the speaker
dev tests (clean, degraded, unseen channels), and every corpus recording (bona fide)."""
import csv, glob, os, pickle, sys
from multiprocessing import Pool
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feats import feat, root, S

items = []
for k in ["noise_eval_key.tsv", "unseen_eval_key.tsv", "noisetel_eval_key.tsv", "unseentel_eval_key.tsv"]:
    with open(os.path.join(root, S, k)) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            items.append((k.replace("_eval_key.tsv", ""), r["family"], r["path"]))
for d in ["enr30_test4", "enr30_test4_deg", "enr30_test4_unseen"]:
    for line in open(os.path.join(root, "bench/out/dev", d, "test.scp")):
        items.append(("dev:" + d, "bonafide", line.split()[1]))
for p in sorted(glob.glob("../shared/corpora/*/*/*.wav")):
    items.append(("corpus:" + p.split("/")[3], "bonafide", p))
print(len(items), file=sys.stderr)
with Pool(2) as pool:
    fs = pool.map(feat, [p for _, _, p in items], chunksize=64)
pickle.dump([(c, fam, p, f) for (c, fam, p), f in zip(items, fs) if f is not None], open("bench/out/spoof/cnn/feats2.pkl", "wb"), protocol=4)
