#!/usr/bin/python3
"""EER, Cllr and minCllr of a degraded condition's trials split by the channel each test went
through: by the first word of its description (the noise kind) and by its codec, as the
condition's channels.txt (bench/trials/make_unseen.py) or degradations.txt (make_trials.py)
records them (make_trials.py writes degradations.txt beside the condition folders; its test ids
are the 4 s tests' with "-deg-" for "-t4-"). A diagnostic of which parts of an unseen channel cost the most.

Usage: /usr/bin/python3 bench/accuracy/bychannel.py DIR SCORES [VOXGUARD]
  DIR      a condition folder with trials and channels.txt (or degradations.txt)
  SCORES   a scores file of DIR's trials (e.g. DIR/scores_TAG)
  VOXGUARD the voxguard binary whose eval command is run (default: bench/out/voxguard)
"""
import collections
import os
import re
import subprocess
import sys
import tempfile


def codec_of(words):
    """The codec of a channel description: a "codec=X" word, else the last word (make_unseen.py
    ends each description with it), without its rate or mode."""
    for w in words:
        if w.startswith("codec="):
            return w[len("codec="):].split("-")[0]
    return words[-1].split("-")[0]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    d, scores = sys.argv[1], sys.argv[2]
    vg = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "..", "out", "voxguard")
    desc = None
    for p in (os.path.join(d, "channels.txt"), os.path.join(d, "degradations.txt"),
              os.path.join(d, "..", "degradations.txt")):
        if os.path.exists(p):
            desc = {}
            for line in open(p):
                f = line.split()
                if len(f) >= 2:
                    desc[os.path.splitext(os.path.basename(f[0]))[0]] = f[1:]
            if os.path.basename(p) == "degradations.txt":  # make_trials.py's list of every condition
                ids = {l.split()[1] for l in open(os.path.join(d, "trials"))}
                desc = {t: w for t, w in desc.items() if t in ids}
            break
    if not desc:
        sys.exit("no channels.txt or degradations.txt describing the tests of " + d)
    groups = collections.defaultdict(set)
    for test, words in desc.items():
        groups["noise " + words[0]].add(test)
        groups["codec " + codec_of(words)].add(test)
    trials = open(os.path.join(d, "trials")).readlines()
    with tempfile.TemporaryDirectory() as tmp:
        sub = os.path.join(tmp, "trials")
        for g in sorted(groups):
            lines = [l for l in trials if l.split()[1] in groups[g]]
            with open(sub, "w") as f:
                f.writelines(lines)
            out = subprocess.run([vg, "eval", "--trials", sub, "--scores", scores],
                                 capture_output=True, text=True, check=True).stdout
            eer = re.search(r"EER\s+(\S+)", out).group(1)
            m = re.search(r"Cllr\s+(\S+) bits\s+minCllr\s+(\S+)", out)
            cllr, mn = float(m.group(1)), float(m.group(2))
            print("%-16s %4d tests  EER %7s  Cllr %.3f  minCllr %.3f  gap %.3f" %
                  (g, len(groups[g]), eer, cllr, mn, cllr - mn))


if __name__ == "__main__":
    main()
