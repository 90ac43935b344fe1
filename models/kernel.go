package models

// dot returns Σ a[i]·b[i] over len(a) elements (b must be at least as long).
// Four independent accumulators let the CPU overlap the floating-point adds;
// the re-slicing of b lets the compiler drop bounds checks in the loop.
func dot[T float32 | float64](a, b []T) T {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy computes y[i] += alpha·x[i] for i < len(x).
func axpy[T float32 | float64](alpha T, x, y []T) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
