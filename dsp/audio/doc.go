// Package audio turns what telephony platforms and recorders deliver into float32 samples:
// WAV files, raw L16/G.711 streams, and resampling to the 8 kHz analysis rate.
//
// # Samples
//
// Samples are float32, nominally in [-1, 1): a 16-bit value v maps to v/32768, so G.711 codes
// decode to their standard 16-bit linear values /32768 — exactly what
// `sox in.wav -t raw -e signed -b 16 -` gives, divided by 32768. Multi-channel audio is
// interleaved; Audio.Channel and StreamDecoder select one channel (e.g. the caller's leg).
//
// # WAV
//
// ReadWAV parses RIFF itself: PCM 8/16/24/32-bit, IEEE float 32/64, G.711 A-law (tag 6)
// and mu-law (tag 7), WAVE_FORMAT_EXTENSIBLE, fmt chunks of 16, 18 and 40 bytes, fact, LIST
// and unknown chunks, odd-size chunk padding. go-audio/wav v1.1.0 is not used for decoding:
// it allocates by the fmt chunk's declared size (a 56-byte file declaring a 0x7ffffff0-byte
// fmt chunk made it allocate 4 GiB), returns mu-law data as if it were 8-bit PCM without an
// error, and decodes one sample per Read call (BenchmarkGoAudioWavPCM16 against
// BenchmarkReadWAVPCM16). It remains the independent reference in a 16-bit PCM test.
//
// Bad input gives a *FormatError naming the field and the problem, wrapping ErrTruncated,
// ErrMalformed or ErrUnsupported; never a panic. Allocation follows the bytes actually
// present, never a header's declared sizes alone.
//
// # G.711
//
// MulawDecode/AlawDecode use the G.711 tables (all 256 codes tested bit-exactly against
// SoX). MulawEncode/AlawEncode round the 16-bit input to the 14-bit (mu-law) or 13-bit
// (A-law) G.711 grid, half up as SoX does, then apply the G.711 segment encoding; all 65536
// inputs are tested bit-exactly against SoX. Decoding goes through 256-entry tables.
//
// # Streams
//
// StreamDecoder decodes headerless L16 (little- or big-endian), mu-law and A-law streams of
// 1..MaxChannels interleaved channels, keeping one channel, carrying partial frames across
// calls, and allocating nothing beyond the growth of the caller's slice.
//
// # Resampling
//
// Resampler is a rational (L/M) polyphase FIR resampler with a Kaiser-windowed sinc
// prototype (80 dB design), passband to 0.45·min(fs_in, fs_out), stopband from
// 0.5·min(fs_in, fs_out). Its output is time-aligned with the input (the group delay is
// compensated by look-ahead; Delay reports the streaming latency) and bit-identical for any
// chunking of the input. Measured by sine sweeps through the resampler itself
// (TestResampleQuality: 41 passband tones 20 Hz..3.6 kHz; 101 stopband tones from 4 kHz
// to the input Nyquist, or for 8 -> 16 kHz the images of 41 tones between 3.6 and 4 kHz):
//
//	conversion        taps/output  passband ripple  stopband attenuation  latency
//	11025 ->  8000 Hz     139         0.0004 dB          80.6 dB            51 samples
//	16000 ->  8000 Hz     202         0.0009 dB          80.1 dB            50 samples
//	22050 ->  8000 Hz     277         0.0006 dB          81.2 dB            51 samples
//	44100 ->  8000 Hz     554         0.0006 dB          80.9 dB            51 samples
//	48000 ->  8000 Hz     604         0.0007 dB          80.4 dB            51 samples
//	 8000 -> 16000 Hz     101         0.0009 dB          80.2 dB           100 samples
//
// (latency in output samples: 6.3-6.4 ms at 8 kHz.) The test requires ripple <= 0.1 dB and
// attenuation >= 70 dB.
package audio
