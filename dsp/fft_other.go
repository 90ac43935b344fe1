//go:build !amd64

package dsp

// useFFTAVX2 is false off amd64: power uses its pure-Go code for every n.
const useFFTAVX2 = false

// power256AVX2 exists off amd64 only to satisfy the compiler; power never calls it there.
func power256AVX2(out *[129]float64, x *[256]float64, buf *[fft256Len]float64) {
	panic("dsp: power256AVX2 called without AVX2")
}
