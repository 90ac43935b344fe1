#!/usr/bin/python3
"""Tempo-perturbed bona fide speech for countermeasure training (issue 7; an experiment).

The temporal modulation statistics (train-spoof --modulation) read how fast each sub-band's level
changes; genuine voices that speak slowly, or whose mobile codec smooths the envelope, then look
synthetic. This makes copies of the bona fide training files at another speaking rate, pitch and
formants unchanged (sox tempo -s, factor 0.85-0.92 or 1.08-1.15), as more bona fide training
voices:

    <out>/bonafide-tempo/train/<name>-t<f>.wav         every copy, 8 kHz mu-law
    <out>/bonafide-tempo/train-codec/<name>-t<f>.wav   every 2nd also through AMR-NB or GSM
    <out>/tempo_key.tsv                                their key, for bench/spoof/lofo --aug

File names keep the original's speaker prefix, so train-spoof --hold-out-speakers folds a copy
with its speaker. Reproducible: the files are a seeded choice, each copy's factor and codec come
from random.Random(2000 + its index).

Usage (repository root, after make_spoof_data.py):
    /usr/bin/python3 bench/spoof/make_spoof_tempo.py [--out bench/out/spoof] [--n 450]
"""
import argparse, os, random, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spoof_data as msd  # noqa: E402  (its codec round trip)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/spoof")
    ap.add_argument("--n", type=int, default=450, help="bona fide training files to copy")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    src_dir = os.path.join(a.out, "bonafide", "train")
    names = sorted(f for f in os.listdir(src_dir) if f.endswith(".wav"))
    random.Random(msd.SEED + 1).shuffle(names)
    names = sorted(names[: a.n])
    base = os.path.join(a.out, "bonafide-tempo")
    for sub in ("train", "train-codec"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    jobs, key = [], []
    for i, name in enumerate(names):
        rng = random.Random(2000 + i)
        f = rng.uniform(0.85, 0.92) if rng.random() < 0.5 else rng.uniform(1.08, 1.15)
        uid = f"{name[:-4]}-t{f:.3f}"
        dst = os.path.join(base, "train", uid + ".wav")
        cdst = os.path.join(base, "train-codec", uid + ".wav") if i % 2 == 0 else None
        jobs.append((os.path.join(src_dir, name), dst, cdst, f, rng))
        key.append((uid, dst, "none"))
        if cdst:
            key.append(("c_" + uid, cdst, "mobile"))

    def work(job):
        src, dst, cdst, f, rng = job
        if not os.path.exists(dst):
            subprocess.run(["sox", src, "-r", "8000", "-c", "1", "-e", "mu-law", dst + ".tmp.wav", "tempo", "-s", f"{f:.3f}"],
                           check=True, capture_output=True)
            os.replace(dst + ".tmp.wav", dst)
        if cdst and not os.path.exists(cdst):
            with tempfile.TemporaryDirectory() as tmp:
                msd.codec(dst, cdst + ".tmp.wav", rng, tmp)
            os.replace(cdst + ".tmp.wav", cdst)

    with ThreadPoolExecutor(a.jobs) as ex:
        list(ex.map(work, jobs))
    msd.write_bonafide_key(os.path.join(a.out, "tempo_key.tsv"), "t_", key)
    print(f"tempo-perturbed bona fide: {len(names)} files, {sum(1 for j in jobs if j[2])} codec copies ({base})")


if __name__ == "__main__":
    main()
