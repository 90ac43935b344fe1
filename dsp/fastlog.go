package dsp

import "math"

// fastLog is ln(x) for finite x > 0, to within a few 1e-10 relative to math.Log: x = 2^e·m with
// m in [√½, √2), ln m = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.172, by its odd series to s^13. It
// costs a fraction of math.Log on the MFCC's 24 logarithms per frame; callers floor x at
// FLT_EPSILON first, so zero, negative and subnormal inputs never reach it.
func fastLog(x float64) float64 {
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
