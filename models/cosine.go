package models

import "math"

// Cosine returns the cosine similarity aᵀb / (‖a‖‖b‖) in [−1, 1] (0 if either is zero).
func Cosine(a, b []float64) float64 {
	na, nb := dot(a, a), dot(b, b)
	if na == 0 || nb == 0 {
		return 0
	}
	return dot(a, b[:len(a)]) / math.Sqrt(na*nb)
}

// CosineMulti scores test against several enrollment vectors by the cosine
// with their average (each enrollment vector length-normalised first).
func CosineMulti(enroll [][]float64, test []float64) float64 {
	if len(enroll) == 0 {
		return 0
	}
	m := make([]float64, len(test))
	for _, e := range enroll {
		n := math.Sqrt(dot(e, e))
		if n > 0 {
			axpy(1/n, e, m)
		}
	}
	return Cosine(m, test)
}
