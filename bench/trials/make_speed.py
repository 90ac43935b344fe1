#!/usr/bin/python3
"""Builds speed-perturbed copies of the training speakers as NEW speakers, for the back end.

Usage (repository root):  /usr/bin/python3 bench/trials/make_speed.py [--out bench/out/speed] [--factors 0.9,1.1]

Writes <out>/<corpus>/<speaker>-sp<factor>/<utt>~sp<factor>.wav for factors 0.9 and 1.1 (sox
`speed`, which shifts pitch and formants together, as Kaldi's x-vector recipes do to triple their
training speakers), for speechocean762 and mini-librispeech speakers not in
bench/dev_speakers.txt. Each perturbed speaker is a separate identity for LDA/PLDA; the "~" keeps
the files out of the calibration trials (and, with `voxguard train --speed-front=false`, out of the
UBM and the i-vector extractor).
"""
import argparse
import concurrent.futures as cf
import os
import subprocess

from make_trials import ROOT, perturbed_copies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "speed"))
    ap.add_argument("--factors", default="0.9,1.1", help="comma-separated speed factors")
    args = ap.parse_args()
    jobs = perturbed_copies(args.out, args.factors.split(","), "sp")
    print("%d files to make" % len(jobs))

    def run(j):
        subprocess.run(["sox", "-D", j[0], "-r", "8000", "-e", "u-law", "-b", "8", j[1], "speed", j[2]], check=True)

    with cf.ThreadPoolExecutor(os.cpu_count()) as ex:
        list(ex.map(run, jobs))
    print("done:", args.out)


if __name__ == "__main__":
    main()
