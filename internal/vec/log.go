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
