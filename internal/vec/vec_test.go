package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"
	"testing"
)

// TestGemvAdd checks y += A·x against a double-precision sum for row counts that exercise the
// four-row blocks and the single-row tail, row lengths that take the AVX2 kernel (multiples
// of 8) and the fallback, and slices that start off any 32-byte boundary.
func TestGemvAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, cols := range []int{8, 16, 120, 7, 13, 1024} {
		for _, rows := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 256} {
			for _, off := range []int{0, 1, 3} {
				a, x, y := normals(r, rows*cols+off), normals(r, cols+off), normals(r, rows+off)
				want := make([]float64, rows)
				for i := range rows {
					s := float64(y[off+i])
					for k := range cols {
						s += float64(a[off+i*cols+k]) * float64(x[off+k])
					}
					want[i] = s
				}
				GemvAdd(y[off:], a[off:], x[off:], cols)
				for i := range rows {
					if d := math.Abs(float64(y[off+i]) - want[i]); d > 1e-5*math.Sqrt(float64(cols))*math.Max(1, math.Abs(want[i])) {
						t.Fatalf("rows %d cols %d offset %d: y[%d] = %v, want %v", rows, cols, off, i, y[off+i], want[i])
					}
				}
			}
		}
	}
}

// TestGemvAddRowIndependent checks that a row's result does not depend on which of the kernel's
// eight-, four- or one-row loops takes it: every row of a many-row product equals, bit for bit,
// the same row multiplied alone. Engine results must not move with a matrix's row count (a GMM
// group's size, a burst's length).
func TestGemvAddRowIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, cols := range []int{8, 120, 1024, 13} {
		for _, rows := range []int{1, 4, 7, 8, 9, 12, 15, 16, 23, 64} {
			a, x, y := normals(r, rows*cols), normals(r, cols), normals(r, rows)
			one := make([]float32, 1)
			want := make([]float32, rows)
			for i := range rows {
				one[0] = y[i]
				GemvAdd(one, a[i*cols:(i+1)*cols], x, cols)
				want[i] = one[0]
			}
			GemvAdd(y, a, x, cols)
			for i := range rows {
				if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
					t.Fatalf("rows %d cols %d: row %d = %v in the product, %v alone", rows, cols, i, y[i], want[i])
				}
			}
		}
	}
}

// TestGemvAdd3 checks that each of GemvAdd3's three products equals GemvAdd's alone bit for
// bit, for row counts that exercise the four-row blocks and the remainder, row lengths that take
// the kernel and the fallback, and slices off any alignment.
func TestGemvAdd3(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, cols := range []int{8, 16, 120, 13, 1024} {
		for _, rows := range []int{0, 1, 3, 4, 5, 8, 11, 64, 81} {
			for _, off := range []int{0, 1, 3} {
				a := normals(r, rows*cols+off)[off:]
				var x, y, want [3][]float32
				for v := range 3 {
					x[v] = normals(r, cols+off)[off:]
					y[v] = normals(r, rows+off)[off:]
					want[v] = slices.Clone(y[v])
					GemvAdd(want[v], a, x[v], cols)
				}
				GemvAdd3(y[0], y[1], y[2], a, x[0], x[1], x[2], cols)
				for v := range 3 {
					for i := range rows {
						if math.Float32bits(y[v][i]) != math.Float32bits(want[v][i]) {
							t.Fatalf("rows %d cols %d offset %d: vector %d row %d = %v, GemvAdd alone %v",
								rows, cols, off, v, i, y[v][i], want[v][i])
						}
					}
				}
			}
		}
	}
}

func TestGemvAdd3Mismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("outputs of different lengths accepted")
		}
	}()
	x := make([]float32, 8)
	GemvAdd3(make([]float32, 4), make([]float32, 4), make([]float32, 3), make([]float32, 32), x, x, x, 8)
}

// TestMaxIndexAbove checks Max against the max builtin and IndexAbove against a scan, bit for
// bit, over lengths around the 8-value kernel, with NaN, infinities and ties placed anywhere.
func TestMaxIndexAbove(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	nan := float32(math.NaN())
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 64, 256, 257} {
		for trial := range 40 {
			x := normals(r, n)
			if n > 0 {
				switch trial % 5 {
				case 1:
					x[r.IntN(n)] = nan
				case 2:
					x[r.IntN(n)] = float32(math.Inf(-1))
				case 3:
					x[r.IntN(n)] = float32(math.Inf(1))
				case 4:
					x[r.IntN(n)] = x[r.IntN(n)]
				}
			}
			want := float32(math.Inf(-1))
			for _, v := range x {
				want = max(want, v)
			}
			if got := Max(x); math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
				t.Fatalf("n %d trial %d: Max %v, want %v", n, trial, got, want)
			}
			for _, th := range []float32{-1, 0, 0.5, 1.5, nan, float32(math.Inf(-1))} {
				wantI := -1
				for i, v := range x {
					if v > th {
						wantI = i
						break
					}
				}
				if got := IndexAbove(x, th); got != wantI {
					t.Fatalf("n %d trial %d: IndexAbove(%v) = %d, want %d", n, trial, th, got, wantI)
				}
			}
		}
	}
}

// normals is n standard normal values from r.
func normals(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func TestGemvAddShort(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("short matrix accepted")
		}
	}()
	GemvAdd(make([]float32, 2), make([]float32, 15), make([]float32, 8), 8)
}

func TestGemvAddNoAlloc(t *testing.T) {
	y, a, x := make([]float32, 64), make([]float32, 64*120), make([]float32, 120)
	if n := testing.AllocsPerRun(10, func() { GemvAdd(y, a, x, 120) }); n != 0 {
		t.Errorf("GemvAdd allocates %v times", n)
	}
}

// BenchmarkGemvAdd compares the kernel with gonum's sgemv on the shapes of the hot paths:
// the UBM's 64 group summaries and 8-component groups, the countermeasure's 256-component GMMs
// (all over 120 affine coefficients: 60 features and their squares).
func BenchmarkGemvAdd(b *testing.B) {
	for _, rows := range []int{8, 64, 256} {
		cols := 120
		y, a, x := make([]float32, rows), make([]float32, rows*cols), make([]float32, cols)
		for i := range a {
			a[i] = float32(i%17) * 0.01
		}
		b.Run(fmt.Sprintf("rows=%d/kernel", rows), func(b *testing.B) {
			for b.Loop() {
				GemvAdd(y, a, x, cols)
			}
		})
		y1, y2, x1, x2 := make([]float32, rows), make([]float32, rows), make([]float32, cols), make([]float32, cols)
		b.Run(fmt.Sprintf("rows=%d/kernel3-per-vector", rows), func(b *testing.B) {
			for b.Loop() {
				GemvAdd3(y, y1, y2, a, x, x1, x2, cols)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(3*b.N), "ns/vector")
		})
		b.Run(fmt.Sprintf("rows=%d/gonum", rows), func(b *testing.B) {
			for b.Loop() {
				gemvAddGonum(y, a, x, cols)
			}
		})
	}
}

// TestAxpyF32F64 checks the kernel bit for bit against the scalar loop for lengths that exercise
// the 8-, 4- and 1-element steps and slices off any alignment.
func TestAxpyF32F64(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 12, 15, 16, 60, 61} {
		for _, off := range []int{0, 1, 3} {
			x := make([]float32, n+off)
			y := make([]float64, n+off+2)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 10)
			}
			for i := range y {
				y[i] = r.NormFloat64()
			}
			want := append([]float64(nil), y...)
			alpha := r.Float64()
			axpyF32F64Go(alpha, x[off:], want[off:])
			AxpyF32F64(alpha, x[off:], y[off:])
			for i := range y {
				if y[i] != want[i] {
					t.Fatalf("n %d offset %d: y[%d] = %v, want %v (bit for bit)", n, off, i, y[i], want[i])
				}
			}
		}
	}
	// A hand-worked case: 0.5·[1, 2, -4] added to [1, 1, 1].
	y := []float64{1, 1, 1}
	AxpyF32F64(0.5, []float32{1, 2, -4}, y)
	if y[0] != 1.5 || y[1] != 2 || y[2] != -1 {
		t.Fatalf("hand case: %v", y)
	}
}

// TestSumExp checks the single-precision exponential sum against math.Exp in double precision:
// values spread over 0 to -60 nats below the maximum (so the -50 cut drops some), ±Inf and NaN
// lanes (dropped), lengths exercising the 8-lane kernel and the scalar tail, and exact values.
func TestSumExp(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 255, 256, 1000} {
		ll := make([]float32, n)
		for i := range ll {
			ll[i] = float32(3 - 60*r.Float64())
		}
		if n > 9 {
			ll[2], ll[5] = float32(math.Inf(-1)), float32(math.NaN())
		}
		mx := float32(3)
		want := sumExpGo(ll, mx, -50)
		got := SumExp(ll, mx, -50)
		if math.Abs(got-want) > 1e-6*want {
			t.Fatalf("n %d: SumExp = %.9g, want %.9g (relative %.2g)", n, got, want, math.Abs(got-want)/want)
		}
	}
	for _, c := range []struct {
		ll   []float32
		mx   float32
		want float64
	}{
		{[]float32{0, 0, 0, 0, 0, 0, 0, 0}, 0, 8},
		{[]float32{1, 1, 1, 1, 1, 1, 1, 1, -100}, 1, 8},
		{[]float32{0, -1, -2, -3, -4, -5, -6, -7}, 0, (1 - math.Exp(-8)) / (1 - math.Exp(-1))},
		{[]float32{math.Ln2, 0, 0, 0, 0, 0, 0, 0}, 0, 2 + 7},
	} {
		if got := SumExp(c.ll, c.mx, -50); math.Abs(got-c.want) > 1e-6*c.want {
			t.Errorf("SumExp(%v, %v) = %.9g, want %.9g", c.ll, c.mx, got, c.want)
		}
	}
}

func BenchmarkSumExp256(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	ll := make([]float32, 256)
	for i := range ll {
		ll[i] = float32(-40 * r.Float64())
	}
	for _, f := range []struct {
		name string
		sum  func([]float32, float32, float32) float64
	}{{"kernel", SumExp}, {"go", sumExpGo}} {
		b.Run(f.name, func(b *testing.B) {
			for range b.N {
				f.sum(ll, 0, -50)
			}
		})
	}
}

// TestDot checks Dot and DotF64 against a double-precision (for DotF64: compensated-free but
// exact enough) sum for lengths that exercise the kernels' blocks and the scalar tail, slices
// off any alignment, and a hand-worked case.
func TestDot(t *testing.T) {
	if got := Dot([]float32{1, 2, 3}, []float32{4, 5, 6, 7}); got != 32 {
		t.Errorf("Dot(1 2 3, 4 5 6) = %v, want 32", got)
	}
	if got := DotF64([]float64{1, 2, 3}, []float64{4, 5, 6}); got != 32 {
		t.Errorf("DotF64(1 2 3, 4 5 6) = %v, want 32", got)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 200, 30720} {
		for _, off := range []int{0, 1, 3} {
			a32, b32 := make([]float32, n+off), make([]float32, n+off)
			a64, b64 := make([]float64, n+off), make([]float64, n+off)
			for i := range a32 {
				a32[i], b32[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
				a64[i], b64[i] = r.NormFloat64(), r.NormFloat64()
			}
			var want32, want64, mag32, mag64 float64
			for i := off; i < n+off; i++ {
				want32 += float64(a32[i]) * float64(b32[i])
				mag32 += math.Abs(float64(a32[i]) * float64(b32[i]))
				want64 += a64[i] * b64[i]
				mag64 += math.Abs(a64[i] * b64[i])
			}
			if got := float64(Dot(a32[off:], b32[off:])); math.Abs(got-want32) > 1e-6*mag32+1e-30 {
				t.Errorf("Dot n %d off %d = %v, want %v", n, off, got, want32)
			}
			if got := DotF64(a64[off:], b64[off:]); math.Abs(got-want64) > 1e-14*mag64+1e-300 {
				t.Errorf("DotF64 n %d off %d = %v, want %v", n, off, got, want64)
			}
		}
	}
}

// BenchmarkDot compares Dot with gonum's sdot on the GMM linear scorer's supervector length.
func BenchmarkDot(b *testing.B) {
	a, x := make([]float32, 30720), make([]float32, 30720)
	for i := range a {
		a[i], x[i] = float32(i%17)*0.01, float32(i%13)*0.01
	}
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			Dot(a, x)
		}
	})
	b.Run("gonum", func(b *testing.B) {
		for b.Loop() {
			blas32.Dot(blas32.Vector{N: len(a), Inc: 1, Data: a}, blas32.Vector{N: len(x), Inc: 1, Data: x})
		}
	})
}

// TestDotRuns checks that DotRuns gives Dot's bits for vectors zero outside their runs, from no
// zero block to all, with lengths that leave a tail past the last whole block, and that
// NonzeroRuns lists 32-value blocks as worked out by hand.
func TestDotRuns(t *testing.T) {
	x := make([]float32, 100) // three whole blocks and a tail of 4
	x[40], x[99] = 1, 2
	runs, zero := NonzeroRuns(nil, x, DotBlock)
	if want := []int32{32, 64, -1, -1}; !slices.Equal(runs, want) || zero != 2 {
		t.Errorf("runs %v, %d zero blocks; want %v, 2", runs, zero, want)
	}
	r := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{0, 31, 32, 100, 30720, 30725} {
		for _, pZero := range []float64{0, 0.3, 0.7, 1} {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i] = float32(r.NormFloat64())
			}
			for k := 0; k < n; k += DotBlock {
				if r.Float64() < pZero && k+DotBlock <= n {
					continue
				}
				for i := k; i < min(n, k+DotBlock); i++ {
					b[i] = float32(r.NormFloat64())
				}
			}
			runs, _ := NonzeroRuns(nil, b, DotBlock)
			if got, want := DotRuns(a, b, runs), Dot(a, b); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("n %d, %.0f%% zero blocks: DotRuns %v, Dot %v", n, 100*pZero, got, want)
			}
		}
	}
}

func TestDot4F64(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ n, stride int }{{0, 0}, {1, 1}, {7, 7}, {8, 8}, {9, 12}, {16, 16}, {37, 40}, {200, 200}, {203, 211}} {
		a := make([]float64, 3*tc.stride+tc.n)
		x := make([]float64, tc.n)
		for i := range a {
			a[i] = r.NormFloat64()
		}
		for i := range x {
			x[i] = r.NormFloat64()
		}
		got := Dot4F64(a, tc.stride, x, tc.n)
		for k := range 4 {
			var want, mag float64
			for i := 0; i < tc.n; i++ {
				want += a[k*tc.stride+i] * x[i]
				mag += math.Abs(a[k*tc.stride+i] * x[i])
			}
			if math.Abs(got[k]-want) > 1e-12*(mag+1) {
				t.Errorf("n=%d stride=%d row %d: got %v, want %v", tc.n, tc.stride, k, got[k], want)
			}
		}
	}
	// A hand-worked case: rows 1..4 times x = (1, 2, …, 8, 9).
	a := make([]float64, 4*9)
	x := make([]float64, 9)
	for i := range x {
		x[i] = float64(i + 1)
		for k := range 4 {
			a[k*9+i] = float64(k + 1)
		}
	}
	if got, want := Dot4F64(a, 9, x, 9), [4]float64{45, 90, 135, 180}; got != want {
		t.Errorf("hand-worked: got %v, want %v", got, want)
	}
}

// TestMaxFeatureMap checks MaxFeatureMap against Go's max on each element, for channel counts
// the AVX2 kernel takes (multiples of 8) and ones it leaves to Go, with NaNs on either side.
func TestMaxFeatureMap(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ rows, o int }{{1, 8}, {3, 16}, {5, 24}, {2, 32}, {4, 5}, {1, 1}, {0, 8}} {
		y := make([]float32, tc.rows*2*tc.o)
		b := make([]float32, 2*tc.o)
		for i := range y {
			y[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		if len(y) > 4 {
			y[1] = float32(math.NaN())             // first half of row 0
			y[len(y)-1] = float32(math.NaN())      // second half of the last row
			y[tc.o+2%tc.o] = float32(math.Inf(-1)) // second half of row 0
		}
		y0 := slices.Clone(y)
		out := make([]float32, tc.rows*tc.o)
		MaxFeatureMap(out, y, b, tc.rows, tc.o)
		for i := range y {
			if math.Float32bits(y[i]) != math.Float32bits(y0[i]) {
				t.Fatalf("rows %d, o %d: y[%d] modified", tc.rows, tc.o, i)
			}
		}
		for i := range tc.rows {
			for c := range tc.o {
				want := max(y[2*i*tc.o+c]+b[c], y[(2*i+1)*tc.o+c]+b[tc.o+c])
				got := out[i*tc.o+c]
				if got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
					t.Fatalf("rows %d, o %d: out[%d][%d] = %g, want %g", tc.rows, tc.o, i, c, got, want)
				}
			}
		}
	}
}

// TestMax4 checks Max4 against Go's max on each element, with tails past the last eight and NaNs
// in each input.
func TestMax4(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 7, 8, 16, 21, 32} {
		in := make([][]float32, 4)
		for k := range in {
			in[k] = make([]float32, n)
			for i := range in[k] {
				in[k][i] = float32(r.NormFloat64())
			}
			if n > k {
				in[k][k] = float32(math.NaN())
			}
		}
		dst := make([]float32, n)
		Max4(dst, in[0], in[1], in[2], in[3])
		for i := range n {
			want := max(max(in[0][i], in[1][i]), max(in[2][i], in[3][i]))
			if got := dst[i]; got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
				t.Fatalf("n %d: dst[%d] = %g, want %g", n, i, got, want)
			}
		}
	}
}

// TestScaleShiftRows checks ScaleShiftRows bit for bit against the expression Go evaluates, for
// row lengths the AVX2 kernel takes and ones it does not.
func TestScaleShiftRows(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct{ rows, c int }{{1, 8}, {3, 16}, {4, 24}, {2, 5}, {0, 8}} {
		x := make([]float32, tc.rows*tc.c)
		sc, sh := make([]float32, tc.c), make([]float32, tc.c)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		for i := range sc {
			sc[i], sh[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		want := slices.Clone(x)
		for i := range want {
			p := want[i] * sc[i%tc.c]
			want[i] = p + sh[i%tc.c]
		}
		ScaleShiftRows(x, sc, sh)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
				t.Fatalf("rows %d, c %d: x[%d] = %g, want %g", tc.rows, tc.c, i, x[i], want[i])
			}
		}
	}
}
