#!/usr/bin/python3
"""Builds the spoofing-countermeasure data set of issue 7 under bench/out/spoof/ (gitignored).

Reproducible: every random choice comes from random.Random(SEED + item), tools are Debian's
(apt-get install -y sox libsox-fmt-all espeak-ng festival festvox-kallpc16k festvox-kdlpc16k
festvox-us-slt-hts flite python3-numpy python3-torchaudio rhvoice rhvoice-english freetts codec2 sptk;
rhvoice, freetts, codec2 and vocoder-mlsa are skipped with a message when their tools are absent). Run from the repository root:

    python3 bench/spoof/make_spoof_data.py [--corpora ../shared/corpora] [--out bench/out/spoof] [--n 300] [--jobs 2]

The sam and gnuspeech families need node and npm (and the npm registry once, for the pinned
sam-js and @echogarden/gnuspeech-wasm); pico and
mbrola need Debian's non-free component (apt-get install libttspico-utils mbrola mbrola-us1
mbrola-us2 mbrola-us3 after adding "non-free contrib" to the apt sources).

--only griffin-lim (any comma-separated families) builds just those and replaces their rows in an
existing key.tsv. The griffin-lim and replay-room families need python3-numpy (Debian's /usr/bin/python3).

Layout (every file 8 kHz mono G.711 mu-law WAV, like the corpora):

    bonafide/{train,eval}/<spk>_<utt>.wav      symlinks to the corpora (eval = bench/dev_speakers.txt)
    bonafide/{train,eval}-codec/<id>.wav       the same through AMR-NB or GSM full rate
    (bonafide/<split>-tel/t_<id>.wav, the bona fide files through the synthetic items' telephone channel, and their
    further copies come from bench/spoof/make_spoof_noise.py --channels telephone, with the same draws)
    <family>/{train,eval}/<id>.wav             synthetic speech, one folder per TTS family
    <family>/{train,eval}-codec/<id>.wav       the same through AMR-NB or GSM
    replay/{train,eval}[-codec]/<id>.wav       bona fide speech replayed through a simulated
                                               loudspeaker and room and re-recorded (sox effects)
    replay-room/{train,eval}[-codec]/<id>.wav  the same, simulated independently (numpy: loudspeaker
                                               curve, synthetic room impulse response, microphone)
    vocoder-lpc/{train,eval}[-codec]/<id>.wav  bona fide speech resynthesised by a crude LPC
                                               vocoder (generic vocoder artefacts)
    vocoder-hnm/{train,eval}[-codec]/<id>.wav  bona fide speech copy-synthesised by a WORLD-style vocoder
                                               (F0, cepstrally smoothed envelope, band aperiodicity;
                                               pitch-synchronous minimum-phase pulses plus shaped noise)
    voice-changer/{train,eval}[-codec]/<id>.wav  bona fide speech pitch-shifted 2-7 semitones by a voice
                                               changer: sox's WSOLA pitch, a phase vocoder, or a phase
                                               vocoder keeping the spectral envelope (needs numpy)
    codec2/{train,eval}[-codec]/<id>.wav       bona fide speech copy-synthesised by Codec2 at 3200-700
                                               bit/s (a harmonic model with synthesised phases; needs
                                               codec2); a never-trained probe
    vocoder-mlsa/{train,eval}[-codec]/<id>.wav  bona fide speech copy-synthesised by HTS's mel-cepstral
                                               vocoder (SPTK: pitch, mcep, excite, mlsadf; needs sptk);
                                               a never-trained probe
    griffin-lim/{train,eval}[-codec]/<id>.wav  bona fide speech resynthesised from its STFT magnitude
                                               (half via an 80-band mel spectrogram) by Griffin-Lim
                                               phase reconstruction (needs numpy)
    neural-vocoder/{train,eval}[-codec]/<id>.wav  bona fide speech copy-synthesised (log-mel and F0 in)
                                               by a small NSF-HiFi-GAN-style neural vocoder trained on
                                               the training speakers (bench/spoof/neural_vocoder.py,
                                               needs python3-torchaudio; ~17 min to train, cached in
                                               OUT/tools/nvoc.pt); raw outputs cached in neural-vocoder/raw
    neural-istft/{train,eval}[-codec]/<id>.wav  the same through a second, different neural vocoder: an
                                               iSTFTNet-style generator from the mel alone (no F0 source;
                                               OUT/tools/nvoc_istft.pt); a never-trained probe
    neural-hifigan/{train,eval}[-codec]/<id>.wav  the same through a third: neural-vocoder's generator
                                               without its F0 source (mel only; OUT/tools/nvoc_hifigan.pt);
                                               a never-trained probe
    neural-gan/{train,eval}[-codec]/<id>.wav  the same through neural-hifigan's generator fine-tuned
                                               with HiFi-GAN's discriminators and losses (adversarial,
                                               feature matching, log-mel; OUT/tools/nvoc_gan.pt, ~45 min)
    neural-gan2/{train,eval}[-codec]/<id>.wav  the same after 3,000 more adversarial steps (a fresh
                                               discriminator; OUT/tools/nvoc_gan2.pt, ~45 min more)
    key.tsv                                    id, path, class (bonafide|spoof), family, split, codec

TTS families: espeak-ng (formant synthesis, many voice variants), festival-diphone (kal, ked
diphone voices), festival-hts (cmu_us_slt_arctic_hts, statistical parametric), flite-diphone (kal,
kal16), flite-cg (slt, rms, awb clustergen voices), sam (SAM, the Software Automatic Mouth: a 1982
rule-based formant synthesiser unrelated to espeak-ng, npm package sam-js, pinned and installed with
npm under OUT/tools, driven by bench/spoof/sam_wav.js with node; random speed, pitch, mouth and
throat), pico (SVOX Pico, en-US and en-GB, random speed and pitch by its markup), mbrola (MBROLA
diphone voices us1-us3 behind espeak-ng's text and prosody front end), rhvoice (RHVoice, Debian's
rhvoice and rhvoice-english: an HTS-style parametric engine with its own vocoder, voices alan, bdl,
clb, slt, evgeniy-eng and lyubov; random rate and pitch), freetts (FreeTTS, Debian's freetts: a Java
reimplementation of diphone synthesis, voices kevin and kevin16; no rate or pitch options), gnuspeech
(GnuSpeech: articulatory synthesis, a tube model of the vocal tract driven by rules, compiled to
WebAssembly in the npm package @echogarden/gnuspeech-wasm, pinned and installed under OUT/tools,
driven by bench/spoof/gnuspeech_wav.mjs; voices male, female, large_child and small_child, random
tempo). They speak the corpora's own transcripts
(text.txt); train items use texts of training speakers, eval items texts of dev speakers. Every
synthetic item passes through the telephone channel: resampling to 8 kHz, a random gain, an optional
telephone band-pass, additive noise at 25-55 dB SNR and mu-law.
"""
import argparse, array, math, os, random, shutil, subprocess, sys, tempfile, wave
from concurrent.futures import ThreadPoolExecutor

SEED = 7
FAMILIES = ["espeak-ng", "festival-diphone", "festival-hts", "flite-diphone", "flite-cg", "sam", "pico", "mbrola", "rhvoice",
            "freetts", "gnuspeech"]
NEEDS = {"pico": ("pico2wave", "libttspico-utils"), "mbrola": ("mbrola", "mbrola mbrola-us1 mbrola-us2 mbrola-us3"),
         "rhvoice": ("RHVoice-test", "rhvoice rhvoice-english"), "freetts": ("java", "freetts"),
         "codec2": ("c2enc", "codec2"), "vocoder-mlsa": ("/usr/libexec/sptk/bin/mlsadf", "sptk")}
FREETTS_JAR = "/usr/share/java/freetts.jar"
SAM_JS = "sam-js@0.3.1"  # npm package of the "sam" family, installed under OUT/tools by ensure_npm
SAM_DIR = None  # its package folder once ensure_npm has run
GNUSPEECH_JS = "@echogarden/gnuspeech-wasm@0.3.0"  # npm package of the "gnuspeech" family
GNUSPEECH_DIR = None


def tools_missing(fam):
    """Whether fam needs a tool (NEEDS) that is not installed; says which package to install."""
    if fam not in NEEDS:
        return False
    tool, pkgs = NEEDS[fam]
    if shutil.which(tool) and (fam != "freetts" or os.path.exists(FREETTS_JAR)):
        return False
    print(f"skipping {fam}: {tool} not found (apt-get install {pkgs})", file=sys.stderr)
    return True


def run(cmd, **kw):
    if cmd[0] == "sox":  # -R: repeatable; sox's automatic dither is otherwise seeded from the clock
        cmd = ["sox", "-R"] + cmd[1:]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def read_texts(corpora, dev):
    train, evl = [], []
    for corpus in ("speechocean762", "mini-librispeech"):
        path = os.path.join(corpora, corpus, "text.txt")
        with open(path) as f:
            for line in f:
                parts = line.strip().split(None, 1)
                if len(parts) != 2:
                    continue
                utt, text = parts
                spk = utt.split("-")[0] if corpus == "mini-librispeech" else utt[:4]
                (evl if f"{corpus}/{spk}" in dev else train).append(text.lower())
    return train, evl


def pick_text(rng, texts):
    words = rng.choice(texts).split()
    if len(words) > 18:  # long audiobook sentences: a random 6-18 word window
        n = rng.randint(6, 18)
        s = rng.randint(0, len(words) - n)
        words = words[s:s + n]
    return " ".join(words)


def synth(family, rng, text, out):
    if family == "espeak-ng":
        voice = rng.choice(["en-us", "en", "en-gb-x-rp", "en-029", "en-gb-scotland"])
        var = rng.choice(["", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+f1", "+f2", "+f3", "+f4", "+f5",
                          "+klatt", "+klatt2", "+croak", "+whisper"][:-1])
        run(["espeak-ng", "-v", voice + var, "-s", str(rng.randint(120, 200)), "-p", str(rng.randint(25, 75)),
             "-w", out, text])
    elif family.startswith("festival"):
        voice = "cmu_us_slt_arctic_hts" if family == "festival-hts" else rng.choice(["kal_diphone", "ked_diphone"])
        stretch = rng.uniform(0.85, 1.2)
        run(["text2wave", "-eval", f"(voice_{voice})", "-eval",
             f"(Parameter.set 'Duration_Stretch {stretch:.2f})", "-o", out], input=text.encode())
    elif family == "flite-diphone":
        run(["flite", "-voice", rng.choice(["kal", "kal16"]), "--setf", f"duration_stretch={rng.uniform(0.85, 1.2):.2f}",
             "--setf", f"int_f0_target_mean={rng.randint(85, 130)}", "-t", text, "-o", out])
    elif family == "sam":  # SAM, the 1982 formant synthesiser (its own rules, 8-bit, 22,050 Hz)
        run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "sam_wav.js"), SAM_DIR,
             str(rng.randint(60, 95)), str(rng.randint(40, 90)), str(rng.randint(100, 200)), str(rng.randint(100, 200)),
             out, text])
    elif family == "pico":  # SVOX Pico (Debian non-free libttspico-utils), its own engine; SVOX markup for rate and pitch
        markup = f"<speed level='{rng.randint(80, 120)}'><pitch level='{rng.randint(80, 120)}'>{text}</pitch></speed>"
        run(["pico2wave", "-l", rng.choice(["en-US", "en-GB"]), "-w", out, markup])
    elif family == "mbrola":  # MBROLA diphone concatenation (Debian non-free mbrola, mbrola-us1..3) behind espeak-ng's text front end
        run(["espeak-ng", "-v", rng.choice(["mb-us1", "mb-us2", "mb-us3"]), "-s", str(rng.randint(120, 190)),
             "-p", str(rng.randint(30, 70)), "-w", out, text])
    elif family == "rhvoice":  # RHVoice (Debian main): its own statistical parametric engine and vocoder, six English voices
        run(["RHVoice-test", "-p", rng.choice(["alan", "bdl", "clb", "slt", "evgeniy-eng", "lyubov"]),
             "-r", str(rng.randint(80, 125)), "-t", str(rng.randint(80, 120)), "-R", "16000", "-o", out],
            input=text.encode())
    elif family == "freetts":  # FreeTTS (Debian main, Java): its own implementation of diphone synthesis, kevin (8 kHz) and kevin16
        run(["java", "-jar", FREETTS_JAR, "-voice", rng.choice(["kevin", "kevin16"]), "-dumpAudio", out, "-text", text])
    elif family == "gnuspeech":  # GnuSpeech, articulatory synthesis (a vocal-tract tube model), 44.1 kHz
        run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gnuspeech_wav.mjs"), GNUSPEECH_DIR,
             rng.choice(["male", "female", "large_child", "small_child"]), f"{rng.uniform(0.8, 1.2):.2f}", out, text])
    elif family == "flite-cg":
        run(["flite", "-voice", rng.choice(["slt", "rms", "awb"]), "--setf",
             f"duration_stretch={rng.uniform(0.85, 1.2):.2f}", "-t", text, "-o", out])
    else:
        raise ValueError(family)


def ensure_npm(out, spec):
    """Installs the pinned npm package spec (name@version) under OUT/tools (npm, once) and returns its folder."""
    tools = os.path.abspath(os.path.join(out, "tools"))
    name, version = spec.rsplit("@", 1)
    d = os.path.join(tools, "node_modules", *name.split("/"))
    pj = os.path.join(d, "package.json")
    if not os.path.exists(pj):
        os.makedirs(tools, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", tools, "--no-audit", "--no-fund", "--save-exact", spec],
                       check=True, stdout=subprocess.DEVNULL)
    import json
    with open(pj) as f:
        got = json.load(f)["version"]
    if got != version:
        sys.exit(f"{d}: {name} {got} installed, want {version} (remove {tools} to reinstall)")
    return d


def add_noise(path, rng, snr_lo, snr_hi):
    """Adds white-ish (optionally low-passed) Gaussian noise at a random SNR to a 16-bit wav in place."""
    with wave.open(path) as w:
        params = w.getparams()
        x = array.array("h", w.readframes(w.getnframes()))
    if not x:
        return
    p = sum(v * v for v in x) / len(x)
    snr = rng.uniform(snr_lo, snr_hi)
    sd = math.sqrt(p / 10 ** (snr / 10)) if p > 0 else 3.0
    sd = max(sd, 1.0)
    g = random.Random(rng.random())
    a = rng.uniform(0, 0.9)  # one-pole colouring of the noise
    prev = 0.0
    y = array.array("h")
    for v in x:
        prev = a * prev + (1 - a) * g.gauss(0, sd) / math.sqrt((1 - a) / (1 + a))
        y.append(max(-32768, min(32767, int(round(v + prev)))))
    with wave.open(path, "wb") as w:
        w.setparams(params)
        w.writeframes(y.tobytes())


def to_mulaw(src, dst):
    run(["sox", src, "-r", "8000", "-c", "1", "-e", "u-law", "-b", "8", dst])


def telephone(src, dst, rng, tmp):
    """Synthetic speech into the telephone channel."""
    t = os.path.join(tmp, "tel.wav")
    fx = ["gain", "-n", str(-rng.uniform(2, 14))]
    if rng.random() < 0.5:
        fx += ["sinc", f"{rng.randint(200, 350)}-{rng.randint(3200, 3500)}"]
    run(["sox", src, "-r", "8000", "-c", "1", "-e", "signed", "-b", "16", t] + fx)
    add_noise(t, rng, 25, 55)
    to_mulaw(t, dst)


def replay(src, dst, rng, tmp):
    """Bona fide speech played through a small loudspeaker in a room and re-recorded by a phone."""
    t = os.path.join(tmp, "rep.wav")
    fx = ["highpass", str(rng.randint(150, 600)), "lowpass", str(rng.randint(2800, 3800))]
    for _ in range(rng.randint(1, 3)):  # loudspeaker/cabinet resonances
        fx += ["equalizer", str(rng.randint(400, 3200)), f"{rng.uniform(0.8, 4):.1f}q", f"{rng.uniform(-8, 10):.1f}"]
    if rng.random() < 0.7:  # amplifier compression
        fx += ["compand", "0.01,0.2", f"6:-70,-60,-20,{rng.randint(-14, -8)}", "-5", "-90", "0.05"]
    if rng.random() < 0.3:
        fx += ["overdrive", str(rng.randint(2, 8))]
    fx += ["reverb", "-w", str(rng.randint(15, 70)), str(rng.randint(20, 80)), str(rng.randint(15, 100)),
           "100", str(rng.randint(0, 20)), "0"]
    fx += ["gain", "-n", str(-rng.uniform(2, 12))]
    run(["sox", src, "-r", "8000", "-c", "1", "-e", "signed", "-b", "16", t] + fx)
    add_noise(t, rng, 20, 45)
    to_mulaw(t, dst)


def replay_room(src, dst, rng, tmp):
    """Bona fide speech replayed through a loudspeaker into a room and re-recorded: a second replay
    simulation, built independently of replay()'s sox chain (numpy only, 8 kHz; every filter
    minimum-phase). A loudspeaker from its own frequency curve (second-order low-frequency roll-off at 120-700 Hz, one to three cabinet
    resonances of -6..+10 dB, a treble roll-off at 2.5-3.9 kHz), an overdriven amplifier's soft
    clipping in 40 % of the items, a synthetic room impulse response (the direct path; 4-12 early
    reflections in the first 25 ms; a diffuse tail of exponentially decaying noise, RT60 0.15-0.9 s;
    direct-to-reverberant ratio -3..+12 dB), the recording microphone's band (high-pass 80-300 Hz,
    low-pass 3.0-3.9 kHz), pink room noise at 15-40 dB SNR, a random level, mu-law."""
    import numpy as np
    sr, nfft = 8000, 512
    x = np.array(read_pcm(src))
    if len(x) == 0:
        x = np.zeros(sr // 10)
    g = np.random.default_rng(int(rng.random() * 2 ** 32))
    f = np.maximum(np.fft.rfftfreq(nfft, 1 / sr), 1.0)

    def highpass(fc, order):
        return (f / fc) ** order / np.sqrt(1 + (f / fc) ** (2 * order))

    def lowpass(fc, order):
        return 1 / np.sqrt(1 + (f / fc) ** (2 * order))

    def fir(mag):  # the minimum-phase FIR (nfft taps) of the magnitude curve mag, by the cepstrum
        c = np.fft.irfft(np.log(np.maximum(mag, 1e-6)), nfft)
        fold = np.zeros(nfft)
        fold[0], fold[1:nfft // 2], fold[nfft // 2] = 1, 2, 1
        return np.fft.irfft(np.exp(np.fft.rfft(c * fold)), nfft)

    def filt(y, mag):  # causal, as a loudspeaker or a microphone is: no pre-ringing
        return np.convolve(y, fir(mag))[:len(y)]

    spk = highpass(rng.uniform(120, 700), 2) * lowpass(rng.uniform(2500, 3900), rng.randint(2, 4))
    for _ in range(rng.randint(1, 3)):
        f0, q, gain = rng.uniform(300, 3500), rng.uniform(1, 5), 10 ** (rng.uniform(-6, 10) / 20)
        spk = spk * (1 + (gain - 1) / (1 + q * q * (f / f0 - f0 / f) ** 2))
    y = filt(x, spk)
    if rng.random() < 0.4:
        d = rng.uniform(1.5, 4)
        peak = np.max(np.abs(y)) + 1e-9
        y = np.tanh(d * y / peak) / np.tanh(d) * peak
    rt60 = rng.uniform(0.15, 0.9)
    n = int(rt60 * sr)
    t = np.arange(n) / sr
    tail = g.standard_normal(n) * np.exp(-6.908 * t / rt60)
    tail[:int(0.003 * sr)] = 0
    for _ in range(rng.randint(4, 12)):
        tail[int(rng.uniform(0.002, 0.025) * sr)] += rng.uniform(-1, 1) * 3
    drr = rng.uniform(-3, 12)
    h = tail * np.sqrt(10 ** (-drr / 10) / (np.sum(tail ** 2) + 1e-12))
    h[0] += 1.0
    y = np.convolve(y, h)[:len(y)]
    y = filt(y, highpass(rng.uniform(80, 300), 2) * lowpass(rng.uniform(3000, 3900), 4))
    w = np.fft.rfft(g.standard_normal(len(y)))
    w /= np.sqrt(np.maximum(np.fft.rfftfreq(len(y), 1 / sr), 20.0))
    noise = np.fft.irfft(w, len(y))
    snr = rng.uniform(15, 40)
    py, pn = np.mean(y ** 2) + 1e-12, np.mean(noise ** 2) + 1e-12
    y = y + noise * np.sqrt(py / pn / 10 ** (snr / 10))
    y *= rng.uniform(0.3, 0.9) / (np.max(np.abs(y)) + 1e-9)
    t16 = os.path.join(tmp, "room.wav")
    write_wav16(t16, y, sr)
    to_mulaw(t16, dst)


def read_pcm(path):
    """8 kHz mono samples of a WAV file as floats (via sox)."""
    raw = subprocess.run(["sox", "-R", path, "-t", "raw", "-e", "signed", "-b", "16", "-r", "8000", "-c", "1", "-"],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return [v / 32768.0 for v in array.array("h", raw)]


def lpc(frame, order):
    """Autocorrelation LPC by Levinson-Durbin: (a[1..order], prediction error energy)."""
    n = len(frame)
    r = [sum(frame[i] * frame[i + k] for i in range(n - k)) for k in range(order + 1)]
    if r[0] <= 1e-9:
        return [0.0] * order, 0.0
    r[0] *= 1.0001  # white-noise correction
    a, e = [], r[0]
    for i in range(order):
        k = (r[i + 1] - sum(a[j] * r[i - j] for j in range(i))) / e
        a = [a[j] - k * a[i - 1 - j] for j in range(i)] + [k]
        e *= 1 - k * k
    return a, max(e, 0.0)


def vocode(src, dst, rng, tmp):
    """Bona fide speech resynthesised by a crude LPC vocoder (pulse-train or noise excitation through
    the frame's all-pole filter): a generic stand-in for statistical-parametric and vocoder artefacts."""
    x = read_pcm(src)
    order, hop, win = rng.randint(8, 16), 80, 240
    thr = rng.uniform(0.25, 0.45)
    f0_scale = rng.uniform(0.9, 1.1)
    hann = [0.5 - 0.5 * math.cos(2 * math.pi * i / (win - 1)) for i in range(win)]
    y, mem, phase = [], [0.0] * 16, 0.0
    g = random.Random(rng.random())
    for start in range(0, max(len(x) - win, 0), hop):
        fr = [x[start + i] * hann[i] for i in range(win)]
        a, err = lpc(fr, order)
        gain = math.sqrt(err / win)
        # Voicing and F0 from the normalised autocorrelation over 60-400 Hz lags.
        e0 = sum(v * v for v in fr) + 1e-12
        best, lag = 0.0, 0
        for L in range(20, 134):
            c = sum(fr[i] * fr[i + L] for i in range(win - L)) / e0
            if c > best:
                best, lag = c, L
        voiced = best > thr and lag > 0
        period = lag / f0_scale if voiced else 0
        for i in range(hop):
            if voiced:
                phase += 1
                e = math.sqrt(period) if phase >= period else 0.0
                if phase >= period:
                    phase -= period
            else:
                e = g.gauss(0, 1)
            v = gain * e + sum(a[j] * mem[j] for j in range(order))
            mem = [v] + mem[:-1]
            y.append(max(-1.0, min(1.0, v)))
    t = os.path.join(tmp, "voc.wav")
    with wave.open(t, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(array.array("h", (int(v * 32767) for v in y)).tobytes())
    telephone(t, dst, rng, tmp)


def vocode_hnm(src, dst, rng, tmp):
    """Bona fide speech copy-synthesised by a WORLD-style source-filter vocoder, the vocoder of most
    statistical-parametric TTS and of many voice-conversion systems (ASVspoof 2019's A02, A03, A05):
    per 5 ms frame an F0 (normalised autocorrelation, 60-400 Hz, median-smoothed), a spectral envelope
    (the log power spectrum of a pitch-adaptive Hann window, cepstrally smoothed: CheapTrick's idea)
    and a band aperiodicity (one minus the normalised autocorrelation at the pitch lag of four bands,
    D4C's role); then synthesis pitch-pulse by pitch-pulse: each pulse the minimum-phase response of
    the envelope's periodic part, plus noise shaped by its aperiodic part, overlap-added. Unlike
    vocoder-lpc (an all-pole filter on a binary pulse-or-noise excitation) the excitation is mixed
    per band and the filter is a smoothed FFT envelope. Random per item: the cepstral lifter, the
    voicing threshold, an F0 scale of 0.92-1.08 and the aperiodicity's floor."""
    import numpy as np
    fs, hop, nfft = 8000, 40, 512
    x = np.asarray(read_pcm(src))
    if len(x) < 4 * nfft:
        x = np.concatenate([x, np.zeros(4 * nfft - len(x))])
    nfr = len(x) // hop
    lifter = rng.randint(18, 36)
    thr = rng.uniform(0.3, 0.45)
    f0_scale = rng.uniform(0.92, 1.08)
    ap_floor = rng.uniform(0.001, 0.05)
    g = np.random.default_rng(int(rng.random() * 2 ** 32))
    xp = np.concatenate([np.zeros(nfft), x, np.zeros(nfft)])
    # F0 and voicing from a 40 ms window's normalised autocorrelation.
    W = 320
    win_r = np.fft.irfft(np.abs(np.fft.rfft(np.hanning(W), 2 * nfft)) ** 2)[:W]  # window bias
    f0 = np.zeros(nfr)
    for t in range(nfr):
        c = nfft + t * hop
        fr = xp[c - W // 2:c + W // 2] * np.hanning(W)
        S = np.fft.rfft(fr, 2 * nfft)
        r = np.fft.irfft(np.abs(S) ** 2)[:W]
        if r[0] <= 1e-9:
            continue
        rn = r / r[0] / np.maximum(win_r / win_r[0], 1e-3)
        lo, hi = 20, 134
        k = lo + int(np.argmax(rn[lo:hi]))
        if rn[k] > thr:
            a, b, cc = rn[k - 1], rn[k], rn[min(k + 1, W - 1)]
            d = a - 2 * b + cc
            off = 0.5 * (a - cc) / d if d < 0 else 0.0
            f0[t] = fs / (k + off)
    # Median-smooth F0 over 5 frames; isolated voiced frames are dropped.
    f0s = f0.copy()
    for t in range(nfr):
        seg = f0[max(t - 2, 0):t + 3]
        v = seg[seg > 0]
        f0s[t] = np.median(v) if f0[t] > 0 and len(v) >= 3 else 0.0
    f0s *= f0_scale
    # Spectral envelope (log amplitude, nfft/2+1 bins) and band aperiodicity per frame.
    nb = nfft // 2 + 1
    env = np.zeros((nfr, nb))
    ap = np.ones((nfr, nb))
    freqs = np.arange(nb) * fs / nfft
    bands = [(0, 1000), (1000, 2000), (2000, 3000), (3000, 4000)]
    centres = np.array([500.0, 1500.0, 2500.0, 3500.0])
    for t in range(nfr):
        c = nfft + t * hop
        L = int(3 * fs / f0s[t]) if f0s[t] > 0 else 160
        L = min(max(L, 80), nfft - 2)
        w = np.hanning(L)
        fr = xp[c - L // 2:c - L // 2 + L] * w
        P = np.abs(np.fft.rfft(fr, nfft)) ** 2 / (np.sum(w ** 2) + 1e-12)
        cep = np.fft.irfft(np.log(P + 1e-10))
        q = lifter if f0s[t] <= 0 else min(lifter, int(0.8 * fs / f0s[t]))
        cep[q + 1:nfft - q] = 0
        env[t] = 0.5 * np.fft.rfft(cep).real  # log amplitude
        if f0s[t] > 0:
            lag = fs / f0s[t] * f0_scale  # the measured lag (before scaling)
            S = np.fft.rfft(fr, nfft)
            k = int(round(lag))
            wr = np.fft.irfft(np.abs(np.fft.rfft(w, nfft)) ** 2)
            bias = wr[k] / wr[0] if k < nfft // 2 else 0.0  # the window's own decay at the lag
            vals = []
            for lo_f, hi_f in bands:
                m = (freqs >= lo_f) & (freqs < hi_f)
                Pb = np.zeros(nb)
                Pb[m] = np.abs(S[m]) ** 2
                rb = np.fft.irfft(Pb)
                rk = rb[k] / rb[0] / bias if rb[0] > 1e-12 and bias > 0.05 else 0.0
                vals.append(min(max(1 - rk, ap_floor), 1.0))
            ap[t] = np.interp(freqs, centres, vals)
    # Synthesis: pitch-synchronous minimum-phase pulses plus shaped noise, overlap-added.
    y = np.zeros(len(xp) + nfft)
    n = np.arange(nfft)
    fold = np.zeros(nfft)
    fold[0] = 1
    fold[1:nfft // 2] = 2
    fold[nfft // 2] = 1

    def minphase(logamp):
        cep = np.fft.irfft(logamp, nfft) * fold
        return np.fft.irfft(np.exp(np.fft.rfft(cep)), nfft)

    pos = float(nfft)
    while pos < nfft + nfr * hop:
        t = min(int((pos - nfft) / hop), nfr - 1)
        if f0s[t] > 0:
            T = fs / f0s[t]
            h = minphase(env[t] + 0.5 * np.log(np.maximum(1 - ap[t], 1e-6)))
            i0 = int(pos)
            y[i0:i0 + nfft] += h * np.sqrt(T)
            pos += T
        else:
            pos += hop
    nw = np.hanning(2 * hop)
    for t in range(nfr):
        i0 = nfft + t * hop - hop
        noise = g.standard_normal(2 * hop) * nw
        N = np.fft.rfft(noise, nfft) * np.exp(env[t] + 0.5 * np.log(np.maximum(ap[t], 1e-6)))
        y[i0:i0 + nfft] += np.fft.irfft(N, nfft)
    y = y[nfft:nfft + len(x)]
    # Loudness follows the source's, 20 ms at a time (smoothed), as a vocoder's energy track would.
    E = lambda s: np.sqrt(np.convolve(s ** 2, np.ones(160) / 160, mode="same") + 1e-10)
    y *= np.clip(E(x) / E(y), 0, 10)
    to_telephone(y, fs, dst, rng, tmp)


def mel_filterbank(n_mels, n_fft, rate):
    """Slaney-style triangular mel filters (HTK mel scale, area-normalised), shape (n_mels, n_fft/2+1)."""
    import numpy as np
    mel = lambda f: 2595 * np.log10(1 + f / 700.0)
    hz = lambda m: 700 * (10 ** (m / 2595.0) - 1)
    edges = hz(np.linspace(mel(0.0), mel(rate / 2.0), n_mels + 2))
    freqs = np.linspace(0, rate / 2.0, n_fft // 2 + 1)
    fb = np.zeros((n_mels, len(freqs)))
    for m in range(n_mels):
        lo, c, hi = edges[m], edges[m + 1], edges[m + 2]
        fb[m] = np.maximum(0, np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)))
        fb[m] *= 2.0 / (hi - lo)
    return fb


def write_wav16(path, y, rate):
    """Writes float samples y (numpy, within [-1, 1]) as a 16-bit mono WAV at rate Hz."""
    import numpy as np
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.round(y * 32767).astype("<i2").tobytes())

def to_telephone(y, rate, dst, rng, tmp):
    """Resynthesised float samples y (numpy) at rate Hz into the telephone channel, scaled down
    first if they would clip."""
    import numpy as np
    peak = np.max(np.abs(y)) if len(y) else 0.0
    if peak > 0.99:
        y = y * (0.99 / peak)
    t = os.path.join(tmp, "resynth.wav")
    write_wav16(t, y, rate)
    telephone(t, dst, rng, tmp)


def griffin_lim(src, dst, rng, tmp):
    """Bona fide speech resynthesised from its STFT magnitude alone by Griffin-Lim phase reconstruction
    (16 kHz, 32 ms Hann window, 8 ms hop, 30-60 iterations, half with the fast variant's momentum 0.99);
    half of the items first pass through an 80-band mel spectrogram and its non-negative pseudo-inverse,
    the way a neural TTS front end's mel frames reach a Griffin-Lim vocoder. A stand-in for the phase
    and smearing artefacts of vocoders that rebuild the waveform from a magnitude representation."""
    import numpy as np
    rate, n_fft, hop = 16000, 512, 128
    raw = subprocess.run(["sox", "-R", src, "-t", "raw", "-e", "signed", "-b", "16", "-r", str(rate), "-c", "1", "-"],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    win = np.hanning(n_fft + 1)[:-1]  # periodic Hann
    n = max(len(x), n_fft)
    nfr = 1 + (n + n_fft - 1) // hop  # frames over the signal padded by n_fft/2 each side
    pad = np.zeros((nfr - 1) * hop + n_fft)
    pad[n_fft // 2:n_fft // 2 + len(x)] = x
    idx = np.arange(n_fft)[None, :] + hop * np.arange(nfr)[:, None]

    def ola(frames):  # overlap-add of (nfr, n_fft) frames at the hop
        y = np.zeros(len(pad))
        for j in range(n_fft // hop):
            y[j * hop:j * hop + nfr * hop] += frames[:, j * hop:(j + 1) * hop].reshape(-1)
        return y

    wsum = np.maximum(ola(np.broadcast_to(win ** 2, idx.shape)), 1e-8)

    def stft(y):
        return np.fft.rfft(y[idx] * win, axis=1)

    def istft(S):
        return ola(np.fft.irfft(S, n=n_fft, axis=1) * win) / wsum

    mag = np.abs(stft(pad))
    if rng.random() < 0.5:  # mel bottleneck: power -> 80 mel bands -> non-negative pseudo-inverse
        fb = mel_filterbank(80, n_fft, rate)
        mel = mag ** 2 @ fb.T
        mag = np.sqrt(np.maximum(mel @ np.linalg.pinv(fb).T, 0.0))
    iters = rng.randint(30, 60)
    momentum = rng.choice([0.0, 0.99])
    g = np.random.default_rng(int(rng.random() * 2 ** 32))
    S = mag * np.exp(2j * np.pi * g.random(mag.shape))
    prev = np.zeros_like(S)
    for _ in range(iters):
        C = stft(istft(S))
        A = C - momentum / (1 + momentum) * prev if momentum else C
        prev = C
        S = mag * np.exp(1j * np.angle(A))
    y = istft(S)[n_fft // 2:n_fft // 2 + len(x)]
    to_telephone(y, rate, dst, rng, tmp)


def voice_changer(src, dst, rng, tmp):
    """Bona fide speech through a voice changer, the real-time pitch shifters fraudsters use to
    disguise a voice or move it towards a victim's: a shift of 2-7 semitones up or down, by one of
    three methods drawn per item: sox's pitch effect (WSOLA time-scaling plus resampling, pitch and
    formants move together); a phase vocoder (16 kHz, 32 ms Hann window, 8 ms hop: time-stretched
    by the shift, then played faster by it); or the same phase vocoder keeping each frame's
    cepstrally smoothed spectral envelope where it was (pitch moves, formants stay, as a "natural"
    voice changer does). A stand-in for the phase and envelope artefacts of signal-processing voice
    conversion."""
    import numpy as np
    semis = rng.uniform(2, 7) * rng.choice([-1, 1])
    s = 2 ** (semis / 12)
    method = rng.choice(["sox", "pv", "pv-formant"])
    if method == "sox":
        t = os.path.join(tmp, "vc.wav")
        run(["sox", src, "-r", "16000", "-e", "signed", "-b", "16", t, "pitch", f"{semis * 100:.0f}"])
        telephone(t, dst, rng, tmp)
        return
    rate, n_fft, hop = 16000, 512, 128
    raw = subprocess.run(["sox", "-R", src, "-t", "raw", "-e", "signed", "-b", "16", "-r", str(rate), "-c", "1", "-"],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    win = np.hanning(n_fft + 1)[:-1]
    pad = np.concatenate([np.zeros(n_fft), x, np.zeros(n_fft)])
    nfr = 1 + (len(pad) - n_fft) // hop
    S = np.fft.rfft(np.stack([pad[i * hop:i * hop + n_fft] * win for i in range(nfr)]), axis=1)
    bins = np.arange(n_fft // 2 + 1)
    advance = 2 * np.pi * hop * bins / n_fft
    steps = np.arange(0, nfr - 1, 1 / s)  # the stretch: s times as many frames
    phase = np.angle(S[0])
    n_out = len(steps)
    y = np.zeros(n_out * hop + n_fft)
    wsum = np.zeros_like(y)
    lifter = rng.randint(20, 40)
    for j, t in enumerate(steps):
        i, frac = int(t), t - int(t)
        mag = (1 - frac) * np.abs(S[i]) + frac * np.abs(S[i + 1])
        if method == "pv-formant":  # pre-warp so that the envelope lands where it was after the speed-up
            c = np.fft.irfft(np.log(mag + 1e-6))
            c[lifter:len(c) - lifter + 1] = 0
            env = np.fft.rfft(c).real
            warped = np.interp(bins * s, bins, env, right=env[-1] - 10)
            mag = mag * np.exp(warped - env)
        frame = np.fft.irfft(mag * np.exp(1j * phase), n=n_fft) * win
        y[j * hop:j * hop + n_fft] += frame
        wsum[j * hop:j * hop + n_fft] += win ** 2
        d = np.angle(S[i + 1]) - np.angle(S[i]) - advance
        phase = phase + advance + (d + np.pi) % (2 * np.pi) - np.pi
    y = y / np.maximum(wsum, 1e-3)
    y = y[int(round(n_fft * s)):][:int(round(len(x) * s))]
    # Played at rate·s, the stretched signal is back to the source's duration, its pitch moved by s.
    peak = np.max(np.abs(y)) if len(y) else 0.0
    if peak > 0.99:
        y = y * (0.99 / peak)
    t = os.path.join(tmp, "vc.wav")
    write_wav16(t, y, int(round(rate * s)))
    telephone(t, dst, rng, tmp)


CODEC2_MODES = ["3200", "2400", "1600", "1400", "1300", "1200", "700C"]
SPTK_BIN = "/usr/libexec/sptk/bin"  # Debian's sptk package keeps its tools here


def codec2_resynth(src, dst, rng, tmp):
    """Bona fide speech copy-synthesised by Codec2 (Debian's codec2: c2enc then c2dec at a mode of
    3200 down to 700 bit/s drawn per item): a harmonic sinusoidal model whose amplitudes come from a
    quantised LPC/LSP envelope and whose phases are synthesised, not sent, so the waveform is rebuilt
    from a parametric description as a statistical-parametric or voice-conversion vocoder rebuilds
    it. Needs codec2."""
    mode = rng.choice(CODEC2_MODES)
    raw, bits, out = (os.path.join(tmp, n) for n in ("c2in.raw", "c2.bit", "c2out.raw"))
    run(["sox", src, "-t", "raw", "-r", "8000", "-c", "1", "-e", "signed", "-b", "16", raw])
    run(["c2enc", mode, raw, bits])
    run(["c2dec", mode, bits, out])
    t = os.path.join(tmp, "c2.wav")
    run(["sox", "-t", "raw", "-r", "8000", "-c", "1", "-e", "signed", "-b", "16", out, t])
    telephone(t, dst, rng, tmp)


def pipeline(cmds, src, dst):
    """Runs cmds (argument lists) as a shell pipeline from file src to file dst; fails if any does."""
    with open(src, "rb") as i, open(dst, "wb") as o:
        procs = []
        for k, cmd in enumerate(cmds):
            procs.append(subprocess.Popen(cmd, stdin=procs[-1].stdout if procs else i,
                                          stdout=o if k == len(cmds) - 1 else subprocess.PIPE,
                                          stderr=subprocess.DEVNULL))
            if k > 0:
                procs[-2].stdout.close()  # so that an earlier stage sees a broken pipe if a later one dies
        for p, cmd in zip(procs, cmds):
            if p.wait() != 0:
                raise subprocess.CalledProcessError(p.returncode, cmd)


def mlsa_vocode(src, dst, rng, tmp):
    """Bona fide speech copy-synthesised by the mel-cepstral vocoder of HMM-based TTS (the HTS
    demo's pipeline in Debian's SPTK 3.9): F0 by RAPT or SWIPE', a mel-cepstrum of order 20-30 (all-pass
    constant 0.31 at 8 kHz) every 5 ms, a pulse train or white noise through the MLSA filter. Needs
    sptk."""
    import numpy as np

    def sptk(tool, *args):
        return [os.path.join(SPTK_BIN, tool), *map(str, args)]

    order = rng.randint(20, 30)
    raw, fl, pit, mc, out = (os.path.join(tmp, n) for n in ("m.raw", "m.f", "m.pitch", "m.mcep", "m.out"))
    run(["sox", src, "-t", "raw", "-r", "8000", "-c", "1", "-e", "signed", "-b", "16", raw])
    np.fromfile(raw, dtype="<i2").astype(np.float32).tofile(fl)  # SPTK's float samples (x2x +sf)
    pipeline([sptk("pitch", "-a", rng.choice([0, 1]), "-s", 8, "-p", 40, "-L", 60, "-H", 400, "-o", 0)], fl, pit)
    pipeline([sptk("frame", "-l", 256, "-p", 40), sptk("window", "-l", 256, "-L", 256),
              sptk("mcep", "-l", 256, "-m", order, "-a", 0.31, "-e", "1e-8")], fl, mc)
    pipeline([sptk("excite", "-p", 40, pit), sptk("mlsadf", "-m", order, "-a", 0.31, "-p", 40, mc)], os.devnull, out)
    y = np.fromfile(out, dtype=np.float32).astype(np.float64) / 32768.0
    to_telephone(y, 8000, dst, rng, tmp)


def write_bonafide_key(path, prefix, rows):
    """Writes the key of extra bona fide training files for bench/spoof/lofo --aug: rows of
    (id, path, codec), each id prefixed with prefix."""
    with open(path, "w") as f:
        f.write("id\tpath\tclass\tfamily\tsplit\tcodec\n")
        for uid, p, codec_ in rows:
            f.write(f"{prefix}{uid}\t{p}\tbonafide\tbonafide\ttrain\t{codec_}\n")


def codec(src, dst, rng, tmp):
    """A mobile codec round trip: AMR-NB at a random mode or GSM 06.10 full rate, then mu-law."""
    t16 = os.path.join(tmp, "c16.wav")
    run(["sox", src, "-e", "signed", "-b", "16", t16])
    if rng.random() < 0.6:
        enc = os.path.join(tmp, "c.amr-nb")
        run(["sox", t16, "-C", str(rng.randint(0, 7)), "-t", "amr-nb", enc])
    else:
        enc = os.path.join(tmp, "c.gsm")
        run(["sox", t16, "-t", "gsm", enc])
    to_mulaw(enc, dst)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", default="../shared/corpora")
    ap.add_argument("--out", default="bench/out/spoof")
    ap.add_argument("--dev", default="bench/dev_speakers.txt")
    ap.add_argument("--n", type=int, default=300, help="synthetic items per family (2/3 train, 1/3 eval)")
    ap.add_argument("--bonafide", type=int, default=900, help="bona fide training files (eval: all dev files)")
    ap.add_argument("--replay", type=int, default=300, help="replayed items (2/3 train, 1/3 eval)")
    ap.add_argument("--vocoder", type=int, default=300, help="LPC-vocoded bona fide items (2/3 train, 1/3 eval)")
    ap.add_argument("--vocoder-hnm", type=int, default=300,
                    help="bona fide items copy-synthesised by the WORLD-style vocoder (2/3 train, 1/3 eval)")
    ap.add_argument("--griffin-lim", type=int, default=300,
                    help="Griffin-Lim-resynthesised bona fide items (2/3 train, 1/3 eval)")
    ap.add_argument("--voice-changer", type=int, default=300,
                    help="bona fide items through a pitch-shifting voice changer (2/3 train, 1/3 eval)")
    ap.add_argument("--codec2", type=int, default=300,
                    help="bona fide items copy-synthesised by Codec2 at 3200-700 bit/s (2/3 train, 1/3 eval)")
    ap.add_argument("--vocoder-mlsa", type=int, default=300,
                    help="bona fide items copy-synthesised by SPTK's mel-cepstral (MLSA) vocoder (2/3 train, 1/3 eval)")
    ap.add_argument("--neural-vocoder", type=int, default=300,
                    help="bona fide items copy-synthesised by the neural vocoder (2/3 train, 1/3 eval)")
    ap.add_argument("--neural-istft", type=int, default=300,
                    help="bona fide items copy-synthesised by the iSTFTNet-style vocoder (2/3 train, 1/3 eval)")
    ap.add_argument("--neural-hifigan", type=int, default=300,
                    help="bona fide items copy-synthesised by the source-less HiFi-GAN-style vocoder (2/3 train, 1/3 eval)")
    ap.add_argument("--neural-gan", type=int, default=300,
                    help="bona fide items copy-synthesised by neural-hifigan's generator fine-tuned adversarially as "
                         "HiFi-GAN is (2/3 train, 1/3 eval)")
    ap.add_argument("--neural-gan2", type=int, default=300,
                    help="bona fide items copy-synthesised by neural-gan's generator after 3,000 more adversarial "
                         "steps (2/3 train, 1/3 eval)")
    ap.add_argument("--only", default="",
                    help="comma-separated families to build (e.g. griffin-lim); their rows replace theirs in an "
                         "existing key.tsv, every other row is kept (default: everything, key.tsv rewritten)")
    ap.add_argument("--bonafide-codec-every", type=int, default=2,
                    help="codec copies of every N-th bona fide training file (every eval file has one); 1 was "
                         "measured on 2026-12-03 (bench/README) and not adopted")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    only = {f for f in a.only.split(",") if f}
    known = set(FAMILIES) | {"bonafide", "replay", "replay-room", "vocoder-lpc", "vocoder-hnm", "griffin-lim",
                            "voice-changer", "codec2", "vocoder-mlsa"} | set(NEURAL_VOCODERS)
    if only - known:
        ap.error(f"--only: unknown families {sorted(only - known)} (known: {sorted(known)})")
    dev = read_dev(a.dev)
    train_txt, eval_txt = read_texts(a.corpora, dev)
    global SAM_DIR, GNUSPEECH_DIR
    if not only or "sam" in only:
        SAM_DIR = ensure_npm(a.out, SAM_JS)
    if not only or "gnuspeech" in only:
        GNUSPEECH_DIR = ensure_npm(a.out, GNUSPEECH_JS)
    key = []
    jobs = []  # (kind, args)

    # Bona fide: speechocean762 + mini-librispeech; dev speakers -> eval.
    bona = bonafide_recordings(a.corpora, dev)
    random.Random(SEED).shuffle(bona["train"])
    bona["train"] = sorted(bona["train"][:a.bonafide])
    for split, items in bona.items():
        d = os.path.join(a.out, "bonafide", split)
        os.makedirs(d, exist_ok=True)
        for i, (uid, src) in enumerate(items):
            dst = os.path.join(d, uid + ".wav")
            if not os.path.lexists(dst):
                os.symlink(src, dst)
            if not only or "bonafide" in only:
                key.append((uid, dst, "bonafide", "bonafide", split, "none"))
            if only and "bonafide" not in only:
                continue
            if split == "eval" or i % a.bonafide_codec_every == 0:  # codec copies: every eval file, training per the flag
                jobs.append(("codec", src, os.path.join(a.out, "bonafide", split + "-codec", uid + ".wav"),
                             ("c_" + uid, "bonafide", "bonafide", split)))

    for fam in FAMILIES:
        if only and fam not in only:
            continue
        if tools_missing(fam):  # keep a machine without Debian's non-free component building everything else
            continue
        for i in range(a.n):
            split = "train" if i < a.n * 2 // 3 else "eval"
            uid = f"{fam}_{i:04d}"
            jobs.append(("tts", fam, os.path.join(a.out, fam, split, uid + ".wav"),
                         (uid, "spoof", fam, split, i, train_txt if split == "train" else eval_txt)))
    # Families made from bona fide recordings: 2/3 of the items from training speakers' files, the
    # rest from dev speakers', each family with its own seeds (so mostly different recordings).
    for fam, kind, prefix, n, seed in (("replay", "replay", "r_", a.replay, SEED + 1),
                                        ("vocoder-lpc", "vocoder", "v_", a.vocoder, SEED + 3),
                                        ("griffin-lim", "griffin-lim", "g_", a.griffin_lim, SEED + 5),
                                        ("replay-room", "replay-room", "q_", a.replay, SEED + 7),
                                        ("vocoder-hnm", "vocoder-hnm", "w_", a.vocoder_hnm, SEED + 19),
                                        ("voice-changer", "voice-changer", "k_", a.voice_changer, SEED + 21),
                                        ("codec2", "codec2", "x_", a.codec2, SEED + 23),
                                        ("vocoder-mlsa", "vocoder-mlsa", "y_", a.vocoder_mlsa, SEED + 25),
                                        *((fam, fam, prefix, getattr(a, fam.replace("-", "_")), seed)
                                          for fam, (_, _, prefix, seed, _, _) in NEURAL_VOCODERS.items())):
        if only and fam not in only:
            continue
        if tools_missing(fam):
            continue
        ntr = n * 2 // 3
        picked = (("train", random.Random(seed).sample(bona["train"], min(ntr, len(bona["train"])))),
                  ("eval", random.Random(seed + 1).sample(bona["eval"], min(n - ntr, len(bona["eval"])))))
        for split, items in picked:
            for uid, src in items:
                jobs.append((kind, src, os.path.join(a.out, fam, split, prefix + uid + ".wav"),
                             (prefix + uid, "spoof", fam, split)))

    # The neural vocoder runs once over all its items (one torch process), before the channel jobs.
    for fam in NEURAL_VOCODERS:
        nv = [(src, os.path.join(a.out, fam, "raw", os.path.basename(dst))) for kind, src, dst, _ in jobs if kind == fam]
        if nv:
            neural_vocoder_synth(a.out, nv, fam)

    def work(job):
        kind, src, dst, meta = job
        rng = random.Random(f"{SEED}:{dst}")
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if kind == "codec":
                if not os.path.exists(dst):
                    codec(src, dst, rng, tmp)
                rows.append((meta[0], dst, meta[1], meta[2], meta[3], "mobile"))
                return rows
            if kind == "tts":
                uid, cls, fam, split, i, texts = meta
                if not os.path.exists(dst):
                    raw = os.path.join(tmp, "raw.wav")
                    synth(fam, rng, pick_text(rng, texts), raw)
                    telephone(raw, dst, rng, tmp)
            else:
                uid, cls, fam, split = meta
                if not os.path.exists(dst):
                    {"vocoder": vocode, "replay": replay, "griffin-lim": griffin_lim, "replay-room": replay_room,
                     "vocoder-hnm": vocode_hnm, "voice-changer": voice_changer, "codec2": codec2_resynth,
                     "vocoder-mlsa": mlsa_vocode,
                     **dict.fromkeys(NEURAL_VOCODERS, neural_vocoder_channel)}[kind](src, dst, rng, tmp)
            rows.append((uid, dst, cls, fam, split, "none"))
            cdst = os.path.join(os.path.dirname(os.path.dirname(dst)), split + "-codec", "c_" + uid + ".wav")
            os.makedirs(os.path.dirname(cdst), exist_ok=True)
            if not os.path.exists(cdst):
                codec(dst, cdst, rng, tmp)
            rows.append(("c_" + uid, cdst, cls, fam, split, "mobile"))
        return rows

    key.extend(run_jobs(work, jobs, a.jobs))
    if only:  # keep the other families' rows of the existing key
        with open(os.path.join(a.out, "key.tsv")) as f:
            for line in f:
                r = tuple(line.rstrip("\n").split("\t"))
                if len(r) == 6 and r[0] != "id" and r[3] not in only:
                    key.append(r)
    write_key(a.out, key)


NV_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "neural_vocoder.py")


# The neural-vocoder families: family -> (neural_vocoder.py --arch, checkpoint under OUT/tools, item
# id prefix, seed of the drawn recordings, the family whose checkpoint it is fine-tuned from or "",
# further training arguments).
NEURAL_VOCODERS = {"neural-vocoder": ("nsf-hifigan", "nvoc.pt", "n_", SEED + 9, "", ()),
                   "neural-istft": ("istftnet", "nvoc_istft.pt", "m_", SEED + 11, "", ()),
                   "neural-hifigan": ("hifigan", "nvoc_hifigan.pt", "h_", SEED + 13, "", ()),
                   "neural-gan": ("hifigan", "nvoc_gan.pt", "a_", SEED + 15, "neural-hifigan",
                                  ("--gan", "--steps", "3000")),
                   "neural-gan2": ("hifigan", "nvoc_gan2.pt", "b_", SEED + 17, "neural-gan",
                                   ("--gan", "--steps", "3000"))}


def neural_vocoder_ckpt(out, fam):
    """The family's trained vocoder under OUT/tools, trained first (and the one it is fine-tuned
    from, before it) when it is not there yet."""
    arch, name, _, _, base, extra = NEURAL_VOCODERS[fam]
    ckpt = os.path.join(out, "tools", name)
    if not os.path.exists(ckpt):
        args = ["--arch", arch, "--out", ckpt, *extra]
        if base:
            args += ["--init", neural_vocoder_ckpt(out, base)]
        print(f"training the {fam} vocoder (~15-45 min) ...", file=sys.stderr, flush=True)
        subprocess.run(["/usr/bin/python3", NV_SCRIPT, "train", *args], check=True)
    return ckpt


def neural_vocoder_synth(out, pairs, fam="neural-vocoder"):
    """Copy-synthesises every (source, raw destination) pair with the family's neural vocoder,
    training it first (OUT/tools/<checkpoint>, ~15-20 min) when it is not there yet."""
    ckpt = neural_vocoder_ckpt(out, fam)
    todo = [(s, d) for s, d in pairs if not os.path.exists(d)]
    if not todo:
        return
    lst = os.path.join(out, fam, "raw.list")
    os.makedirs(os.path.dirname(lst), exist_ok=True)
    with open(lst, "w") as f:
        for s, d in todo:
            f.write(f"{s}\t{d}\n")
    subprocess.run(["/usr/bin/python3", NV_SCRIPT, "synth", "--ckpt", ckpt, "--list", lst], check=True)


def neural_vocoder_channel(src, dst, rng, tmp):
    """A neural vocoder's item (already synthesised into <family>/raw) into the telephone channel."""
    telephone(os.path.join(os.path.dirname(os.path.dirname(dst)), "raw", os.path.basename(dst)), dst, rng, tmp)


def read_dev(path):
    """The corpus/speaker keys of bench/dev_speakers.txt (comments and blank lines skipped)."""
    return {l.split("#")[0].strip() for l in open(path)} - {""}


def bonafide_recordings(corpora, dev):
    """Every WAV of speechocean762 and mini-librispeech as (id, absolute path), sorted, split into
    "train" and "eval" (the speakers of dev)."""
    bona = {"train": [], "eval": []}
    for corpus in ("speechocean762", "mini-librispeech"):
        root = os.path.join(corpora, corpus)
        for spk in sorted(os.listdir(root)):
            d = os.path.join(root, spk)
            if not os.path.isdir(d):
                continue
            split = "eval" if f"{corpus}/{spk}" in dev else "train"
            for f in sorted(os.listdir(d)):
                if f.endswith(".wav"):
                    bona[split].append((f"{corpus[:2]}{spk}_{f[:-4]}", os.path.abspath(os.path.join(d, f))))
    return bona


def run_jobs(work, jobs, workers):
    """Runs work over jobs on a thread pool, printing progress; returns every job's key rows in order."""
    rows, done = [], 0
    with ThreadPoolExecutor(workers) as ex:
        for r in ex.map(work, jobs):
            rows.extend(r)
            done += 1
            if done % 200 == 0:
                print(f"{done}/{len(jobs)}", file=sys.stderr, flush=True)
    return rows


def write_key(out, key):
    """Writes out/key.tsv: a header, then the rows sorted (through a temporary file, so that an
    interrupted run leaves the previous key whole)."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "key.tsv")
    with open(path + ".tmp", "w") as f:
        f.write("id\tpath\tclass\tfamily\tsplit\tcodec\n")
        for r in sorted(key):
            f.write("\t".join(r) + "\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {len(key)} entries to {os.path.join(out, 'key.tsv')}", file=sys.stderr)


if __name__ == "__main__":
    main()
