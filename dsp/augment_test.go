package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// toneGain is the gain (dB) of BandPass at freq (fraction of the sample rate), measured on a
// long sinusoid away from the edges.
func toneGain(freq, lo, hi float64, taps int) float64 {
	n := 8000
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * freq * float64(i))
	}
	y := BandPass(x, lo, hi, taps)
	var px, py float64
	for i := 1000; i < n-1000; i++ {
		px += x[i] * x[i]
		py += y[i] * y[i]
	}
	return 10 * math.Log10(py/px)
}

func TestBandPass(t *testing.T) {
	lo, hi := 300.0/8000, 3400.0/8000
	for _, tc := range []struct {
		hz       float64
		min, max float64 // dB
	}{
		{50, -200, -60}, {150, -200, -40}, {500, -0.1, 0.1}, {1000, -0.05, 0.05},
		{2500, -0.05, 0.05}, {3200, -0.1, 0.1}, {3700, -200, -40}, {3900, -200, -60},
	} {
		if g := toneGain(tc.hz/8000, lo, hi, 255); g < tc.min || g > tc.max {
			t.Errorf("%g Hz: gain %.2f dB, want in [%g, %g]", tc.hz, g, tc.min, tc.max)
		}
	}
	// Linear phase, delay compensated: a pass-band tone comes out where it went in.
	x := make([]float64, 4000)
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * 0.1 * float64(i))
	}
	y := BandPass(x, lo, hi, 255)
	for i := 500; i < 3500; i++ {
		if math.Abs(y[i]-x[i]) > 0.01 {
			t.Fatalf("sample %d: %g, want %g (delay not compensated?)", i, y[i], x[i])
		}
	}
}

func TestAddNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, snr := range []float64{0, 10, 25} {
		x := make([]float64, 16000)
		for i := range x {
			x[i] = 0.3 * math.Sin(2*math.Pi*0.05*float64(i))
		}
		clean := append([]float64(nil), x...)
		noise := ColoredNoise(len(x), PinkNoise, rng)
		AddNoise(x, noise, snr)
		var ps, pn float64
		for i := range x {
			ps += clean[i] * clean[i]
			pn += (x[i] - clean[i]) * (x[i] - clean[i])
		}
		if got := 10 * math.Log10(ps/pn); math.Abs(got-snr) > 1e-9 {
			t.Errorf("SNR %g dB: got %.6f", snr, got)
		}
	}
	silent := make([]float64, 100)
	AddNoise(silent, ColoredNoise(100, WhiteNoise, rng), 10)
	for _, v := range silent {
		if v != 0 {
			t.Fatal("noise added to silence")
		}
	}
}

// TestColoredNoiseSlopes checks each colour's spectral slope between 250-500 Hz and 1-2 kHz
// (two octaves apart) at 8 kHz: 0, -6 and -12 dB.
func TestColoredNoiseSlopes(t *testing.T) {
	const n, seg = 1 << 18, 1024
	band := func(psd []float64, f0, f1 float64) float64 {
		var s float64
		k0, k1 := int(f0/8000*seg), int(f1/8000*seg)
		for k := k0; k < k1; k++ {
			s += psd[k]
		}
		return s / float64(k1-k0)
	}
	for _, tc := range []struct {
		kind NoiseKind
		want float64
	}{{WhiteNoise, 0}, {PinkNoise, -6}, {BrownNoise, -12}} {
		x := ColoredNoise(n, tc.kind, rand.New(rand.NewPCG(7, 7)))
		psd := make([]float64, seg/2)
		buf := make([]complex128, seg)
		for s := 0; s+seg <= n; s += seg {
			for i := range buf {
				w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/seg)
				buf[i] = complex(x[s+i]*w, 0)
			}
			dft(buf)
			for k := range psd {
				psd[k] += cmplx.Abs(buf[k]) * cmplx.Abs(buf[k])
			}
		}
		got := 10 * math.Log10(band(psd, 1000, 2000)/band(psd, 250, 500))
		if math.Abs(got-tc.want) > 1 {
			t.Errorf("kind %d: slope over two octaves %.2f dB, want %g ± 1", tc.kind, got, tc.want)
		}
	}
}

// dft is a plain O(n log n) radix-2 FFT in place (len a power of two), independent of the
// package's own.
func dft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for l := 2; l <= n; l <<= 1 {
		w := cmplx.Exp(complex(0, -2*math.Pi/float64(l)))
		for i := 0; i < n; i += l {
			wk := complex(1, 0)
			for k := 0; k < l/2; k++ {
				u, v := a[i+k], a[i+k+l/2]*wk
				a[i+k], a[i+k+l/2] = u+v, u-v
				wk *= w
			}
		}
	}
}

func TestChannelAugmentation(t *testing.T) {
	x := make([]float32, 8000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range x {
		x[i] = float32(0.2*math.Sin(2*math.Pi*0.03*float64(i)) + 0.01*rng.NormFloat64())
	}
	orig := append([]float32(nil), x...)
	a := DefaultChannelAugmentation()
	y1 := a.Apply(x, 8000, AudioSeed(x))
	y2 := a.Apply(x, 8000, AudioSeed(x))
	y3 := a.Apply(x, 8000, 12345)
	same, diff := true, false
	for i := range x {
		if x[i] != orig[i] {
			t.Fatal("input modified")
		}
		same = same && y1[i] == y2[i]
		diff = diff || y1[i] != y3[i]
	}
	if !same || !diff {
		t.Errorf("same seed same copy: %v, other seed other copy: %v", same, diff)
	}
	if len(y1) != len(x) {
		t.Fatalf("length %d, want %d", len(y1), len(x))
	}
	// Every sample is a mu-law code's value.
	for i, v := range y1 {
		s := int16(v * 32768)
		if float32(s)/32768 != v {
			t.Fatalf("sample %d = %g is not on the 16-bit grid", i, v)
		}
	}
	if AudioSeed(x) == AudioSeed(y1) {
		t.Error("AudioSeed ignores the samples")
	}
	if got := a.Apply(nil, 8000, 1); len(got) != 0 {
		t.Errorf("empty input gave %d samples", len(got))
	}
}
