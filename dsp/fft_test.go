package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TestRealFFTPower checks the power spectrum against gonum's FFTPACK port and, for a cosine, the
// hand-worked value (N/2)² at its bin.
func TestRealFFTPower(t *testing.T) {
	for _, n := range []int{8, 16, 256, 512, 1024} {
		f, err := newRealFFT(n)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64() * 1000
		}
		got := make([]float64, n/2+1)
		f.power(x, got)
		ref := fourier.NewFFT(n).Coefficients(nil, x)
		for k := range got {
			want := math.Pow(cmplx.Abs(ref[k]), 2)
			if math.Abs(got[k]-want) > 1e-9*(1+want) {
				t.Fatalf("n=%d bin %d: got %g want %g", n, k, got[k], want)
			}
		}
		// Cosine at bin 3: power (n/2)² there, ~0 elsewhere.
		for i := range x {
			x[i] = math.Cos(2 * math.Pi * 3 * float64(i) / float64(n))
		}
		f.power(x, got)
		for k := range got {
			want := 0.0
			if k == 3 {
				want = float64(n*n) / 4
			}
			if math.Abs(got[k]-want) > 1e-6 {
				t.Fatalf("n=%d cosine bin %d: got %g want %g", n, k, got[k], want)
			}
		}
	}
	if _, err := newRealFFT(100); err == nil {
		t.Fatal("length 100 accepted")
	}
}

func BenchmarkRealFFT256(b *testing.B) {
	f, _ := newRealFFT(256)
	x := make([]float64, 256)
	for i := range x {
		x[i] = math.Sin(float64(i) * 0.3)
	}
	out := make([]float64, 129)
	b.ReportAllocs()
	for b.Loop() {
		f.power(x, out)
	}
}

func BenchmarkGonumFFT256(b *testing.B) {
	f := fourier.NewFFT(256)
	x := make([]float64, 256)
	dst := make([]complex128, 129)
	b.ReportAllocs()
	for b.Loop() {
		f.Coefficients(dst, x)
	}
}

// TestWindowedEnergy checks the non-raw energy (after pre-emphasis and window) against a direct
// computation, since the torchaudio fixtures only cover raw energy.
func TestWindowedEnergy(t *testing.T) {
	cfg := TelephoneMFCC()
	cfg.RawEnergy = false
	m, err := newMFCCComputer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]float32, cfg.FrameLength())
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range frame {
		frame[i] = float32(rng.NormFloat64() * 0.1)
	}
	out := make([]float32, cfg.NumCeps)
	m.compute(frame, 32768, out)
	// Direct: DC removal, pre-emphasis from the end, povey window, sum of squares.
	n := len(frame)
	x := make([]float64, n)
	var mean float64
	for i, v := range frame {
		x[i] = float64(v) * 32768
		mean += x[i] / float64(n)
	}
	for i := range x {
		x[i] -= mean
	}
	for i := n - 1; i > 0; i-- {
		x[i] -= 0.97 * x[i-1]
	}
	x[0] -= 0.97 * x[0]
	var e float64
	for i := range x {
		w := math.Pow(0.5-0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1)), 0.85)
		e += x[i] * w * x[i] * w
	}
	if got, want := float64(out[0]), math.Log(e); math.Abs(got-want) > 1e-4 {
		t.Fatalf("windowed log energy %g, want %g", got, want)
	}
}
