package dsp

import (
	"fmt"
	"math"
	"math/bits"
)

// realFFT computes power spectra of real frames of a fixed power-of-two length n, by one complex
// FFT of length n/2 on the even/odd-interleaved input followed by the usual split step. It is
// allocation-free after construction and not safe for concurrent use.
//
// Measured on this project's 2-core Xeon (see bench/README.md): for n = 256 it is several times
// faster than gonum's dsp/fourier (FFTPACK, 2.5 µs) and go-dsp's FFTReal (14 µs, 26
// allocations), which is what lets the whole front end run at thousands of times real time.
type realFFT struct {
	n, m     int       // real length and complex length m = n/2
	rev      []int32   // bit reversal permutation of 0..m-1
	twr, twi []float64 // twiddles of stages with span >= 4, concatenated: stage span s holds s/2 entries
	spr, spi []float64 // split twiddles exp(-2πik/n), k = 0..m/2
	r4       []float64 // radix-4 passes' twiddles: per pass of span 4h, h entries each of W^j, W^2j, W^3j (re, im)
	re, im   []float64 // work arrays of length m
}

func newRealFFT(n int) (*realFFT, error) {
	if n < 8 || n&(n-1) != 0 {
		return nil, fmt.Errorf("fft: length %d is not a power of two >= 8", n)
	}
	m := n / 2
	f := &realFFT{n: n, m: m, rev: make([]int32, m), re: make([]float64, m), im: make([]float64, m)}
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
	return f, nil
}

// power writes |X[k]|², k = 0..n/2, of the DFT X of x (length n) into out (length n/2+1).
func (f *realFFT) power(x []float64, out []float64) {
	m := f.m
	re, im := f.re[:m], f.im[:m]
	x = x[:2*m]
	out = out[:m+1]
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
	if m == 128 {
		split128((*[128]float64)(re), (*[128]float64)(im), (*[65]float64)(f.spr), (*[65]float64)(f.spi), (*[129]float64)(out))
		return
	}
	// Split: X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[m-k])/2, O = (Z[k] - conj Z[m-k])/(2i).
	out[0] = (re[0] + im[0]) * (re[0] + im[0])
	out[m] = (re[0] - im[0]) * (re[0] - im[0])
	for k := 1; k <= m/2; k++ {
		zr, zi := re[k], im[k]
		cr, ci := re[m-k], -im[m-k] // conj Z[m-k]
		er, ei := 0.5*(zr+cr), 0.5*(zi+ci)
		// (Z - conj)/(2i) = (dr + i di)/(2i) = (di - i dr)/2
		dr, di := zr-cr, zi-ci
		or, oi := 0.5*di, -0.5*dr
		wr, wi := f.spr[k], f.spi[k]
		tr := or*wr - oi*wi
		ti := or*wi + oi*wr
		xr, xi := er+tr, ei+ti
		out[k] = xr*xr + xi*xi
		// X[m-k] = conj(E[k]) - conj(W^k O[k]) · ... by symmetry: X[n/2-k] = conj(E[k] - W^k O[k])
		yr, yi := er-tr, ei-ti
		out[m-k] = yr*yr + yi*yi
	}
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
