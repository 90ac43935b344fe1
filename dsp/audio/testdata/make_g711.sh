#!/usr/bin/env bash
# Regenerates the G.711 reference fixtures with SoX (tested with SoX v14.4.2).
# Run from anywhere; writes next to this script. Deterministic: -D disables dither.
#
#   codes.raw          the 256 byte values 0..255
#   ulaw_decode.s16le  sox decoding of codes.raw as mu-law: 256 int16 little-endian
#   alaw_decode.s16le  same for A-law
#   ulaw_encode.u8     sox mu-law encoding of every int16 -32768..32767 (65536 bytes, in that order)
#   alaw_encode.u8     same for A-law
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
perl -e 'print pack("C*", 0..255)' > codes.raw
perl -e 'print pack("s<*", -32768..32767)' > "$tmp/all.s16le"
sox -D -t ul -r 8000 -c 1 codes.raw -t raw -e signed -b 16 -L ulaw_decode.s16le
sox -D -t al -r 8000 -c 1 codes.raw -t raw -e signed -b 16 -L alaw_decode.s16le
sox -D -t raw -r 8000 -c 1 -e signed -b 16 -L "$tmp/all.s16le" -t ul ulaw_encode.u8
sox -D -t raw -r 8000 -c 1 -e signed -b 16 -L "$tmp/all.s16le" -t al alaw_encode.u8
