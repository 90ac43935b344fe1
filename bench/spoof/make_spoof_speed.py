#!/usr/bin/python3
"""Speed-perturbed bona fide speech for countermeasure training (issue 7).

The countermeasure's bona fide class knew only the training speakers' voices as recorded (and
through codecs), so a voice unlike all of them — dev speaker 460, band-limited, whose mobile-codec
calls scored as synthetic — was flagged. This adds recordings of the same training speakers at
speed 0.9 and 1.1 (pitch and formants shifted together by resampling: real voices, no vocoder),
made by bench/trials/make_speed.py for the speaker models, as more bona fide training voices:

    <out>/bonafide-speed/train/<cc><speaker>_<utt>-sp<f>.wav        symlinks into <speed>
    <out>/bonafide-speed/train-codec/<cc><speaker>_<utt>-sp<f>.wav  every 2nd through AMR-NB or GSM
    <out>/speed_key.tsv                                             their key, for bench/spoof/lofo --aug

File names start with the original speaker's key (as make_spoof_data.py names bona fide files), so
train-spoof --hold-out-speakers keeps a speaker's copies in the same fold as the speaker.
Development speakers (bench/dev_speakers.txt) are never used. Reproducible: the files are a seeded
random choice and every codec copy's settings come from random.Random(1000 + its index).

With --kind vtlp it takes bench/trials/make_vtlp.py's formant-warped copies instead (envelope
x0.9 / x1.1, pitch kept; twenty-seventh session, an experiment): <out>/bonafide-vtlp/... and
<out>/vtlp_key.tsv (ids prefixed v_).

Usage (repository root, after make_spoof_data.py and make_speed.py):
    /usr/bin/python3 bench/spoof/make_spoof_speed.py [--out bench/out/spoof] [--speed bench/out/speed] [--n 450]
    /usr/bin/python3 bench/spoof/make_spoof_speed.py --kind vtlp --speed bench/out/vtlp
"""
import argparse, os, random, re, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spoof_data as msd  # noqa: E402  (its codec round trip)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/spoof")
    ap.add_argument("--speed", default="bench/out/speed", help="make_speed.py's output")
    ap.add_argument("--dev", default="bench/dev_speakers.txt")
    ap.add_argument("--n", type=int, default=450, help="speed-perturbed files to use")
    ap.add_argument("--kind", default="speed", choices=("speed", "vtlp"),
                    help="which copies --speed holds: make_speed.py's or make_vtlp.py's")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    dev = {l.strip() for l in open(a.dev) if l.strip() and not l.startswith("#")}
    items = []
    for corpus in ("speechocean762", "mini-librispeech"):
        root = os.path.join(a.speed, corpus)
        if not os.path.isdir(root):
            sys.exit(f"{root} missing: run bench/trials/make_speed.py first")
        for d in sorted(os.listdir(root)):
            spk = re.sub(r"-(sp|vt)[0-9.]+$", "", d)
            if f"{corpus}/{spk}" in dev:
                continue
            for f in sorted(os.listdir(os.path.join(root, d))):
                if f.endswith(".wav"):
                    uid = f"{corpus[:2]}{spk}_{f[:-4].replace('~', '-')}"
                    items.append((uid, os.path.abspath(os.path.join(root, d, f))))
    random.Random(msd.SEED).shuffle(items)
    items = sorted(items[: a.n])
    base = os.path.join(a.out, "bonafide-" + a.kind)
    for sub in ("train", "train-codec"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    key, jobs = [], []
    for i, (uid, src) in enumerate(items):
        dst = os.path.join(base, "train", uid + ".wav")
        if not os.path.lexists(dst):
            os.symlink(src, dst)
        key.append((uid, dst, "none"))
        if i % 2 == 0:
            cdst = os.path.join(base, "train-codec", uid + ".wav")
            jobs.append((src, cdst, i))
            key.append(("c_" + uid, cdst, "mobile"))

    def work(job):
        src, dst, i = job
        if os.path.exists(dst):
            return
        with tempfile.TemporaryDirectory() as tmp:
            msd.codec(src, dst + ".tmp.wav", random.Random(1000 + i), tmp)
        os.replace(dst + ".tmp.wav", dst)

    with ThreadPoolExecutor(a.jobs) as ex:
        list(ex.map(work, jobs))
    msd.write_bonafide_key(os.path.join(a.out, a.kind + "_key.tsv"), a.kind[0] + "_", key)
    print(f"{a.kind} bona fide: {len(items)} files, {len(jobs)} codec copies ({base})")


if __name__ == "__main__":
    main()
