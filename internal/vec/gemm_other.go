//go:build !amd64

package vec

func sgemmKernelAVX2(k int, a []float32, rs, cs int, b []float32, csB int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
	panic("vec: no AVX2")
}

func conv1Chan32MFMAVX2(out, pad, w, b *float32, t, f, k int) { panic("vec: no AVX2") }
