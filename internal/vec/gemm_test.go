package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// gemmCase is one Sgemm problem: op(A) m×k, op(B) k×n, and the padding of each leading
// dimension beyond its minimum.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	padA, padB     int
	padC           int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA%v_tB%v_%dx%dx%d_alpha%v_beta%v_pad%d,%d,%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// gemmOperands returns random operands for tc in its storage layouts (C filled with NaN when
// beta is zero, which Sgemm must then ignore) and their leading dimensions.
func gemmOperands(r *rand.Rand, tc gemmCase) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	rowsA, colsA := tc.m, tc.k
	if tc.transA {
		rowsA, colsA = tc.k, tc.m
	}
	rowsB, colsB := tc.k, tc.n
	if tc.transB {
		rowsB, colsB = tc.n, tc.k
	}
	lda, ldb, ldc = colsA+tc.padA, colsB+tc.padB, tc.n+tc.padC
	// The last row of each matrix is exactly as long as its width: Sgemm must not read past it.
	a = normals(r, max(0, (rowsA-1)*lda+colsA))
	b = normals(r, max(0, (rowsB-1)*ldb+colsB))
	c = normals(r, max(0, (tc.m-1)*ldc+tc.n))
	if tc.beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	return
}

// gemmRef is C = alpha·op(A)·op(B) + beta·C in double precision, with the bound Σ|alpha·a·b| +
// |beta·c| of each element's rounding error scale.
func gemmRef(tc gemmCase, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) (want, scale []float64) {
	want, scale = make([]float64, tc.m*tc.n), make([]float64, tc.m*tc.n)
	for i := range tc.m {
		for j := range tc.n {
			var s, abs float64
			for p := range tc.k {
				ia, ib := i*lda+p, p*ldb+j
				if tc.transA {
					ia = p*lda + i
				}
				if tc.transB {
					ib = j*ldb + p
				}
				av, bv := a[ia], b[ib]
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			s *= float64(tc.alpha)
			abs *= math.Abs(float64(tc.alpha))
			if tc.beta != 0 {
				s += float64(tc.beta) * float64(c[i*ldc+j])
				abs += math.Abs(float64(tc.beta) * float64(c[i*ldc+j]))
			}
			want[i*tc.n+j], scale[i*tc.n+j] = s, abs
		}
	}
	return
}

// checkGemm runs tc through sgemm with kern and compares it with gemmRef to 1e-5 of each
// element's scale, and checks that C's padding is untouched.
func checkGemm(t *testing.T, r *rand.Rand, kern sgemmKernel, tc gemmCase) {
	t.Helper()
	a, lda, b, ldb, c, ldc := gemmOperands(r, tc)
	want, scale := gemmRef(tc, a, lda, b, ldb, c, ldc)
	got := slices.Clone(c)
	sgemm(kern, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, got, ldc)
	bad := 0
	for i := range tc.m {
		for j := range tc.n {
			g, w := float64(got[i*ldc+j]), want[i*tc.n+j]
			if !(math.Abs(g-w) <= 1e-5*scale[i*tc.n+j]+1e-30) {
				if bad++; bad <= 3 {
					t.Errorf("%v: C[%d][%d] = %v, want %v (scale %g)", tc, i, j, g, w, scale[i*tc.n+j])
				}
			}
		}
		for j := tc.n; j < ldc && i*ldc+j < len(c); j++ {
			if math.Float32bits(got[i*ldc+j]) != math.Float32bits(c[i*ldc+j]) {
				t.Fatalf("%v: padding C[%d][%d] written", tc, i, j)
			}
		}
	}
}

// gemmKernels are the kernels to test: the Go one always, the assembly one where it runs.
func gemmKernels() map[string]sgemmKernel {
	ks := map[string]sgemmKernel{"go": sgemmKernelGo}
	if useAVX2 {
		ks["avx2"] = sgemmKernelAVX2
	}
	return ks
}

var gemmTrans = [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}

// TestSgemmEdges checks every transpose case for every combination of m, n and k among sizes
// either side of multiples of the 6×16 tile, with leading dimensions padded or not and
// alpha/beta values that take each path of the update (TestSgemmShapes and
// TestSgemmKernelBounds take k past the 256 of a block).
func TestSgemmEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	sizes := []int{1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 100}
	scalars := [][2]float32{{1, 0}, {1, 1}, {-0.75, 0}, {2.5, -1.5}, {1, 0.5}}
	for name, kern := range gemmKernels() {
		t.Run(name, func(t *testing.T) {
			n := 0
			for _, tr := range gemmTrans {
				for _, m := range sizes {
					for _, nn := range sizes {
						for _, k := range sizes {
							ab := scalars[n%len(scalars)]
							pad := n % 3 // 0, 1 or 2 extra floats in every leading dimension
							n++
							checkGemm(t, r, kern, gemmCase{tr[0], tr[1], m, nn, k, ab[0], ab[1], pad, 2 * pad, pad})
						}
					}
				}
			}
		})
	}
}

// TestSgemmKernelBounds runs the edge cases through a kernel that checks, before doing the
// Go kernel's work, that everything the assembly kernel would touch lies inside the slices it
// is given: all 6 rows of A at every step (it reads rows past mr), all 16 columns of B, and
// the mr×nr corner of C. The operands end exactly at their last element, so a driver that let
// the kernel read in place past the end of A or B would fail here rather than fault at random.
func TestSgemmKernelBounds(t *testing.T) {
	checking := func(k int, a []float32, rs, cs int, b []float32, csB int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
		var bad string
		switch {
		case k < 1 || mr < 1 || mr > gemmMR || nr < 1 || nr > gemmNR:
			bad = fmt.Sprintf("kernel called with k %d, mr %d, nr %d", k, mr, nr)
		case (gemmMR-1)*rs+(k-1)*cs >= len(a):
			bad = fmt.Sprintf("kernel would read A[%d] of %d (rs %d, cs %d, k %d)", (gemmMR-1)*rs+(k-1)*cs, len(a), rs, cs, k)
		case (k-1)*csB+gemmNR > len(b):
			bad = fmt.Sprintf("kernel would read B[%d] of %d (csB %d, k %d)", (k-1)*csB+gemmNR-1, len(b), csB, k)
		case csB != gemmNR && nr != gemmNR:
			bad = fmt.Sprintf("B read in place for a panel of %d columns", nr)
		case (mr-1)*ldc+nr > len(c):
			bad = fmt.Sprintf("kernel would write C[%d] of %d", (mr-1)*ldc+nr-1, len(c))
		}
		if bad != "" {
			t.Error(bad) // not Fatal: this may run on the goroutines of a split product
			return
		}
		sgemmKernelGo(k, a, rs, cs, b, csB, c, ldc, alpha, beta, mr, nr)
	}
	r := rand.New(rand.NewPCG(41, 42))
	sizes := []int{1, 5, 7, 16, 17, 33, 257}
	for _, tr := range gemmTrans {
		for _, m := range sizes {
			for _, n := range sizes {
				for _, k := range sizes {
					for _, pad := range []int{0, 3} {
						checkGemm(t, r, checking, gemmCase{tr[0], tr[1], m, n, k, 1, 1, pad, pad, pad})
					}
				}
			}
		}
	}
}

// gemmShapes are the products of the spectrogram CNN (models/specnet.go): its layers'
// forward products (im2col rows × kernel·channels times that × output channels), and the
// weight and input gradients of the same layers.
var gemmShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"fwd_19200x25x32", false, false, 19200, 32, 25},
	{"fwd_4800x144x48", false, false, 4800, 48, 144},
	{"fwd_4800x16x32", false, false, 4800, 32, 16},
	{"fwd_1184x216x64", false, false, 1184, 64, 216},
	{"fwd_288x288x64", false, false, 288, 64, 288},
	{"wgrad_25x32_k19200", true, false, 25, 32, 19200},
	{"wgrad_144x48_k4800", true, false, 144, 48, 4800},
	{"wgrad_16x32_k4800", true, false, 16, 32, 4800},
	{"wgrad_216x64_k1184", true, false, 216, 64, 1184},
	{"wgrad_288x64_k288", true, false, 288, 64, 288},
	{"igrad_19200x25_k32", false, true, 19200, 25, 32},
	{"igrad_4800x144_k48", false, true, 4800, 144, 48},
	{"igrad_4800x16_k32", false, true, 4800, 16, 32},
	{"igrad_1184x216_k64", false, true, 1184, 216, 64},
	{"igrad_288x288_k64", false, true, 288, 288, 64},
}

// TestSgemmShapes checks the network's shapes (large enough to be split across goroutines)
// with beta 0 and 1, and a few larger than one block of n or with k not a multiple of 256.
func TestSgemmShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for name, kern := range gemmKernels() {
		for _, s := range gemmShapes {
			for _, beta := range []float32{0, 1} {
				if name == "go" && beta == 1 && testing.Short() {
					continue
				}
				checkGemm(t, r, kern, gemmCase{s.transA, s.transB, s.m, s.n, s.k, 1, beta, 0, 0, 0})
			}
		}
		for _, tr := range gemmTrans {
			checkGemm(t, r, kern, gemmCase{tr[0], tr[1], 37, 4100, 300, 0.5, 2, 3, 1, 5})
			checkGemm(t, r, kern, gemmCase{tr[0], tr[1], 1000, 70, 513, 1, 0, 0, 7, 0})
		}
	}
}

// TestSgemmDegenerate checks that alpha == 0 and k == 0 only scale C (reading neither A nor
// B, here NaN), that empty products do nothing, and that short operands panic.
func TestSgemmDegenerate(t *testing.T) {
	nan := float32(math.NaN())
	a := []float32{nan, nan, nan, nan}
	for _, tc := range []struct {
		k           int
		alpha, beta float32
		want        float32
	}{{2, 0, 0, 0}, {2, 0, 3, 6}, {0, 1, 1, 2}, {0, 1, 0, 0}} {
		c := []float32{2, 2, 2, 2}
		if tc.beta == 0 {
			c = []float32{nan, nan, nan, nan}
		}
		Sgemm(false, false, 2, 2, tc.k, tc.alpha, a, max(tc.k, 1), a, 2, tc.beta, c, 2)
		for i, v := range c {
			if v != tc.want {
				t.Errorf("k %d alpha %v beta %v: C[%d] = %v, want %v", tc.k, tc.alpha, tc.beta, i, v, tc.want)
			}
		}
	}
	Sgemm(false, false, 0, 5, 5, 1, nil, 5, nil, 5, 0, nil, 5)
	Sgemm(false, false, 5, 0, 5, 1, nil, 5, nil, 1, 0, nil, 1)
	for _, tc := range []struct {
		name           string
		transA, transB bool
		m, n, k        int
		la, lda        int
		lb, ldb        int
		lc, ldc        int
	}{
		{"short A", false, false, 2, 2, 2, 3, 2, 4, 2, 4, 2},
		{"short B", false, true, 2, 3, 2, 4, 2, 5, 2, 6, 3},
		{"short C", true, false, 2, 2, 2, 4, 2, 4, 2, 4, 3},
		{"bad lda", true, false, 3, 2, 2, 6, 2, 4, 2, 6, 2},
		{"bad ldc", false, false, 2, 3, 2, 4, 2, 6, 3, 6, 2},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, make([]float32, tc.la), tc.lda,
				make([]float32, tc.lb), tc.ldb, 0, make([]float32, tc.lc), tc.ldc)
		}()
	}
}

// TestSgemmDeterministic checks that the product is bit for bit the same whether it runs on
// one goroutine or is split across two (by rows or by columns), for every network shape.
func TestSgemmDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(35, 36))
	for _, s := range gemmShapes {
		tc := gemmCase{s.transA, s.transB, s.m, s.n, s.k, 0.5, 1, 0, 0, 0}
		a, lda, b, ldb, c, ldc := gemmOperands(r, tc)
		var outs [][]float32
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			got := slices.Clone(c)
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, 0.5, a, lda, b, ldb, 1, got, ldc)
			outs = append(outs, got)
		}
		for i := 1; i < len(outs); i++ {
			for e := range outs[0] {
				if math.Float32bits(outs[i][e]) != math.Float32bits(outs[0][e]) {
					t.Fatalf("%s: GOMAXPROCS %d gives C[%d] = %v, 1 gives %v", s.name, i+1, e, outs[i][e], outs[0][e])
				}
			}
		}
	}
}

// TestSgemmAllocs checks that repeated products reuse their packing buffers: at most one
// allocation a call (the goroutine of a product split in two).
func TestSgemmAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	for _, s := range gemmShapes[:6] {
		tc := gemmCase{s.transA, s.transB, s.m, s.n, s.k, 1, 0, 0, 0, 0}
		a, lda, b, ldb, c, ldc := gemmOperands(r, tc)
		f := func() { Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc) }
		f()
		limit := float64(runtime.GOMAXPROCS(0) - 1)
		if n := testing.AllocsPerRun(20, f); n > limit {
			t.Errorf("%s: %v allocations a call, want at most %v", s.name, n, limit)
		}
	}
}

// BenchmarkSgemm runs the network's shapes through Sgemm (vec), through Sgemm's driver with
// the portable Go kernel (vecgo) and, for comparison, through gonum's blas32.Gemm (gonum),
// reporting GFLOPS (2mnk a product).
func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(39, 40))
	for _, s := range gemmShapes {
		tc := gemmCase{s.transA, s.transB, s.m, s.n, s.k, 1, 0, 0, 0, 0}
		a, lda, bb, ldb, c, ldc := gemmOperands(r, tc)
		clear(c)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		report := func(b *testing.B, calls int) {
			b.ReportMetric(flops*float64(calls)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		}
		b.Run("vec/"+s.name, func(b *testing.B) {
			calls := 0
			for b.Loop() {
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, ldc)
				calls++
			}
			report(b, calls)
		})
		b.Run("vecgo/"+s.name, func(b *testing.B) { // the portable kernel, as without AVX2
			calls := 0
			for b.Loop() {
				sgemm(sgemmKernelGo, s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, ldc)
				calls++
			}
			report(b, calls)
		})
		b.Run("gonum/"+s.name, func(b *testing.B) {
			ta, tb := blas.NoTrans, blas.NoTrans
			ra, ca, rb, cb := s.m, s.k, s.k, s.n
			if s.transA {
				ta, ra, ca = blas.Trans, s.k, s.m
			}
			if s.transB {
				tb, rb, cb = blas.Trans, s.n, s.k
			}
			ga := blas32.General{Rows: ra, Cols: ca, Stride: lda, Data: a}
			gb := blas32.General{Rows: rb, Cols: cb, Stride: ldb, Data: bb}
			gc := blas32.General{Rows: s.m, Cols: s.n, Stride: ldc, Data: c}
			calls := 0
			for b.Loop() {
				blas32.Gemm(ta, tb, 1, ga, gb, 0, gc)
				calls++
			}
			report(b, calls)
		})
	}
}

// TestConv1Chan32MFM checks the direct one-channel convolution and max-feature-map bit for bit
// against Sgemm on the im2col matrix of the same input, then MaxFeatureMap, at the spectrum
// network's first layer's shape (5×5) and others, with the edges' zero padding.
func TestConv1Chan32MFM(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct{ t, f, k int }{{6, 8, 5}, {3, 4, 3}, {1, 2, 1}, {9, 16, 5}, {4, 6, 7}} {
		x := make([]float32, tc.t*tc.f)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		w := make([]float32, tc.k*tc.k*32)
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		p := tc.k / 2
		fp := tc.f + tc.k - 1
		pad := make([]float32, (tc.t+tc.k-1)*fp)
		for i := range tc.t {
			copy(pad[(i+p)*fp+p:], x[i*tc.f:(i+1)*tc.f])
		}
		kk := tc.k * tc.k
		cols := make([]float32, tc.t*tc.f*kk)
		for i := range tc.t {
			for j := range tc.f {
				for a := range tc.k {
					for b := range tc.k {
						cols[(i*tc.f+j)*kk+a*tc.k+b] = pad[(i+a)*fp+j+b]
					}
				}
			}
		}
		want := make([]float32, tc.t*tc.f*32)
		Sgemm(false, false, tc.t*tc.f, 32, kk, 1, cols, kk, w, 32, 0, want, 32)
		b := make([]float32, 32)
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		wantM := make([]float32, tc.t*tc.f*16)
		MaxFeatureMap(wantM, want, b, tc.t*tc.f, 16)
		gotM := make([]float32, len(wantM))
		if !Conv1Chan32MFM(gotM, pad, w, b, tc.t, tc.f, tc.k) {
			if useAVX2 {
				t.Fatalf("%+v: no kernel with AVX2", tc)
			}
			continue
		}
		for i := range gotM {
			if math.Float32bits(gotM[i]) != math.Float32bits(wantM[i]) {
				t.Fatalf("%+v: out[%d] = %g, Sgemm on im2col then MaxFeatureMap %g", tc, i, gotM[i], wantM[i])
			}
		}
	}
	if Conv1Chan32MFM(make([]float32, 16*3), make([]float32, 5*7), make([]float32, 32*25), make([]float32, 32), 1, 3, 5) {
		t.Error("an odd width was taken")
	}
}
