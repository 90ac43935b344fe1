package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// fftPath is a realFFT set up to compute by one path: "go" (the pure-Go code) or "avx2".
type fftPath struct {
	name string
	f    *realFFT
}

// realFFTPaths returns newRealFFT(n) once per way power can compute: the pure-Go code always,
// and the AVX2 kernel too where newRealFFT selects it (n = 256 on CPUs with AVX2 and FMA).
func realFFTPaths(t testing.TB, n int) []fftPath {
	t.Helper()
	goPath, err := newRealFFT(n)
	if err != nil {
		t.Fatal(err)
	}
	goPath.useGo()
	paths := []fftPath{{"go", goPath}}
	if f, _ := newRealFFT(n); f.avx256 {
		paths = append(paths, fftPath{"avx2", f})
	}
	return paths
}

// TestRealFFTPower checks the power spectrum against gonum's FFTPACK port and, for a cosine, the
// hand-worked value (N/2)² at its bin, on every path.
func TestRealFFTPower(t *testing.T) {
	for _, n := range []int{8, 16, 256, 512, 1024} {
		for _, p := range realFFTPaths(t, n) {
			testRealFFTPower(t, n, p.name, p.f)
		}
	}
	if _, err := newRealFFT(100); err == nil {
		t.Fatal("length 100 accepted")
	}
	if f, _ := newRealFFT(256); (f.avx256) != useFFTAVX2 {
		t.Fatalf("newRealFFT(256) AVX2 kernel selected: %v, CPU has AVX2 and FMA: %v", f.avx256, useFFTAVX2)
	}
}

// testRealFFTPower is TestRealFFTPower for one length and path.
func testRealFFTPower(t *testing.T, n int, path string, f *realFFT) {
	t.Helper()
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
			t.Fatalf("%s n=%d bin %d: got %g want %g", path, n, k, got[k], want)
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
			t.Fatalf("%s n=%d cosine bin %d: got %g want %g", path, n, k, got[k], want)
		}
	}
}

// fftFrameCase is a family of test frames: gen fills x (length n) for frame i of frames.
type fftFrameCase struct {
	name   string
	frames int
	gen    func(rng *rand.Rand, i int, x []float64)
}

// fftFrameCases are the inputs of the path-comparison and naive-DFT tests: edge cases (silence,
// impulses, DC, the Nyquist tone, full-scale sines on and off bin centres, clipping-level noise),
// random frames over eight decades of level, and real speech framed as the MFCC front end frames
// it (200 samples at 8 kHz, povey window, zero-padded to n), in 16-bit sample units.
func fftFrameCases(t testing.TB) []fftFrameCase {
	speech := readS16(t, "libri_8.s16")
	const fs = 32767.0 // full scale
	return []fftFrameCase{
		{"zeros", 1, func(_ *rand.Rand, _ int, x []float64) { clear(x) }},
		{"impulse", 6, func(_ *rand.Rand, i int, x []float64) {
			clear(x)
			x[[]int{0, 1, 2, len(x) / 2, len(x) - 1, 77 % len(x)}[i]] = fs
		}},
		{"dc", 2, func(_ *rand.Rand, i int, x []float64) {
			for j := range x {
				x[j] = []float64{1, -fs - 1}[i]
			}
		}},
		{"nyquist", 1, func(_ *rand.Rand, _ int, x []float64) {
			for j := range x {
				x[j] = fs * float64(1-2*(j&1))
			}
		}},
		{"sine", 8, func(_ *rand.Rand, i int, x []float64) {
			// bins 1, 3, n/4, n/2-1 and off-centre frequencies, with assorted phases
			n := float64(len(x))
			f := []float64{1, 3, n / 4, n/2 - 1, 0.5, 7.3, n/2 - 0.7, n / 2 * 1000.3 / 4000}[i]
			for j := range x {
				x[j] = fs * math.Sin(2*math.Pi*f*float64(j)/n+0.37*float64(i))
			}
		}},
		{"clipped-noise", 20, func(rng *rand.Rand, _ int, x []float64) {
			for j := range x {
				x[j] = math.Round(fs * (2*rng.Float64() - 1))
			}
		}},
		{"gaussian", 400, func(rng *rand.Rand, i int, x []float64) {
			scale := math.Pow(10, float64(i%9)-4) // 1e-4 .. 1e4
			for j := range x {
				x[j] = scale * rng.NormFloat64()
			}
		}},
		{"speech", (len(speech) - 200) / 80, func(_ *rand.Rand, i int, x []float64) {
			clear(x)
			frame := speech[80*i : 80*i+200]
			for j, v := range frame[:min(len(frame), len(x))] {
				w := math.Pow(0.5-0.5*math.Cos(2*math.Pi*float64(j)/float64(len(frame)-1)), 0.85)
				x[j] = float64(v) * 32768 * w
			}
		}},
	}
}

// naivePower is |X[k]|², k = 0..n/2, of the DFT of x by the O(n²) definition, with exactly
// reduced twiddles.
func naivePower(x []float64) []float64 {
	n := len(x)
	out := make([]float64, n/2+1)
	for k := range out {
		var re, im float64
		for j, v := range x {
			c, s := cisTurn(j*k, n)
			re += v * c
			im -= v * s
		}
		out[k] = re*re + im*im
	}
	return out
}

// TestRealFFT256AVX2MatchesGo compares the AVX2 kernel with the pure-Go code on every frame of
// fftFrameCases, bin by bin, relative to the frame's total power.
func TestRealFFT256AVX2MatchesGo(t *testing.T) {
	if !useFFTAVX2 {
		t.Skip("CPU lacks AVX2 and FMA (or is not amd64): there is no assembly path to compare")
	}
	const n = 256
	paths := realFFTPaths(t, n)
	if len(paths) != 2 {
		t.Fatal("AVX2 and FMA available but newRealFFT(256) did not select the kernel")
	}
	goPath, avx := paths[0].f, paths[1].f
	x := make([]float64, n)
	want, got := make([]float64, n/2+1), make([]float64, n/2+1)
	var worst float64
	for _, c := range fftFrameCases(t) {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 11))
			for i := range c.frames {
				c.gen(rng, i, x)
				goPath.power(x, want)
				avx.power(x, got)
				dev, k, total := powerDeviation(got, want, 1e-14)
				worst = max(worst, dev)
				if k >= 0 {
					t.Fatalf("frame %d bin %d: avx2 %g, go %g (deviation %.3g of the total power %g)",
						i, k, got[k], want[k], math.Abs(got[k]-want[k])/total, total)
				}
			}
		})
	}
	t.Logf("largest deviation: %.3g of the frame's total power", worst)
}

// TestRealFFTNaiveDFT checks every path against the O(n²) DFT on the frames of fftFrameCases
// (a sample of each family), relative to the frame's total power.
func TestRealFFTNaiveDFT(t *testing.T) {
	for _, n := range []int{8, 16, 32, 64, 128, 256, 512} {
		x := make([]float64, n)
		got := make([]float64, n/2+1)
		for _, p := range realFFTPaths(t, n) {
			var worst float64
			for _, c := range fftFrameCases(t) {
				rng := rand.New(rand.NewPCG(5, uint64(n)))
				for i := 0; i < c.frames; i += max(1, c.frames/8) {
					c.gen(rng, i, x)
					p.f.power(x, got)
					want := naivePower(x)
					dev, k, total := powerDeviation(got, want, 1e-12)
					worst = max(worst, dev)
					if k >= 0 {
						t.Fatalf("%s n=%d %s frame %d bin %d: got %g, naive DFT %g (deviation %.3g of the total power)",
							p.name, n, c.name, i, k, got[k], want[k], math.Abs(got[k]-want[k])/total)
					}
				}
			}
			t.Logf("%s n=%d: largest deviation %.3g of the frame's total power", p.name, n, worst)
		}
	}
}

// TestRealFFTNoAllocs checks that power allocates nothing on any path.
func TestRealFFTNoAllocs(t *testing.T) {
	for _, n := range []int{16, 256, 512} {
		for _, p := range realFFTPaths(t, n) {
			x, out := make([]float64, n), make([]float64, n/2+1)
			for i := range x {
				x[i] = float64(i % 7)
			}
			if a := testing.AllocsPerRun(100, func() { p.f.power(x, out) }); a != 0 {
				t.Fatalf("%s n=%d: %v allocations per call", p.name, n, a)
			}
		}
	}
}

func BenchmarkRealFFT256(b *testing.B) { benchPower256(b, false) }

// BenchmarkRealFFT256Go is BenchmarkRealFFT256 on the pure-Go code, which CPUs without AVX2 run.
func BenchmarkRealFFT256Go(b *testing.B) { benchPower256(b, true) }

// benchPower256 times power on a 256-sample sine, on the Go code alone when goOnly.
func benchPower256(b *testing.B, goOnly bool) {
	f, _ := newRealFFT(256)
	if goOnly {
		f.useGo()
	}
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

// powerDeviation compares two power spectra relative to want's total power: the largest
// deviation |got−want|/total over the bins, the first bin whose deviation exceeds tol·total (or
// is NaN; −1 if none), and the total.
func powerDeviation(got, want []float64, tol float64) (worst float64, bad int, total float64) {
	for _, v := range want {
		total += v
	}
	bad = -1
	for k := range want {
		dev := math.Abs(got[k] - want[k])
		if total > 0 {
			worst = max(worst, dev/total)
		}
		if bad < 0 && !(dev <= tol*total) {
			bad = k
		}
	}
	return worst, bad, total
}

// TestRealFFTSpectrum checks spectrum's real and imaginary parts against the O(n²) DFT, and that
// their squares sum to power's output.
func TestRealFFTSpectrum(t *testing.T) {
	for _, n := range []int{8, 16, 64, 256, 512} {
		f, err := newRealFFT(n)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(11, uint64(n)))
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		xr, xi := make([]float64, n/2+1), make([]float64, n/2+1)
		f.spectrum(x, xr, xi)
		pow := make([]float64, n/2+1)
		f.power(x, pow)
		for k := range xr {
			var wr, wi float64
			for j, v := range x {
				a := -2 * math.Pi * float64(j*k) / float64(n)
				wr += v * math.Cos(a)
				wi += v * math.Sin(a)
			}
			if math.Abs(xr[k]-wr) > 1e-9*float64(n) || math.Abs(xi[k]-wi) > 1e-9*float64(n) {
				t.Fatalf("n=%d bin %d: got %g%+gi, naive DFT %g%+gi", n, k, xr[k], xi[k], wr, wi)
			}
			if p := xr[k]*xr[k] + xi[k]*xi[k]; math.Abs(p-pow[k]) > 1e-9*(1+pow[k]) {
				t.Fatalf("n=%d bin %d: |X|² %g, power %g", n, k, p, pow[k])
			}
		}
	}
}
