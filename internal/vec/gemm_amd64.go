package vec

// sgemmKernelAVX2 is the sgemmKernel of gemm_amd64.s: a 6×16 tile of C in twelve YMM
// accumulators, one VFMADD231PS per register and step of k. Rows r ≥ mr of a are read (and
// their sums dropped), so they must exist; columns j ≥ nr of c are neither read nor written.
//
//go:noescape
func sgemmKernelAVX2(k int, a []float32, rs, cs int, b []float32, csB int, c []float32, ldc int, alpha, beta float32, mr, nr int)

// conv1Chan32MFMAVX2 is Conv1Chan32MFM's kernel (gemm_amd64.s).
//
//go:noescape
func conv1Chan32MFMAVX2(out, pad, w, b *float32, t, f, k int)
