#!/usr/bin/python3
"""1:N identification figure from a full score matrix.

Usage: ident.py TRIALS SCORES PROBES [far]
PROBES maps each probe to its enrolled speaker or "-" (not enrolled). For every probe the top-scoring
model is taken; the threshold is set so that a fraction `far` (default 0.01) of the non-mated probes
(speakers not enrolled) raise an alarm; a mated probe is detected when its top model is the right
speaker and its score is above that threshold.
"""
import collections
import sys

trials, scores, probes = sys.argv[1:4]
far = float(sys.argv[4]) if len(sys.argv) > 4 else 0.01
truth = dict(l.split() for l in open(probes))
best = collections.defaultdict(lambda: (float("-inf"), None))
for line in open(scores):
    m, t, s = line.split()
    s = float(s)
    if s > best[t][0]:
        best[t] = (s, m)
non = sorted((best[t][0] for t in truth if truth[t] == "-"), reverse=True)
mated = [t for t in truth if truth[t] != "-"]
k = int(far * len(non))  # alarms allowed among non-mated probes
thr = non[k] if k < len(non) else float("-inf")
hit = sum(1 for t in mated if best[t][1] == truth[t] and best[t][0] > thr)
rank1 = sum(1 for t in mated if best[t][1] == truth[t])
print("1:N  %d enrolled-speaker probes, %d others: detected %.1f%% at %.0f%% false alarms (threshold %.3f); rank-1 %.1f%%"
      % (len(mated), len(non), 100.0 * hit / len(mated), 100 * far, thr, 100.0 * rank1 / len(mated)))
