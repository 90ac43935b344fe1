package dsp

import "golang.org/x/sys/cpu"

// useFFTAVX2 selects power256AVX2 for n = 256: it needs AVX2 and FMA.
var useFFTAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// power256AVX2 writes the power spectrum |X[k]|², k = 0..128, of the 256-point DFT X of the real
// frame x into out, in the squared units of x, using AVX2 and FMA (fft_amd64.s). buf holds the
// tables of newFFT256Tables, and its work areas are overwritten.
//
//go:noescape
func power256AVX2(out *[129]float64, x *[256]float64, buf *[fft256Len]float64)
