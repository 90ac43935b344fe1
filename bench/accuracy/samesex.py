#!/usr/bin/env python3
"""Keep the same-sex trials of a Kaldi-style trials list.

usage: samesex.py TRIALS OUT [CORPORA]

A trial's speakers are its model id and its test id up to the first '-' (the development trials'
naming, bench/trials/make_trials.py); their sexes come from the "gender" column of each corpus's
speakers.tsv under CORPORA (default ../shared/corpora). Trials with a speaker of unknown sex are
dropped. Prints how many trials were kept to stderr.
"""
import csv
import os
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    corpora = sys.argv[3] if len(sys.argv) == 4 else os.path.join(os.path.dirname(__file__), '../../../shared/corpora')
    sex = {}
    for c in sorted(os.listdir(corpora)):
        p = os.path.join(corpora, c, 'speakers.tsv')
        if os.path.exists(p):
            for r in csv.DictReader(open(p), delimiter='\t'):
                sex[r['speaker']] = r['gender'][:1].lower()
    n = k = 0
    with open(sys.argv[2], 'w') as out:
        for line in open(sys.argv[1]):
            m, t = line.split()[:2]
            n += 1
            sm, st = sex.get(m.split('-')[0]), sex.get(t.split('-')[0])
            if sm is not None and sm == st:
                out.write(line)
                k += 1
    print(f'{k} of {n} trials same-sex', file=sys.stderr)


if __name__ == '__main__':
    main()
