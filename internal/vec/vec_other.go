//go:build !amd64

package vec

const (
	useAVX2 = false
	useF16  = false
)

func gemvAddAVX2(y, a, x []float32, cols int) { gemvAddGonum(y, a, x, cols) }

func gemvAddF16AVX2(y []float32, a []uint16, x []float32, cols int) {}

func axpyF32F64AVX(alpha float64, x []float32, y []float64) { axpyF32F64Go(alpha, x, y) }

func sumExpAVX2(ll []float32, mx, cut float32) float64 { return sumExpGo(ll, mx, cut) }

func logFloorAVX2(dst, src []float64, floor float64)                              { logFloorGo(dst, src, floor) }
func powRatioAVX2(dst, src []float64, d, a float64)                               { panic("vec: no AVX2") }
func gemvAddI8AVX2(y []float32, a []int8, scale []float32, x []float32, cols int) {}

func dotAVX2(a, b []float32) float32    { panic("vec: no AVX2") }
func dotF64AVX2(a, b []float64) float64 { panic("vec: no AVX2") }

func gemvAddI8RunsAVX2(y []float32, a []int8, scale []float32, x []float32, cols int, runs []int32) {
	panic("vec: no AVX2")
}

func dotRunsAVX2(a, b []float32, runs []int32) float32 { panic("vec: no AVX2") }

func gemvAdd3AVX2(y0, y1, y2, a, x0, x1, x2 *float32, rows, cols int) { panic("vec: no AVX2") }

func maxAVX2(x []float32) (float32, bool)       { panic("vec: no AVX2") }
func indexAboveAVX2(x []float32, t float32) int { panic("vec: no AVX2") }

func dot4F64AVX2(a *float64, stride int, x *float64, n int, out *[4]float64) { panic("vec: no AVX2") }

func maxFeatureMapAVX2(out, y, b *float32, rows, o int) { panic("vec: no AVX2") }
func max4AVX2(dst, a, b, c, d *float32, n int)          { panic("vec: no AVX2") }

func scaleShiftRowsAVX2(x, scale, shift *float32, rows, c int) { panic("vec: no AVX2") }
