package vec

import "math"

// Log is ln(x) for finite x > 0, to within a few 1e-10 relative to math.Log: x = 2^e·m with
// m in [√½, √2), ln m = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.172, by its odd series to s^13. It
// costs a fraction of math.Log on the front ends' per-frame logarithms; callers floor x at
// FLT_EPSILON first, so zero, negative and subnormal inputs never reach it.
func Log(x float64) float64 {
	const ln2 = 0.693147180559945309417232121458176568
	b := math.Float64bits(x)
	e := int64(b>>52&0x7ff) - 1023
	m := math.Float64frombits(b&^(0x7ff<<52) | 1023<<52) // in [1, 2)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	s := (m - 1) / (m + 1)
	s2 := s * s
	p := 1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2*(1.0/9+s2*(1.0/11+s2*(1.0/13))))))
	return float64(e)*ln2 + 2*s*p
}

// LogFloor sets dst[i] = Log(max(src[i], floor)) for every i < len(src) (len(dst) ≥ len(src);
// dst may be src). floor must be a positive normal number (the front ends use FLT_EPSILON). With
// AVX2 four values go at a time through the same operations in the same order, so the results
// equal Log's (to the last bit, unless the compiler fuses Log's multiply-adds: GOAMD64=v3). A NaN
// in src gives floor's logarithm with AVX2 and NaN without.
func LogFloor(dst, src []float64, floor float64) {
	if len(dst) < len(src) {
		panic("vec: LogFloor: short dst")
	}
	n := 0
	if useAVX2 {
		n = len(src) &^ 3
		logFloorAVX2(dst[:n], src[:n], floor)
	}
	logFloorGo(dst[n:len(src)], src[n:], floor)
}

func logFloorGo(dst, src []float64, floor float64) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = Log(max(x, floor))
	}
}

// Exp is e^x for x in [−708, 709], to within ~1e-15 relative of math.Exp: x = k·ln 2 + r with
// k = round(x/ln 2) and ln 2 split in two (Cody and Waite) so that r, |r| ≤ ½ln 2, is exact to
// double rounding, e^r by its Taylor series to r^13 (truncation under 2e-16), times 2^k built
// from its bits. Outside that range it gives math.Exp's value.
func Exp(x float64) float64 {
	if !(x >= expMin && x <= expMax) {
		return math.Exp(x)
	}
	k := math.RoundToEven(x * expLog2e)
	r := x - k*expLn2Hi
	r -= k * expLn2Lo
	return expPoly(r) * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// Exp's constants: its range, 1/ln 2 and ln 2 in two parts (fdlibm's, the high part with 11
// trailing zero bits so that k·expLn2Hi is exact for |k| < 2^11).
const (
	expMin   = -708.0
	expMax   = 709.0
	expLog2e = 1.44269504088896338700e+00
	expLn2Hi = 6.93147180369123816490e-01
	expLn2Lo = 1.90821492927058770002e-10
)

// expPoly is e^r for |r| ≤ ½ln 2: 1 + r + r²/2! + … + r^13/13! by Horner's rule, in the order the
// AVX2 kernel repeats.
func expPoly(r float64) float64 {
	p := 1.0 / 6227020800
	p = p*r + 1.0/479001600
	p = p*r + 1.0/39916800
	p = p*r + 1.0/3628800
	p = p*r + 1.0/362880
	p = p*r + 1.0/40320
	p = p*r + 1.0/5040
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	return p*r + 1
}

// PowRatio sets dst[i] = (src[i]/d)^a for every i < len(src) (len(dst) ≥ len(src); dst may be
// src), for d > 0 and 0 < a ≤ 1: PNCC's power law on a frame's filter energies over their mean.
// A ratio of at least 2^−1022 goes as Exp(a·Log(ratio)), within 1e-12 relative of math.Pow
// (Log's error, times a) and, with AVX2, four at a time through the same operations in the same
// order (the same bits unless the compiler fuses the Go path's multiply-adds: GOAMD64=v3); a
// smaller ratio (zero energy), or a NaN, as math.Pow (and then the whole slice without the
// kernel).
func PowRatio(dst, src []float64, d, a float64) {
	if len(dst) < len(src) {
		panic("vec: PowRatio: short dst")
	}
	n := 0
	if useAVX2 && allAbove(src, d*0x1p-1021) {
		// Every ratio is at least 2^−1022 (d·2^−1021 over-approximates the bound): the kernel
		// takes the multiples of four. Otherwise (zero energy, rare) the Go loop takes all.
		n = len(src) &^ 3
		powRatioAVX2(dst[:n], src[:n], d, a)
	}
	for i, v := range src[n:] {
		dst[n+i] = powRatio1(v, d, a)
	}
}

// allAbove reports whether every x[i] ≥ lim (false for a NaN).
func allAbove(x []float64, lim float64) bool {
	for _, v := range x {
		if !(v >= lim) {
			return false
		}
	}
	return true
}

// powRatio1 is PowRatio for one value.
func powRatio1(v, d, a float64) float64 {
	r := v / d
	if r >= 0x1p-1022 {
		return Exp(a * Log(r))
	}
	return math.Pow(r, a)
}
