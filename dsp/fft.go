package dsp

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"unsafe"
)

// realFFT computes power spectra of real frames of a fixed power-of-two length n, by one complex
// FFT of length n/2 on the even/odd-interleaved input followed by the usual split step. It is
// allocation-free after construction and not safe for concurrent use.
//
// Measured on this project's 2-core Xeon (see bench/README.md): for n = 256 it is several times
// faster than gonum's dsp/fourier (FFTPACK, 2.5 µs) and go-dsp's FFTReal (14 µs, 26
// allocations), which is what lets the whole front end run at thousands of times real time.
//
// For n = 256, the telephone size, CPUs with AVX2 and FMA run the assembly kernel power256AVX2
// instead (see newFFT256Tables for its algorithm): about 0.18 µs against 0.9 µs for the Go code
// on a 2-core AMD EPYC (Zen 3), agreeing with it to about 1e-15 of the frame's total power. The
// Go code remains for other sizes, CPUs and architectures.
//
// The tables are shared by every realFFT of the same length (fftTablesFor), and the kernel's
// buffer comes from a pool for the duration of one call: a server runs one front end per live
// call, and per-instance copies of constant tables were a large share of its cache misses.
type realFFT struct {
	*fftTables
	re, im []float64 // work arrays of length m (the Go code's; nil with the kernel)

	// avx256 selects, for n = 256 on CPUs with AVX2 and FMA, the assembly kernel power256AVX2
	// (fft_amd64.s) with a buffer (tables and work area) from fft256Pool.
	avx256 bool
}

// fftTables are the read-only tables of a realFFT of length n.
type fftTables struct {
	n, m     int       // real length and complex length m = n/2
	rev      []int32   // bit reversal permutation of 0..m-1
	twr, twi []float64 // twiddles of stages with span >= 4, concatenated: stage span s holds s/2 entries
	spr, spi []float64 // split twiddles exp(-2πik/n), k = 0..m/2
	r4       []float64 // radix-4 passes' twiddles: per pass of span 4h, h entries each of W^j, W^2j, W^3j (re, im)
}

// fftTableCache maps a length n to its *fftTables.
var fftTableCache sync.Map

// fft256Pool holds power256AVX2 buffers, tables filled in (newFFT256Tables). A goroutine takes
// one for a single transform, so the buffer is usually the one its processor used last, still in
// cache.
var fft256Pool = sync.Pool{New: func() any { return newFFT256Tables() }}

// newRealFFT returns a realFFT for frames of length n, a power of two >= 8.
func newRealFFT(n int) (*realFFT, error) {
	if n < 8 || n&(n-1) != 0 {
		return nil, fmt.Errorf("fft: length %d is not a power of two >= 8", n)
	}
	f := &realFFT{fftTables: fftTablesFor(n), avx256: n == 256 && useFFTAVX2}
	if !f.avx256 { // the kernel works in its pooled buffer
		f.useGo()
	}
	return f, nil
}

// useGo makes f compute with the Go code (the only path but for n = 256 on AVX2 and FMA).
func (f *realFFT) useGo() {
	f.avx256 = false
	f.re, f.im = make([]float64, f.m), make([]float64, f.m)
}

// fftTablesFor returns the shared tables of length n (a power of two >= 8), computing them on
// first use.
func fftTablesFor(n int) *fftTables {
	return cachedTables(&fftTableCache, n, func() *fftTables { return newFFTTables(n) })
}

func newFFTTables(n int) *fftTables {
	m := n / 2
	f := &fftTables{n: n, m: m, rev: make([]int32, m)}
	shift := 64 - bits.TrailingZeros(uint(m))
	for i := range m {
		f.rev[i] = int32(bits.Reverse64(uint64(i)) >> shift)
	}
	for span := 4; span <= m; span <<= 1 {
		for j := range span / 2 {
			a := -2 * math.Pi * float64(j) / float64(span)
			f.twr = append(f.twr, math.Cos(a))
			f.twi = append(f.twi, math.Sin(a))
		}
	}
	for span := 8; 2*span <= m; span *= 4 {
		h := span / 2
		for j := range h {
			for k := 1; k <= 3; k++ {
				a := -2 * math.Pi * float64(k*j) / float64(4*h)
				f.r4 = append(f.r4, math.Cos(a), math.Sin(a))
			}
		}
	}
	f.spr = make([]float64, m/2+1)
	f.spi = make([]float64, m/2+1)
	for k := range f.spr {
		a := -2 * math.Pi * float64(k) / float64(n)
		f.spr[k], f.spi[k] = math.Cos(a), math.Sin(a)
	}
	return f
}

// power writes |X[k]|², k = 0..n/2, of the DFT X of x (length n) into out (length n/2+1), in the
// squared units of x (no normalisation by n). It uses the AVX2 kernel where newRealFFT set it up.
func (f *realFFT) power(x []float64, out []float64) {
	if f.avx256 {
		b := fft256Pool.Get().(*[fft256Len]float64)
		power256AVX2((*[129]float64)(out), (*[256]float64)(x), b)
		fft256Pool.Put(b)
		return
	}
	re, im := f.stages(x)
	m := f.m
	out = out[:m+1]
	if m == 128 {
		split128((*[128]float64)(re), (*[128]float64)(im), (*[65]float64)(f.spr), (*[65]float64)(f.spi), (*[129]float64)(out))
		return
	}
	// Split: X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[m-k])/2, O = (Z[k] - conj Z[m-k])/(2i).
	out[0] = (re[0] + im[0]) * (re[0] + im[0])
	out[m] = (re[0] - im[0]) * (re[0] - im[0])
	for k := 1; k <= m/2; k++ {
		xr, xi, yr, yi := split(re[k], im[k], re[m-k], im[m-k], f.spr[k], f.spi[k])
		out[k] = xr*xr + xi*xi
		out[m-k] = yr*yr + yi*yi
	}
}

// spectrum writes the real and imaginary parts of X[k], k = 0..n/2, of the DFT X of x (length
// n) into xr and xi (each length n/2+1), unnormalised, with the Go code (never the AVX2 kernel).
func (f *realFFT) spectrum(x, xr, xi []float64) {
	if f.re == nil { // the AVX2 kernel's realFFT has no Go work arrays yet; power keeps the kernel
		f.re, f.im = make([]float64, f.m), make([]float64, f.m)
	}
	re, im := f.stages(x)
	m := f.m
	xr, xi = xr[:m+1], xi[:m+1]
	xr[0], xi[0] = re[0]+im[0], 0
	xr[m], xi[m] = re[0]-im[0], 0
	for k := 1; k <= m/2; k++ {
		xr[k], xi[k], xr[m-k], xi[m-k] = split(re[k], im[k], re[m-k], im[m-k], f.spr[k], f.spi[k])
		xi[m-k] = -xi[m-k]
	}
}

// split returns X[k] and conj X[m-k] (real, imaginary parts) from Z[k] = (zr, zi), Z[m-k] =
// (mr, mi) of the half-length transform of the interleaved input and the twiddle W^k = (wr, wi):
// X[k] = E[k] + W^k O[k], conj X[m-k] = E[k] − W^k O[k], with E = (Z[k] + conj Z[m-k])/2 and
// O = (Z[k] − conj Z[m-k])/(2i). Small enough to be inlined.
func split(zr, zi, mr, mi, wr, wi float64) (xr, xi, yr, yi float64) {
	er, ei := 0.5*(zr+mr), 0.5*(zi-mi)
	or, oi := 0.5*(zi+mi), -0.5*(zr-mr) // (Z − conj)/(2i) = (di − i dr)/2
	tr, ti := or*wr-oi*wi, or*wi+oi*wr
	return er + tr, ei + ti, er - tr, ei - ti
}

// stages runs the complex FFT of length m on z[j] = x[2j] + i·x[2j+1] (x of length n) and
// returns its work arrays, holding Z.
func (f *realFFT) stages(x []float64) (re, im []float64) {
	m := f.m
	re, im = f.re[:m], f.im[:m]
	x = x[:2*m]
	// Load z[j] = x[2j] + i·x[2j+1] in bit-reversed order, fused with the first two stages
	// (spans 2 and 4, whose twiddles are 1 and -i, so they need no multiplication).
	if m == 128 {
		// The telephone size: fixed-size arrays and masked indices let the compiler drop the
		// bounds checks of this gather.
		f.load128((*[256]float64)(x), (*[128]float64)(re), (*[128]float64)(im))
	} else {
		rev := f.rev[:m]
		for i := 0; i < m; i += 4 {
			a, b, c, d := int(rev[i]), int(rev[i+1]), int(rev[i+2]), int(rev[i+3])
			ar, ai, br, bi := x[2*a], x[2*a+1], x[2*b], x[2*b+1]
			cr, ci, dr, di := x[2*c], x[2*c+1], x[2*d], x[2*d+1]
			radix4First(re[i:i+4:i+4], im[i:i+4:i+4], ar, ai, br, bi, cr, ci, dr, di)
		}
	}
	// Remaining stages four points at a time (radix-4 butterflies on the bit-reversed order:
	// three twiddle multiplications per four points instead of radix-2's four), then a last
	// radix-2 stage if the number of stages is odd.
	span := 8
	tw := 2 // offset of span 8's twiddles in twr/twi
	r4 := f.r4
	for ; 2*span <= m; span *= 4 {
		h := span / 2
		w := r4[:6*h]
		r4 = r4[6*h:]
		for start := 0; start < m; start += 4 * h {
			r0, i0 := re[start:start+h], im[start:start+h]
			r1, i1 := re[start+h:start+2*h], im[start+h:start+2*h]
			r2, i2 := re[start+2*h:start+3*h], im[start+2*h:start+3*h]
			r3, i3 := re[start+3*h:start+4*h], im[start+3*h:start+4*h]
			i0, r1, i1, r2, i2, r3, i3 = i0[:len(r0)], r1[:len(r0)], i1[:len(r0)], r2[:len(r0)], i2[:len(r0)], r3[:len(r0)], i3[:len(r0)]
			w := w[:6*len(r0)]
			for j := range r0 {
				tw := w[6*j : 6*j+6 : 6*j+6]
				// t1 = W^2j·x1, t2 = W^j·x2, t3 = W^3j·x3 (twiddles of span 4h)
				t1r, t1i := r1[j]*tw[2]-i1[j]*tw[3], r1[j]*tw[3]+i1[j]*tw[2]
				t2r, t2i := r2[j]*tw[0]-i2[j]*tw[1], r2[j]*tw[1]+i2[j]*tw[0]
				t3r, t3i := r3[j]*tw[4]-i3[j]*tw[5], r3[j]*tw[5]+i3[j]*tw[4]
				b0r, b0i, b1r, b1i := r0[j]+t1r, i0[j]+t1i, r0[j]-t1r, i0[j]-t1i
				er, ei, fr, fi := t2r+t3r, t2i+t3i, t2r-t3r, t2i-t3i
				r0[j], i0[j], r2[j], i2[j] = b0r+er, b0i+ei, b0r-er, b0i-ei
				// -i·f = fi - i·fr
				r1[j], i1[j], r3[j], i3[j] = b1r+fi, b1i-fr, b1r-fi, b1i+fr
			}
		}
		tw += 3 * h
	}
	for ; span <= m; span *= 2 {
		half := span / 2
		twr, twi := f.twr[tw:tw+half], f.twi[tw:tw+half]
		for start := 0; start < m; start += span {
			ur, ui := re[start:start+half], im[start:start+half]
			vr, vi := re[start+half:start+span], im[start+half:start+span]
			ui, vr, vi = ui[:len(ur)], vr[:len(ur)], vi[:len(ur)]
			twr, twi := twr[:len(ur)], twi[:len(ur)]
			for j := range ur {
				wr, wi := twr[j], twi[j]
				tr := vr[j]*wr - vi[j]*wi
				ti := vr[j]*wi + vi[j]*wr
				pr, pi := ur[j], ui[j]
				ur[j], ui[j] = pr+tr, pi+ti
				vr[j], vi[j] = pr-tr, pi-ti
			}
		}
		tw += half
	}
	return re, im
}

// load128 is the gather and first two stages for m = 128.
func (f *realFFT) load128(x *[256]float64, re, im *[128]float64) {
	rev := (*[128]int32)(f.rev)
	for i := 0; i < 128; i += 4 {
		a, b := int(rev[i&127])&127, int(rev[(i+1)&127])&127
		c, d := int(rev[(i+2)&127])&127, int(rev[(i+3)&127])&127
		ar, ai, br, bi := x[(2*a)&255], x[(2*a+1)&255], x[(2*b)&255], x[(2*b+1)&255]
		cr, ci, dr, di := x[(2*c)&255], x[(2*c+1)&255], x[(2*d)&255], x[(2*d+1)&255]
		s0r, s0i, s1r, s1i := ar+br, ai+bi, ar-br, ai-bi
		s2r, s2i, s3r, s3i := cr+dr, ci+di, cr-dr, ci-di
		j := i & 124
		re[j], im[j] = s0r+s2r, s0i+s2i
		re[j|2], im[j|2] = s0r-s2r, s0i-s2i
		re[j|1], im[j|1] = s1r+s3i, s1i-s3r
		re[j|3], im[j|3] = s1r-s3i, s1i+s3r
	}
}

// radix4First writes the spans-2-and-4 butterfly of z0..z3 into re/im[0:4] (twiddles 1 and -i).
func radix4First(re, im []float64, ar, ai, br, bi, cr, ci, dr, di float64) {
	s0r, s0i, s1r, s1i := ar+br, ai+bi, ar-br, ai-bi
	s2r, s2i, s3r, s3i := cr+dr, ci+di, cr-dr, ci-di
	// -i·(s3r + i s3i) = s3i - i s3r
	re[0], im[0] = s0r+s2r, s0i+s2i
	re[2], im[2] = s0r-s2r, s0i-s2i
	re[1], im[1] = s1r+s3i, s1i-s3r
	re[3], im[3] = s1r-s3i, s1i+s3r
}

// split128 is the split step for m = 128 on fixed-size arrays (no bounds checks): X[k] = E[k] +
// W^k O[k] with E = (Z[k] + conj Z[m-k])/2 and O = (Z[k] - conj Z[m-k])/(2i); out = |X|².
func split128(re, im *[128]float64, spr, spi *[65]float64, out *[129]float64) {
	out[0] = (re[0] + im[0]) * (re[0] + im[0])
	out[128] = (re[0] - im[0]) * (re[0] - im[0])
	for k := 1; k <= 64; k++ {
		zr, zi := re[k], im[k]
		cr, ci := re[128-k], -im[128-k]
		er, ei := 0.5*(zr+cr), 0.5*(zi+ci)
		dr, di := zr-cr, zi-ci
		or, oi := 0.5*di, -0.5*dr
		wr, wi := spr[k], spi[k]
		tr := or*wr - oi*wi
		ti := or*wi + oi*wr
		xr, xi := er+tr, ei+ti
		out[k] = xr*xr + xi*xi
		yr, yi := er-tr, ei-ti
		out[128-k] = yr*yr + yi*yi
	}
}

// Layout of the buffer of power256AVX2, in float64s: tables first, then work areas, each region
// starting on a 64-byte boundary (given an aligned buffer). A "vector" below is 4 float64s, one
// YMM register; a complex vector is 8 float64s, the 4 real parts then the 4 imaginary parts.
// fft_amd64.s repeats these offsets (in bytes).
const (
	fft256Tw1 = 0    // 8×3 complex vectors: W_32^(a·b) broadcast, a = 0..7, b = 1..3, at 8·(3a+b-1)
	fft256C8  = 192  // vector of √½
	fft256G   = 200  // 32 complex vectors: lane l of k holds W_128^(σ(l)·k)/2, σ = (0, 2, 1, 3)
	fft256V   = 456  // 16 complex vectors: lane l of t holds -i·W_256^(4t+l)
	fft256T   = 584  // work: 32 complex vectors, after the first pass
	fft256Y   = 840  // work: 32 complex vectors, after the second pass
	fft256ZR  = 1096 // work: Re Z[0..128] (Z[128] = Z[0]) of the 128-point complex FFT Z, halved
	fft256ZI  = 1232 // work: Im Z[0..128], halved
	fft256Len = 1368
)

// newFFT256Tables returns the buffer of power256AVX2 with its tables filled in, aligned to 64
// bytes (a cache line), so that no vector load or store of the kernel straddles two lines.
//
// The kernel computes the 128-point complex FFT Z of z[j] = x[2j] + i·x[2j+1] as 4 interleaved
// 32-point FFTs, one per YMM lane, followed by twiddles and a 4-point DFT across the lanes:
// with j = 4·n1 + n2 and k = k1 + 32·k2,
//
//	Z[k1 + 32·k2] = Σ_n2 W_4^(n2·k2) · W_128^(n2·k1) · Σ_n1 z[4·n1 + n2] · W_32^(n1·k1).
//
// Loading 8 consecutive x with two unpacks puts z[4·n1 + σ(l)] in lane l, so the 32-point FFTs
// need no shuffles and no bit reversal (their passes address whole vectors); only the final
// 4-point DFTs transpose 4×4 blocks, after which Z comes out in natural order. The 32-point FFT is
// a radix-4 pass over n1 = a + 8·b (twiddles W_32^(a·kb)) followed by 8-point DFTs; the split step
// X[k] = E[k] + W_256^k·O[k] then turns Z into the power spectrum. The factor 1/2 of E and O is
// folded into the G twiddles.
func newFFT256Tables() *[fft256Len]float64 {
	raw := make([]float64, fft256Len+8)
	off := int((64 - uintptr(unsafe.Pointer(&raw[0]))%64) % 64 / 8)
	b := (*[fft256Len]float64)(raw[off : off+fft256Len])
	cvec := func(at int, re, im [4]float64) {
		copy(b[at:at+4], re[:])
		copy(b[at+4:at+8], im[:])
	}
	bcast := func(v float64) [4]float64 { return [4]float64{v, v, v, v} }
	for a := range 8 {
		for kb := 1; kb <= 3; kb++ {
			c, s := cisTurn(a*kb, 32)
			cvec(fft256Tw1+8*(3*a+kb-1), bcast(c), bcast(-s))
		}
	}
	r2 := bcast(math.Sqrt2 / 2)
	copy(b[fft256C8:fft256C8+4], r2[:])
	sigma := [4]int{0, 2, 1, 3}
	for k := range 32 {
		var re, im [4]float64
		for l, n2 := range sigma {
			c, s := cisTurn(n2*k, 128)
			re[l], im[l] = c/2, -s/2
		}
		cvec(fft256G+8*k, re, im)
	}
	for t := range 16 {
		var re, im [4]float64
		for l := range 4 {
			// -i·W^k = -i·(cos - i·sin) = -sin - i·cos
			c, s := cisTurn(4*t+l, 256)
			re[l], im[l] = -s, -c
		}
		cvec(fft256V+8*t, re, im)
	}
	return b
}

// cisTurn returns cos and sin of the angle 2π·k/n (radians), reduced to the first octant before
// evaluation so that quarter turns are exact and all others accurate to about an ulp.
func cisTurn(k, n int) (c, s float64) {
	k %= n
	if k < 0 {
		k += n
	}
	q := 4 * k / n // quadrant
	r := 4*k - q*n // angle within it is (π/2)·r/n, 0 <= r < n
	if 2*r <= n {
		s, c = math.Sincos(math.Pi / 2 * float64(r) / float64(n))
	} else {
		c, s = math.Sincos(math.Pi / 2 * float64(n-r) / float64(n))
	}
	switch q {
	case 1:
		c, s = -s, c
	case 2:
		c, s = -c, -s
	case 3:
		c, s = s, -c
	}
	return c, s
}
