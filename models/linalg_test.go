package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// spd returns a random n×n symmetric positive-definite matrix M·Mᵀ + n·I, row-major.
func spd(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	m := make([]float64, n*n)
	for i := range m {
		m[i] = r.NormFloat64()
	}
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for k := 0; k < n; k++ {
				s += m[i*n+k] * m[j*n+k]
			}
			a[i*n+j] = s
		}
		a[i*n+i] += float64(n)
	}
	return a
}

// TestCholesky checks the blocked factorisation against a hand-worked case, against the
// column-by-column one, and L·Lᵀ against the matrix, for sizes around the block width.
func TestCholesky(t *testing.T) {
	// Hand-worked: [[4 2 2] [2 5 3] [2 3 6]] = L·Lᵀ with L = [[2] [1 2] [1 1 2]].
	a := []float64{4, 2, 2, 2, 5, 3, 2, 3, 6}
	if err := cholesky(a, 3); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		i, j int
		want float64
	}{{0, 0, 2}, {1, 0, 1}, {1, 1, 2}, {2, 0, 1}, {2, 1, 1}, {2, 2, 2}} {
		if got := a[c.i*3+c.j]; math.Abs(got-c.want) > 1e-15 {
			t.Errorf("hand-worked L[%d][%d] = %v, want %v", c.i, c.j, got, c.want)
		}
	}
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 31, 64, 100, 150, 201} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a := spd(n, uint64(n))
			l := append([]float64(nil), a...)
			ref := append([]float64(nil), a...)
			if err := cholesky(l, n); err != nil {
				t.Fatal(err)
			}
			if err := choleskyColumns(ref, n); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				for j := 0; j <= i; j++ {
					if d := math.Abs(l[i*n+j] - ref[i*n+j]); d > 1e-12*math.Sqrt(a[i*n+i]) {
						t.Fatalf("L[%d][%d] = %v, column by column %v", i, j, l[i*n+j], ref[i*n+j])
					}
					var s float64 // (L·Lᵀ)[i][j]
					for k := 0; k <= j; k++ {
						s += l[i*n+k] * l[j*n+k]
					}
					if d := math.Abs(s - a[i*n+j]); d > 1e-10*a[i*n+i] {
						t.Fatalf("(L·Lᵀ)[%d][%d] = %v, want %v", i, j, s, a[i*n+j])
					}
				}
				for j := i + 1; j < n; j++ {
					if l[i*n+j] != a[i*n+j] {
						t.Fatalf("upper triangle [%d][%d] changed", i, j)
					}
				}
			}
		})
	}
	// Not positive definite: an indefinite matrix in every block position.
	for _, n := range []int{3, 6, 9} {
		a := spd(n, 1)
		a[(n-1)*n+n-1] = -1
		if err := cholesky(a, n); err != errNotPD {
			t.Errorf("n=%d indefinite: err %v, want errNotPD", n, err)
		}
	}
}

// BenchmarkCholesky times the factorisation of an i-vector-sized posterior precision, blocked and
// column by column.
func BenchmarkCholesky(b *testing.B) {
	for _, n := range []int{100, 150, 200} {
		a := spd(n, 1)
		w := make([]float64, n*n)
		for _, v := range []struct {
			name string
			f    func([]float64, int) error
		}{{"blocked", cholesky}, {"columns", choleskyColumns}} {
			b.Run(fmt.Sprintf("%s/%d", v.name, n), func(b *testing.B) {
				for range b.N {
					copy(w, a)
					if err := v.f(w, n); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
