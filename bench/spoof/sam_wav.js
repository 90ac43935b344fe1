// Writes one utterance of SAM (Software Automatic Mouth, the 1982 C64 formant synthesiser, npm
// package sam-js) as a WAV file (22,050 Hz, 8-bit). Used by make_spoof_data.py's "sam" family:
//
//	node bench/spoof/sam_wav.js MODULE_DIR SPEED PITCH MOUTH THROAT OUT.wav TEXT
//
// MODULE_DIR is the sam-js package folder (make_spoof_data.py installs a pinned version under
// bench/out/spoof/tools). Exits non-zero if SAM cannot render the text.
"use strict";
const fs = require("fs");
const [dir, speed, pitch, mouth, throat, out, text] = process.argv.slice(2);
if (text === undefined) {
  console.error("usage: sam_wav.js MODULE_DIR SPEED PITCH MOUTH THROAT OUT.wav TEXT");
  process.exit(2);
}
const SamJs = require(dir);
const sam = new SamJs({ speed: +speed, pitch: +pitch, mouth: +mouth, throat: +throat });
const wav = sam.wav(text);
if (!wav || wav.length <= 44) {
  console.error("sam_wav.js: SAM rendered nothing for: " + text);
  process.exit(1);
}
fs.writeFileSync(out, Buffer.from(wav));
