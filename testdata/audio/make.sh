#!/usr/bin/env bash
# Regenerates the project's own small test audio (all 8 kHz) from text, with espeak-ng and SoX.
# Reproducible: same tool versions give byte-identical files (checked against SHA256SUMS by
# `./make.sh --check`). Tested with eSpeak NG 1.51 and SoX v14.4.2 (Debian packages espeak-ng,
# sox, libsox-fmt-all).
#
#   demo_en.wav              ~15 s English phrase, 16-bit PCM mono: the README's demo input
#   demo_en_mulaw.wav        the same as G.711 mu-law (format 7, 18-byte fmt + fact, like the corpora)
#   demo_en_alaw.wav         the same as G.711 A-law (format 6)
#   voice_us_male.wav        one sentence, espeak-ng voice en-us
#   voice_gb_female.wav      the same sentence, voice en-gb+f3
#   voice_scot_male.wav      the same sentence, voice en-gb-scotland+m3
#   digits_mulaw.wav         spoken digits, mu-law
#   stereo_agent_caller.wav  2 channels: left (0) agent, en-gb+f3; right (1) caller, en-us; different speech
#   tone_1khz.wav            1 s, 1000 Hz sine at -6 dBFS, 16-bit PCM
#   silence.wav              1 s of digital silence, 16-bit PCM
set -euo pipefail
cd "$(dirname "$0")"
check=0
[ "${1:-}" = "--check" ] && check=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# say VOICE TEXT OUT.wav: espeak-ng at its native 22050 Hz, then to 8 kHz 16-bit mono, no dither.
say() {
	espeak-ng -v "$1" -s 160 -w "$out/raw.wav" "$2"
	sox -D -V1 "$out/raw.wav" -r 8000 -c 1 -b 16 -e signed "$3" rate -v 8000 norm -3
}

say en-us "Thank you for calling. Before we connect you to an agent, please say the following phrase \
in your normal voice. My voice is my password, and today is a good day to verify it. \
Thank you. We are now checking your voice against the customer on file. This will only take a moment." "$out/demo_en.wav"
sox -D -V1 "$out/demo_en.wav" -e u-law "$out/demo_en_mulaw.wav"
sox -D -V1 "$out/demo_en.wav" -e a-law "$out/demo_en_alaw.wav"

sentence="The quick brown fox jumps over the lazy dog."
say en-us "$sentence" "$out/voice_us_male.wav"
say en-gb+f3 "$sentence" "$out/voice_gb_female.wav"
say en-gb-scotland+m3 "$sentence" "$out/voice_scot_male.wav"

say en-us "zero one two three four five six seven eight nine" "$out/digits16.wav"
sox -D -V1 "$out/digits16.wav" -e u-law "$out/digits_mulaw.wav"

say en-gb+f3 "Good morning, this is the bank. How can I help you today?" "$out/agent.wav"
say en-us "Hello, I would like to check my account balance, please." "$out/caller.wav"
sox -D -V1 -M "$out/agent.wav" "$out/caller.wav" "$out/stereo_agent_caller.wav"

sox -D -V1 -n -r 8000 -c 1 -b 16 -e signed "$out/tone_1khz.wav" synth 1 sine 1000 vol 0.5
sox -D -V1 -n -r 8000 -c 1 -b 16 -e signed "$out/silence.wav" trim 0 1

files="demo_en.wav demo_en_mulaw.wav demo_en_alaw.wav voice_us_male.wav voice_gb_female.wav \
voice_scot_male.wav digits_mulaw.wav stereo_agent_caller.wav tone_1khz.wav silence.wav"
if [ $check = 1 ]; then
	(cd "$out" && sha256sum -c "$OLDPWD/SHA256SUMS")
	exit
fi
for f in $files; do cp "$out/$f" .; done
sha256sum $files > SHA256SUMS
