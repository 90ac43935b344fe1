package dsp

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/voxguard/voxguard/dsp/audio"
)

// ChannelAugmentation simulates a degraded telephone channel on clean audio: additive noise
// (white, pink or brown, drawn at random) at a random signal-to-noise ratio, a random band limit,
// then G.711 mu-law quantisation. Enrollment uses it to make a second, degraded copy of a
// customer's clean enrollment audio: a voiceprint that has seen its owner's voice through a
// band-limited, noisy channel matches degraded calls better (bench/README.md, "Enrollment
// augmentation"). Everything random is drawn from the seed, so the same audio and seed always give
// the same copy.
type ChannelAugmentation struct {
	SNRLowDB, SNRHighDB  float64 // the SNR is drawn uniformly from [SNRLowDB, SNRHighDB], dB
	LowHzMin, LowHzMax   float64 // the band's lower edge is drawn uniformly from [LowHzMin, LowHzMax], Hz
	HighHzMin, HighHzMax float64 // its upper edge from [HighHzMin, HighHzMax], Hz
	Taps                 int     // length of the band-pass FIR filter (odd)
}

// DefaultChannelAugmentation is the augmentation of the default bundle's enrollments: 0-25 dB SNR,
// a 250-450 Hz to 2800-3500 Hz band (what bench/trials/make_augmented.py draws for training
// copies, without its codecs and babble), a 255-tap filter.
func DefaultChannelAugmentation() ChannelAugmentation {
	return ChannelAugmentation{SNRLowDB: 0, SNRHighDB: 25, LowHzMin: 250, LowHzMax: 450,
		HighHzMin: 2800, HighHzMax: 3500, Taps: 255}
}

// ChannelAugmentationV1 names DefaultChannelAugmentation seeded with AudioSeed of each
// recording's samples at the front end's rate, one copy per recording (a bundle's
// "enroll_augment" metadata).
const ChannelAugmentationV1 = "channel-v1"

// ChannelAugmentationByName returns the augmentation a bundle's "enroll_augment" metadata names.
func ChannelAugmentationByName(name string) (ChannelAugmentation, error) {
	if name == ChannelAugmentationV1 {
		return DefaultChannelAugmentation(), nil
	}
	return ChannelAugmentation{}, fmt.Errorf("dsp: unknown enrollment augmentation %q", name)
}

// AudioSeed returns a seed derived from the samples themselves (FNV-1a of their bits), so that an
// augmentation seeded with it is a function of the audio alone.
func AudioSeed(x []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, v := range x {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		h.Write(b[:])
	}
	return h.Sum64()
}

// Apply returns a degraded copy of x (samples in [-1, 1) at sampleRate Hz; x is not modified).
// Silent input (zero power) comes back as a plain copy, quantised.
func (a ChannelAugmentation) Apply(x []float32, sampleRate int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x766f78677561726b)) // "voxguark"
	kind := NoiseKind(rng.IntN(3))
	snr := a.SNRLowDB + rng.Float64()*(a.SNRHighDB-a.SNRLowDB)
	lo := a.LowHzMin + rng.Float64()*(a.LowHzMax-a.LowHzMin)
	hi := a.HighHzMin + rng.Float64()*(a.HighHzMax-a.HighHzMin)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	AddNoise(y, ColoredNoise(len(x), kind, rng), snr)
	y = BandPass(y, lo/float64(sampleRate), hi/float64(sampleRate), a.Taps)
	out := make([]float32, len(x))
	for i, v := range y {
		s := math.Round(v * 32768)
		s = max(-32768, min(32767, s))
		out[i] = float32(audio.MulawDecode(audio.MulawEncode(int16(s)))) / 32768
	}
	return out
}

// NoiseKind names a colour of noise.
type NoiseKind int

// The noise colours: flat, -3 dB per octave, -6 dB per octave.
const (
	WhiteNoise NoiseKind = iota
	PinkNoise
	BrownNoise
)

// ColoredNoise returns n samples of zero-mean noise of the given colour (arbitrary scale) drawn
// from rng: Gaussian white noise; pink by Paul Kellet's refined three-pole filter (within 0.05 dB
// of -3 dB/octave above ~10 Hz at 8 kHz); brown by a leaky integrator (pole 0.995, so -6
// dB/octave above ~6 Hz at 8 kHz).
func ColoredNoise(n int, kind NoiseKind, rng *rand.Rand) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	switch kind {
	case PinkNoise:
		var b0, b1, b2, b3, b4, b5, b6 float64
		for i, x := range w {
			b0 = 0.99886*b0 + x*0.0555179
			b1 = 0.99332*b1 + x*0.0750759
			b2 = 0.96900*b2 + x*0.1538520
			b3 = 0.86650*b3 + x*0.3104856
			b4 = 0.55000*b4 + x*0.5329522
			b5 = -0.7616*b5 - x*0.0168980
			w[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + x*0.5362
			b6 = x * 0.115926
		}
	case BrownNoise:
		var s float64
		for i, x := range w {
			s = 0.995*s + x
			w[i] = s
		}
	}
	var m float64
	for _, v := range w {
		m += v
	}
	m /= float64(max(n, 1))
	for i := range w {
		w[i] -= m
	}
	return w
}

// AddNoise adds noise to x in place, scaled so that the ratio of x's mean power to the added
// noise's is snrDB decibels over the whole signal (as bench/trials/make_trials.py's channel
// does). Nothing is added when either has zero power.
func AddNoise(x, noise []float64, snrDB float64) {
	var px, pn float64
	for i := range x {
		px += x[i] * x[i]
		pn += noise[i] * noise[i]
	}
	if px == 0 || pn == 0 {
		return
	}
	g := math.Sqrt(px / pn / math.Pow(10, snrDB/10))
	for i := range x {
		x[i] += g * noise[i]
	}
}

// BandPass filters x with a linear-phase windowed-sinc band-pass FIR (Blackman window, taps
// coefficients, odd) passing lo-hi, both as fractions of the sample rate (0 < lo < hi < 0.5),
// compensating the filter's delay so that the output lines up with x. Blackman's stopband is
// about 74 dB down; its transition is about 5.5/taps of the sample rate wide.
func BandPass(x []float64, lo, hi float64, taps int) []float64 {
	taps |= 1
	h := make([]float64, taps)
	m := taps / 2
	for i := range h {
		k := float64(i - m)
		var v float64
		if k == 0 {
			v = 2 * (hi - lo)
		} else {
			v = (math.Sin(2*math.Pi*hi*k) - math.Sin(2*math.Pi*lo*k)) / (math.Pi * k)
		}
		t := 2 * math.Pi * float64(i) / float64(taps-1)
		h[i] = v * (0.42 - 0.5*math.Cos(t) + 0.08*math.Cos(2*t))
	}
	out := make([]float64, len(x))
	for n := range out {
		var s float64
		for i, c := range h {
			j := n + m - i
			if j >= 0 && j < len(x) {
				s += c * x[j]
			}
		}
		out[n] = s
	}
	return out
}
