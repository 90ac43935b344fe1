// Package audio turns what telephony platforms and recorders deliver into float32 samples:
// WAV files (PCM, IEEE float, G.711), raw L16/G.711 streams, and resampling to the 8 kHz
// analysis rate.
//
// Samples are float32, nominally in [-1, 1): a 16-bit value v maps to v/32768, so G.711 codes
// decode to their standard 16-bit linear values /32768 (what `sox in.wav -e signed -b 16`
// gives, divided by 32768).
package audio
