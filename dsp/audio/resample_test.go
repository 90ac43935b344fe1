package audio

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// resamplePairs are the conversions the engine needs.
var resamplePairs = [][2]int{
	{11025, 8000}, {16000, 8000}, {22050, 8000}, {44100, 8000}, {48000, 8000}, {8000, 16000},
}

func TestResampleChunkingInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, pr := range append(resamplePairs, [2]int{8000, 8000}, [2]int{44100, 48000}) {
		t.Run(fmt.Sprintf("%d-%d", pr[0], pr[1]), func(t *testing.T) {
			x := make([]float32, 3*pr[0]/10+7)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 0.3)
			}
			want, err := Resample(x, pr[0], pr[1])
			if err != nil {
				t.Fatal(err)
			}
			if n := (int64(len(x))*int64(pr[1]) + int64(pr[0]) - 1) / int64(pr[0]); int64(len(want)) != n {
				t.Fatalf("len = %d, want ceil(%d*%d/%d) = %d", len(want), len(x), pr[1], pr[0], n)
			}
			r, _ := NewResampler(pr[0], pr[1])
			for trial := 0; trial < 6; trial++ {
				var got []float32
				maxChunk := []int{1, 7, 160, 5000, 100000, 997}[trial]
				for rest := x; len(rest) > 0; {
					n := min(len(rest), rng.IntN(maxChunk+1))
					got = r.Process(got, rest[:n])
					rest = rest[n:]
				}
				got = r.Flush(got) // also resets r for the next trial
				if len(got) != len(want) {
					t.Fatalf("chunks up to %d: %d samples, want %d", maxChunk, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("chunks up to %d: sample %d = %v, batch gives %v", maxChunk, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// fitSine returns the amplitude of the least-squares fit a*sin(w n)+b*cos(w n) to y, and the
// RMS of the residual.
func fitSine(y []float64, w float64) (amp, resid float64) {
	var ss, cc, sc, ys, yc float64
	for n, v := range y {
		s, c := math.Sincos(w * float64(n))
		ss += s * s
		cc += c * c
		sc += s * c
		ys += v * s
		yc += v * c
	}
	det := ss*cc - sc*sc
	a := (ys*cc - yc*sc) / det
	b := (yc*ss - ys*sc) / det
	var e float64
	for n, v := range y {
		s, c := math.Sincos(w * float64(n))
		r := v - a*s - b*c
		e += r * r
	}
	return math.Hypot(a, b), math.Sqrt(e / float64(len(y)))
}

// fitSines returns the amplitudes of the joint least-squares fit of sinusoids at the angular
// frequencies ws (radians per sample) to y.
func fitSines(y []float64, ws ...float64) []float64 {
	p := 2 * len(ws)
	a := make([][]float64, p)
	for i := range a {
		a[i] = make([]float64, p+1)
	}
	basis := make([]float64, p)
	for n, v := range y {
		for j, w := range ws {
			basis[2*j], basis[2*j+1] = math.Sincos(w * float64(n))
		}
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				a[i][j] += basis[i] * basis[j]
			}
			a[i][p] += basis[i] * v
		}
	}
	for c := 0; c < p; c++ { // Gauss-Jordan with partial pivoting
		piv := c
		for r := c + 1; r < p; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[piv][c]) {
				piv = r
			}
		}
		a[c], a[piv] = a[piv], a[c]
		for r := 0; r < p; r++ {
			if r != c {
				f := a[r][c] / a[c][c]
				for k := c; k <= p; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	amps := make([]float64, len(ws))
	for j := range ws {
		amps[j] = math.Hypot(a[2*j][p]/a[2*j][2*j], a[2*j+1][p]/a[2*j+1][2*j+1])
	}
	return amps
}

// toneResponse resamples a 0.25 s, 0.5-amplitude tone at f Hz and returns the output's
// steady-state part (edges trimmed) and the phase-0 output sample index of that part.
func toneResponse(t *testing.T, f float64, in, out int) (y []float64, start int) {
	t.Helper()
	const amp = 0.5
	n := in / 4 // 0.25 s
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*f*float64(i)/float64(in)))
	}
	r, err := NewResampler(in, out)
	if err != nil {
		t.Fatal(err)
	}
	o := r.Flush(r.Process(nil, x))
	edge := r.Delay() + r.Taps() + 8
	for _, v := range o[edge : len(o)-edge] {
		y = append(y, float64(v)/amp)
	}
	return y, edge
}

// measureResampler returns the passband ripple (max |gain dB| over tones up to
// PassbandEdge*fmin), the worst alignment error, and the stopband attenuation (min over
// tones beyond StopbandEdge*fmin of the output's energy relative to the input tone, for
// downsampling; for upsampling, of the image at in-f of a tone at f, for the tones whose images
// lie from in/2 to 0.55*in, the band where the filter is weakest; images of passband tones
// are also bounded through the residual of the passband fits).
func measureResampler(t *testing.T, in, out int) (rippleDB, alignErr, stopDB float64) {
	fmin := float64(min(in, out))
	stopDB = math.Inf(1)
	for i := 0; i <= 40; i++ {
		f := 20 + (PassbandEdge*fmin-20)*float64(i)/40
		y, start := toneResponse(t, f, in, out)
		w := 2 * math.Pi * f / float64(out)
		amp, resid := fitSine(y, w)
		rippleDB = max(rippleDB, math.Abs(20*math.Log10(amp)))
		// Alignment: the output should be sin(w m) itself, with no delay.
		var e float64
		for n, v := range y {
			e = max(e, math.Abs(v-math.Sin(w*float64(n+start))))
		}
		alignErr = max(alignErr, e)
		if out > in { // images of passband tones are out-of-band residual
			stopDB = min(stopDB, -20*math.Log10(resid*math.Sqrt2))
		}
	}
	// Stopband tones: dense just past the edge (where the filter is weakest), then coarse.
	edge := StopbandEdge * fmin
	var tones []float64
	for i := 0; i <= 40; i++ {
		tones = append(tones, edge+0.05*fmin*float64(i)/40)
	}
	if in > out {
		for i := 1; i <= 60; i++ {
			tones = append(tones, edge+0.05*fmin+(float64(in)/2-edge-0.05*fmin)*float64(i)/60)
		}
		for _, f := range tones {
			y, _ := toneResponse(t, f, in, out)
			var e float64
			for _, v := range y {
				e += v * v
			}
			rms := math.Sqrt(e / float64(len(y)))
			stopDB = min(stopDB, -20*math.Log10(rms*math.Sqrt2))
		}
	} else {
		// Upsampling: a tone at f in the transition band leaves an image at in-f; measure the
		// images of tones from the passband edge to in/2, i.e. images from in/2 up to 0.55*in.
		// Tone and image are fitted jointly (they are close in frequency near in/2).
		for i := 0; i <= 40; i++ {
			f := PassbandEdge*fmin + ((StopbandEdge-PassbandEdge)*fmin-10)*float64(i)/40
			y, _ := toneResponse(t, f, in, out)
			amps := fitSines(y, 2*math.Pi*f/float64(out), 2*math.Pi*(float64(in)-f)/float64(out))
			stopDB = min(stopDB, -20*math.Log10(amps[1]))
		}
	}
	return rippleDB, alignErr, stopDB
}

// TestResampleQuality measures the filter with sine sweeps through the real resampler and
// checks passband ripple <= 0.1 dB (20 Hz .. 0.45*fmin) and stopband attenuation >= 70 dB
// (beyond 0.5*fmin), and that the output is time-aligned with the input.
func TestResampleQuality(t *testing.T) {
	for _, pr := range resamplePairs {
		t.Run(fmt.Sprintf("%d-%d", pr[0], pr[1]), func(t *testing.T) {
			ripple, align, stop := measureResampler(t, pr[0], pr[1])
			r, _ := NewResampler(pr[0], pr[1])
			t.Logf("%5d -> %5d Hz: taps/output %4d, delay %3d out samples, passband ripple %.4f dB, stopband attenuation %.1f dB, max alignment error %.2e",
				pr[0], pr[1], r.Taps(), r.Delay(), ripple, stop, align)
			if ripple > 0.1 {
				t.Errorf("passband ripple %.4f dB > 0.1 dB", ripple)
			}
			if stop < 70 {
				t.Errorf("stopband attenuation %.1f dB < 70 dB", stop)
			}
			if align > 1e-3 {
				t.Errorf("output not aligned with input: max error %.2e", align)
			}
		})
	}
}

func TestResampleIdentityAndErrors(t *testing.T) {
	x := []float32{1, -2, 3}
	y, err := Resample(x, 8000, 8000)
	if err != nil || len(y) != 3 || y[0] != 1 || y[1] != -2 || y[2] != 3 {
		t.Errorf("8000->8000 = %v, %v", y, err)
	}
	for _, tc := range []struct {
		in, out int
		kind    error
	}{{0, 8000, ErrInvalidArgument}, {8000, -1, ErrInvalidArgument}, {8000, 10_000_000, ErrInvalidArgument}, {8000, 7919, ErrUnsupported}, {44101, 8000, ErrUnsupported}} {
		if _, err := NewResampler(tc.in, tc.out); !errors.Is(err, tc.kind) {
			t.Errorf("NewResampler(%d, %d) error = %v, want %v", tc.in, tc.out, err, tc.kind)
		}
	}
	if y, err := Resample(nil, 16000, 8000); err != nil || len(y) != 0 {
		t.Errorf("empty input: %v, %v", y, err)
	}
}

func TestResamplerNoAllocSteadyState(t *testing.T) {
	r, _ := NewResampler(16000, 8000)
	src := make([]float32, 320)
	dst := make([]float32, 0, 1024)
	for i := 0; i < 10; i++ {
		dst = r.Process(dst[:0], src)
	}
	if a := testing.AllocsPerRun(100, func() { dst = r.Process(dst[:0], src) }); a != 0 {
		t.Errorf("Process allocates %v times per 20 ms chunk in steady state", a)
	}
}

// TestResamplerDelay: after n input samples, Process has emitted ceil(n*out/in) - Delay()
// outputs (give or take one), and Flush emits the rest.
func TestResamplerDelay(t *testing.T) {
	for _, pr := range append(resamplePairs, [2]int{8000, 8000}) {
		r, _ := NewResampler(pr[0], pr[1])
		n := int64(pr[0]) // 1 s
		out := r.Process(nil, make([]float32, n))
		total := (n*int64(pr[1]) + int64(pr[0]) - 1) / int64(pr[0])
		if held := total - int64(len(out)); held < int64(r.Delay())-1 || held > int64(r.Delay())+1 {
			t.Errorf("%d->%d: %d outputs held back, Delay() = %d", pr[0], pr[1], held, r.Delay())
		}
		if got := int64(len(r.Flush(out))); got != total {
			t.Errorf("%d->%d: %d outputs after Flush, want %d", pr[0], pr[1], got, total)
		}
	}
}
