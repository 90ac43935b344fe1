#!/usr/bin/python3
"""1:N identification averaged over random splits of a full score matrix (a steadier figure than
ident.py's single split, whose 156 non-mated probes make "1 % false alarms" one probe).

Usage: ident_rot.py TRIALS SCORES [N_ENROLLED] [SPLITS] [far]

TRIALS and SCORES cover every model against every test (e.g. bench/out/dev/enr30_test4: 32 dev
speakers' 30 s models against their 394 four-second tests; a test's speaker is its id up to the
first '-'). Each split enrolls N_ENROLLED (default 20) of the models at random (seeded); the other
speakers' tests are the non-mated probes. The threshold is set as ident.py sets it (a fraction far,
default 0.01, of the non-mated probes' top scores above it), and a mated probe is detected when
its top model is its own speaker and scores above it. Prints the mean, the spread over splits and
the pooled counts.
"""
import collections
import random
import statistics
import sys

trials, scores = sys.argv[1:3]
n_enr = int(sys.argv[3]) if len(sys.argv) > 3 else 20
splits = int(sys.argv[4]) if len(sys.argv) > 4 else 200
far = float(sys.argv[5]) if len(sys.argv) > 5 else 0.01
score = collections.defaultdict(dict)  # test -> model -> score
for line in open(scores):
    m, t, s = line.split()
    score[t][m] = float(s)
models = sorted({m for t in score for m in score[t]})
rng = random.Random(1)
rates = []
for _ in range(splits):
    enrolled = set(rng.sample(models, n_enr))
    mated, non = [], []
    for t, row in score.items():
        spk = t.split("-")[0]
        top = max((s, m) for m, s in row.items() if m in enrolled)
        (mated if spk in enrolled else non).append((top, spk))
    non_top = sorted((s for (s, _), _ in non), reverse=True)
    k = int(far * len(non_top))
    thr = non_top[k] if k < len(non_top) else float("-inf")
    hit = sum(1 for (s, m), spk in mated if m == spk and s > thr)
    rates.append(100.0 * hit / len(mated))
print("1:N over %d random splits (%d of %d speakers enrolled): detected %.1f%% at %.0f%% false alarms "
      "(splits' 10th-90th percentile %.1f-%.1f%%)" % (splits, n_enr, len(models), statistics.mean(rates), 100 * far,
                                                     sorted(rates)[splits // 10], sorted(rates)[splits * 9 // 10]))
