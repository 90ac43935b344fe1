#!/usr/bin/python3
"""Perturbed copies of the spoof training items of make_spoof_data.py: training-side augmentation
of the spoof class. Since c21 (2026-12-03) bench/spoof/run.sh calls it with --ops speed --eq 0
--band 0, balancing the speed-perturbed bona fide voices of make_spoof_speed.py: with both, the
leave-one-family-out mean of the ten TTS families and replay is 5.28 / 10.34 % clean / codecs
(bona fide copies alone: 5.75 / 11.02 %). Alone, on 2026-12-02, the default mix moved the mean
held-out fused EER of the six TTS/replay families 8.64 -> 8.79 % clean and 13.48 -> 13.56 % after
codecs, and --ops speed --eq 0 --band 0 to 8.56 / 12.85 %, both with more codec bona fide files
flagged at the pooled 1 % threshold (23 -> 31 / 29 of 637).

For every spoof training item (split "train", no codec) of key.tsv the source audio is rebuilt
as make_spoof_data.py made it (TTS families: the same text and synthesiser settings, drawn
from the same seeded generator; replay and vocoder-lpc: the bona fide source recording), perturbed,
and sent again through the family's own pipeline with a fresh random draw (telephone channel,
replay room or LPC vocoder), then through a mobile codec. Perturbations (sox, on the source before
the channel; each item draws at least one voice change):

    speed   0.88-1.12 followed by resampling back: pitch and formants move together (a shorter or
            longer vocal tract and a different F0: a new "voice")
    pitch   +-200-400 cents (WSOLA with resampling: formants kept, F0 moved)
    tempo   0.85-1.15 (WSOLA: speaking rate)
    EQ      1-2 peaking bands of +-3-8 dB at 300-3400 Hz, sometimes a band limit

Reproducible: every draw comes from random.Random(f"{SEED}:aug{k}:{dst}") and sox runs with -R (so the
copies depend on --out as given: bench/spoof/run.sh passes bench/out/spoof/aug).
Run from the repository root after make_spoof_data.py:

    python3 bench/spoof/make_spoof_aug.py [--key bench/out/spoof/key.tsv] [--out bench/out/spoof/aug]
        [--copies 1] [--ops speed,pitch,tempo] [--eq 0.6] [--band 0.3] [--jobs 2] [--families A,B]

Writes bench/out/spoof/aug/<family>/train[-codec]/*.wav and bench/out/spoof/aug/key.tsv (the
format of key.tsv; family = the family of the source item, so that a leave-one-family-out fold
drops a held-out family's augmented copies too; the rows of families an earlier run with other
--families added are kept). Used by `go run ./bench/spoof/lofo --aug
bench/out/spoof/aug/key.tsv` and `voxguard train-spoof --spoof bench/out/spoof/aug/<family>/...`.
"""
import argparse, os, random, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spoof_data as msd  # noqa: E402


def perturb(src, dst, rng, voice_ops=("speed", "pitch", "tempo"), eq_prob=0.6, band_prob=0.3):
    """A random voice perturbation of src (any rate) into dst (16-bit, src's rate): each of
    voice_ops with probability 1/2 (at least one), peaking EQ with eq_prob, a band limit with
    band_prob."""
    fx = []
    ops = [op for op in voice_ops if rng.random() < 0.5]
    if not ops:
        ops = [rng.choice(list(voice_ops))]
    for op in ops:
        if op == "speed":
            fx += ["speed", f"{rng.uniform(0.88, 1.12):.3f}"]
        elif op == "pitch":
            fx += ["pitch", str(rng.choice([-1, 1]) * rng.randint(200, 400))]
        else:
            fx += ["tempo", "-s", f"{rng.uniform(0.85, 1.15):.3f}"]
    if rng.random() < eq_prob:
        for _ in range(rng.randint(1, 2)):
            db = rng.uniform(3, 8) * rng.choice([-1, 1])
            fx += ["equalizer", str(rng.randint(300, 3400)), f"{rng.uniform(0.7, 2.5):.1f}q", f"{db:.1f}"]
    if rng.random() < band_prob:
        fx += ["sinc", f"{rng.randint(100, 400)}-{rng.randint(2800, 3700)}"]
    # Work at 16 kHz or more (speed lowers the rate sox's later effects see, and the EQ bands
    # must stay under the Nyquist frequency), then resample back to the source's rate.
    rate = int(msd.subprocess.run(["soxi", "-r", src], check=True, capture_output=True, text=True).stdout.strip())
    up = ["rate", "16000"] if rate < 16000 else []
    msd.run(["sox", src, "-e", "signed", "-b", "16", dst] + up + fx + ["rate", str(rate), "gain", "-n", "-3"])
    return fx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", default="bench/out/spoof/key.tsv")
    ap.add_argument("--corpora", default="../shared/corpora")
    ap.add_argument("--dev", default="bench/dev_speakers.txt")
    ap.add_argument("--out", default="bench/out/spoof/aug")
    ap.add_argument("--copies", type=int, default=1, help="perturbed copies per spoof training item")
    ap.add_argument("--ops", default="speed,pitch,tempo", help="voice perturbations to draw from")
    ap.add_argument("--eq", type=float, default=0.6, help="probability of random peaking EQ")
    ap.add_argument("--band", type=float, default=0.3, help="probability of a random band limit")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--families", default="", help="comma-separated families to augment (default: every spoof family of the key)")
    a = ap.parse_args()
    ops = tuple(o for o in a.ops.split(",") if o)
    if not ops or set(ops) - {"speed", "pitch", "tempo"}:
        ap.error("--ops: a comma-separated subset of speed,pitch,tempo")
    base = os.path.dirname(a.key)
    dev = msd.read_dev(a.dev)
    train_txt, _ = msd.read_texts(a.corpora, dev)
    fams = {f for f in a.families.split(",") if f}
    items = []
    for line in open(a.key):
        p = line.rstrip("\n").split("\t")
        if len(p) == 6 and p[2] == "spoof" and p[4] == "train" and p[5] == "none" and (not fams or p[3] in fams):
            items.append((p[0], p[1], p[3]))
    jobs = [(k, *it) for it in items for k in range(a.copies)]
    # The npm-based families' synthesisers (make_spoof_data.py installed them).
    if any(fam == "sam" for _, _, fam in items):
        msd.SAM_DIR = msd.ensure_npm(base, msd.SAM_JS)
    if any(fam == "gnuspeech" for _, _, fam in items):
        msd.GNUSPEECH_DIR = msd.ensure_npm(base, msd.GNUSPEECH_JS)

    # neural-vocoder: the perturbed sources first, then one vocoder run over all of them (a torch
    # process per item would be slow), then the channel in work below.
    nv = [job for job in jobs if job[3] == "neural-vocoder"]
    if nv:
        pairs = []
        for k, uid, path, fam in nv:
            aid = f"a{k}_{uid}"
            dst = os.path.join(a.out, fam, "train", aid + ".wav")
            pert = os.path.join(a.out, fam, "pert", aid + ".wav")
            raw = os.path.join(a.out, fam, "raw", aid + ".wav")
            if not os.path.exists(raw) and not os.path.exists(pert):
                os.makedirs(os.path.dirname(pert), exist_ok=True)
                bid = uid.split("_", 1)[1]
                perturb(os.path.join(base, "bonafide", "train", bid + ".wav"), pert + ".tmp.wav",
                        random.Random(f"{msd.SEED}:aug{k}:{dst}"), ops, a.eq, a.band)
                os.replace(pert + ".tmp.wav", pert)
            pairs.append((pert, raw))
        msd.neural_vocoder_synth(base, pairs, "neural-vocoder")

    def work(job):
        k, uid, path, fam = job
        aid = f"a{k}_{uid}"
        dst = os.path.join(a.out, fam, "train", aid + ".wav")
        cdst = os.path.join(a.out, fam, "train-codec", "c_" + aid + ".wav")
        rows = [(aid, dst, "spoof", fam, "train", "none"), ("c_" + aid, cdst, "spoof", fam, "train", "mobile")]
        if os.path.exists(dst) and os.path.exists(cdst):
            return rows
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.makedirs(os.path.dirname(cdst), exist_ok=True)
        rng = random.Random(f"{msd.SEED}:aug{k}:{dst}")
        if fam == "neural-vocoder":
            with tempfile.TemporaryDirectory() as tmp:
                msd.telephone(os.path.join(a.out, fam, "raw", aid + ".wav"), dst, rng, tmp)
                msd.codec(dst, cdst, rng, tmp)
            return rows
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src.wav")
            if fam in msd.FAMILIES:
                # The generator of make_spoof_data.work, keyed by the original item's path.
                orig = random.Random(f"{msd.SEED}:{os.path.join(base, fam, 'train', uid + '.wav')}")
                msd.synth(fam, orig, msd.pick_text(orig, train_txt), src)
            else:  # replay, replay-room, the vocoders, griffin-lim, voice-changer, codec2: the source recording
                bid = uid.split("_", 1)[1]
                msd.run(["sox", os.path.join(base, "bonafide", "train", bid + ".wav"), "-e", "signed", "-b", "16", src])
            pert = os.path.join(tmp, "pert.wav")
            perturb(src, pert, rng, ops, a.eq, a.band)
            if fam in msd.FAMILIES:
                msd.telephone(pert, dst, rng, tmp)
            elif fam == "replay":
                msd.replay(pert, dst, rng, tmp)
            elif fam == "replay-room":
                msd.replay_room(pert, dst, rng, tmp)
            elif fam == "vocoder-lpc":
                msd.vocode(pert, dst, rng, tmp)
            elif fam == "griffin-lim":
                msd.griffin_lim(pert, dst, rng, tmp)
            elif fam == "vocoder-hnm":
                msd.vocode_hnm(pert, dst, rng, tmp)
            elif fam == "voice-changer":
                msd.voice_changer(pert, dst, rng, tmp)
            elif fam == "codec2":
                msd.codec2_resynth(pert, dst, rng, tmp)
            elif fam == "vocoder-mlsa":
                msd.mlsa_vocode(pert, dst, rng, tmp)
            else:
                raise ValueError(fam)
            msd.codec(dst, cdst, rng, tmp)
        return rows

    rows = msd.run_jobs(work, jobs, a.jobs)
    # Keep the key's rows of the families this run did not augment, so that runs with different
    # --families can share one --out (the key's rows for this run's families are rewritten).
    done = {r[3] for r in rows} | fams
    path = os.path.join(a.out, "key.tsv")
    if os.path.exists(path):
        for line in open(path):
            p = tuple(line.rstrip("\n").split("\t"))
            if len(p) == 6 and p[0] != "id" and p[3] not in done:
                rows.append(p)
    msd.write_key(a.out, rows)


if __name__ == "__main__":
    main()
