// Writes one utterance of GnuSpeech (an articulatory synthesiser: a tube model of the vocal tract
// driven by rules, npm package @echogarden/gnuspeech-wasm) as a WAV file (44,100 Hz, 16-bit). Used
// by make_spoof_data.py's "gnuspeech" family:
//
//	node bench/spoof/gnuspeech_wav.mjs MODULE_DIR VOICE TEMPO OUT.wav TEXT
//
// MODULE_DIR is the package folder (make_spoof_data.py installs a pinned version under
// bench/out/spoof/tools); VOICE is male, female, large_child or small_child. Exits non-zero if
// GnuSpeech renders nothing.
import { writeFileSync } from "fs";
import { join } from "path";
import { pathToFileURL } from "url";

const [dir, voice, tempo, out, text] = process.argv.slice(2);
if (text === undefined) {
  console.error("usage: gnuspeech_wav.mjs MODULE_DIR VOICE TEMPO OUT.wav TEXT");
  process.exit(2);
}
const { synthesize } = await import(pathToFileURL(join(dir, "dist", "exports", "GnuSpeech.js")).href);
const { audioData } = await synthesize(text, { voice, tempo: +tempo });
if (!audioData || audioData.length <= 44) {
  console.error("gnuspeech_wav.mjs: GnuSpeech rendered nothing for: " + text);
  process.exit(1);
}
writeFileSync(out, Buffer.from(audioData));
