package vec

import "golang.org/x/sys/cpu"

var (
	useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	useF16  = useAVX2 && hasF16C()
)

// gemvAddAVX2 is GemvAdd for cols a positive multiple of 8 (vec_amd64.s).
//
//go:noescape
func gemvAddAVX2(y, a, x []float32, cols int)

// gemvAddF16AVX2 is GemvAddF16 for cols a positive multiple of 8 (vec_amd64.s).
//
//go:noescape
func gemvAddF16AVX2(y []float32, a []uint16, x []float32, cols int)

// cpuid1ECX returns ECX of CPUID leaf 1 (vec_amd64.s).
func cpuid1ECX() uint32

// hasF16C reports the F16C half-precision conversion instructions (CPUID.1:ECX bit 29), which
// golang.org/x/sys/cpu does not expose.
func hasF16C() bool { return cpuid1ECX()&(1<<29) != 0 }

// axpyF32F64AVX is AxpyF32F64 with AVX (vec_amd64.s).
//
//go:noescape
func axpyF32F64AVX(alpha float64, x []float32, y []float64)

// sumExpAVX2 is SumExp over a length that is a multiple of 8 (vec_amd64.s).
//
//go:noescape
func sumExpAVX2(ll []float32, mx, cut float32) float64

// logFloorAVX2 is LogFloor over a length that is a multiple of 4 (vec_amd64.s).
//
//go:noescape
func logFloorAVX2(dst, src []float64, floor float64)

// gemvAddI8AVX2 is GemvAddI8 for cols a positive multiple of 8: the runs kernel over one run.
func gemvAddI8AVX2(y []float32, a []int8, scale []float32, x []float32, cols int) {
	runs := [4]int32{0, int32(cols), -1, -1}
	gemvAddI8RunsAVX2(y, a, scale, x, cols, runs[:])
}

// dotAVX2 is Dot over a length that is a positive multiple of 32: the runs kernel over one run.
func dotAVX2(a, b []float32) float32 {
	runs := [4]int32{0, int32(len(a)), -1, -1}
	return dotRunsAVX2(a, b, runs[:])
}

// dotF64AVX2 is DotF64 over a length that is a positive multiple of 16 (vec_amd64.s).
//
//go:noescape
func dotF64AVX2(a, b []float64) float64

// gemvAddI8RunsAVX2 is GemvAddI8 over the column runs of runs only (vec_amd64.s).
//
//go:noescape
func gemvAddI8RunsAVX2(y []float32, a []int8, scale []float32, x []float32, cols int, runs []int32)

// dotRunsAVX2 is Dot over the 32-value blocks of runs only (vec_amd64.s).
//
//go:noescape
func dotRunsAVX2(a, b []float32, runs []int32) float32

// gemvAdd3AVX2 is GemvAdd3's kernel for rows a positive multiple of 4 and cols of 8
// (vec_amd64.s): y0, y1, y2 and a point at rows floats and rows·cols floats, x0-x2 at cols.
//
//go:noescape
func gemvAdd3AVX2(y0, y1, y2, a, x0, x1, x2 *float32, rows, cols int)

// maxAVX2 is Max's kernel for a length that is a positive multiple of 8 (vec_amd64.s).
//
//go:noescape
func maxAVX2(x []float32) (m float32, nan bool)

// indexAboveAVX2 is IndexAbove's kernel for a length that is a multiple of 8 (vec_amd64.s).
//
//go:noescape
func indexAboveAVX2(x []float32, t float32) int

// dot4F64AVX2 is Dot4F64's kernel for n a positive multiple of 4 (vec_amd64.s).
//
//go:noescape
func dot4F64AVX2(a *float64, stride int, x *float64, n int, out *[4]float64)

// powRatioAVX2 is PowRatio's ratios of at least 2^−1022 over a length that is a multiple of 4
// (vec_amd64.s); PowRatio gives it no others.
//
//go:noescape
func powRatioAVX2(dst, src []float64, d, a float64)

// maxFeatureMapAVX2 is MaxFeatureMap's kernel for o a positive multiple of 8 (vec_amd64.s).
//
//go:noescape
func maxFeatureMapAVX2(out, y, b *float32, rows, o int)

// max4AVX2 is Max4's kernel for n a positive multiple of 8 (vec_amd64.s).
//
//go:noescape
func max4AVX2(dst, a, b, c, d *float32, n int)

// scaleShiftRowsAVX2 is ScaleShiftRows' kernel for c a positive multiple of 8 (vec_amd64.s).
//
//go:noescape
func scaleShiftRowsAVX2(x, scale, shift *float32, rows, c int)
