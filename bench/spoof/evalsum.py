#!/usr/bin/python3
"""Per family and condition EER (spoofs against that condition's bona fide), spoofs passing and bona
fide flagged at the model's decision (1 % threshold), from one all.scores file; with a third
argument, at that threshold instead (LLR above it: spoof).
Usage: evalsum.py KEY SCORES [THRESHOLD]"""
import sys, csv
import numpy as np
key, scores = sys.argv[1], sys.argv[2]
sc, dec = {}, {}
for l in open(scores):
    i, s, d = l.split()
    sc[i], dec[i] = float(s), d
    if len(sys.argv) > 3 and d != "inconclusive":
        dec[i] = "spoof" if float(s) > float(sys.argv[3]) else "bonafide"
rows = [r for r in csv.DictReader(open(key), delimiter="\t") if r["split"] == "eval"]
def eer(pos, neg):
    s = np.concatenate([pos, neg]); y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    y = y[np.argsort(-s, kind="stable")]; tp = np.cumsum(y) / len(pos); fp = np.cumsum(1 - y) / len(neg)
    k = np.argmin(np.abs(1 - tp - fp)); return 100 * (1 - tp[k] + fp[k]) / 2
smap = {"tel": "none", "telmob": "mobile", "noisetel": "noise", "unseentel": "unseen"}
conds = ["none", "mobile", "tel", "telmob", "noise", "unseen", "noisetel", "unseentel"]
fams = sorted({r["family"] for r in rows if r["class"] == "spoof"})
print("family | " + " | ".join(conds))
means = {}
for f in fams:
    cells = []
    for c in conds:
        spc = smap.get(c, c)
        pos = [sc[r["path"]] for r in rows if r["family"] == f and r["codec"] == spc and r["path"] in sc]
        neg = [sc[r["path"]] for r in rows if r["class"] == "bonafide" and r["codec"] == c and r["path"] in sc]
        if not pos or not neg:
            cells.append("-"); continue
        e = eer(np.array(pos), np.array(neg))
        passing = sum(dec[r["path"]] == "bonafide" for r in rows if r["family"] == f and r["codec"] == spc and r["path"] in dec)
        means.setdefault(c, []).append((e, passing, len(pos)))
        cells.append(f"{e:.2f} ({passing})")
    print(f + " | " + " | ".join(cells))
for c in conds:
    if c not in means: continue
    bon = [r["path"] for r in rows if r["class"] == "bonafide" and r["codec"] == c]
    fl = sum(dec.get(i) == "spoof" for i in bon)
    m = means[c]
    print(f"{c}: mean EER {np.mean([e for e,_,_ in m]):.2f} % over {len(m)}, passing {100*sum(p for _,p,_ in m)/sum(n for _,_,n in m):.1f} %, bona fide flagged {fl}/{len(bon)}")
for pre in ["enr30_test4/", "enr30_test4_deg/", "enr30_test4_unseen/", "corpus:speechocean762", "corpus:mini-librispeech", "corpus:fsdd"]:
    ids = [i for i in dec if i.startswith(pre)]
    print(f"{pre}: flagged {sum(dec[i]=='spoof' for i in ids)} of {len(ids)}, inconclusive {sum(dec[i]=='inconclusive' for i in ids)}")
