package vec

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices: op(A) is
// m×k (A itself, lda ≥ k, when transA is false; Aᵀ of a k×m matrix with lda ≥ m when true),
// op(B) is k×n likewise (ldb), C is m×n with ldc ≥ n. beta == 0 ignores C's previous
// contents (NaNs included).
//
// On amd64 processors with AVX2 and FMA the product runs a 6×16 register-blocked assembly
// kernel over blocks of k of at most 256 (gemm_amd64.s); elsewhere a pure-Go kernel with the
// same blocking. Large products are split by rows or columns of C across GOMAXPROCS
// goroutines, never along k: every element of C is summed in the same order whatever the
// split, so the result does not depend on GOMAXPROCS or scheduling. As in BLAS, alpha == 0 or
// k == 0 reads neither A nor B.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kern := sgemmKernelGo
	if useAVX2 {
		kern = sgemmKernelAVX2
	}
	sgemm(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Blocking of the product (see sgemmJob.work). Only gemmKC affects the arithmetic (each
// element of C is a sum over k in blocks of gemmKC, each block summed from zero by one FMA
// chain and then added into C); the others only move work between caches and goroutines.
const (
	gemmMR = 6    // rows of a micro-tile of C (the kernel's register block)
	gemmNR = 16   // columns of a micro-tile of C (two 8-float AVX registers)
	gemmKC = 256  // depth of a block of k: a 6×256 panel of A and a 256×16 one of B fit L1
	gemmNC = 4080 // columns of C per packed block of op(B) (a multiple of gemmNR)

	// gemmMCFloats bounds the part of op(A) (rows × depth) worked on against one packed block
	// of op(B), so that it stays in the L2 cache while the kernel sweeps B's column panels.
	gemmMCFloats = 48 << 10

	// gemmInPlaceBRows is the most rows of C in a slab (a goroutine's share of a split
	// product, or the whole product) for which B, not transposed, is read in place rather than
	// packed.
	gemmInPlaceBRows = 192

	// gemmParallelFlops is the m·n·k above which a product is split across goroutines, in
	// gemmSlabsPerProc slabs per goroutine at most.
	gemmParallelFlops = 1 << 20
	gemmSlabsPerProc  = 4
)

// sgemmKernel computes the mr×nr corner of a 6×16 tile of C (mr ≤ 6, nr ≤ 16):
//
//	acc[r][j] = Σ_{p<k} a[r·rs + p·cs] · b[p·csB + j]  (one FMA chain per element, p ascending)
//	c[r·ldc + j] = beta·c[r·ldc + j] + alpha·acc[r][j] (alpha·acc rounded, then one FMA),
//
// or alpha·acc[r][j] alone when beta is zero, without reading c. b is a packed panel of
// op(B) (csB 16), zero beyond its nr valid columns, or B read in place (csB ldb, nr 16). a is
// op(A) addressed by a row stride rs and a depth stride cs: A in place (rs lda, cs 1; for Aᵀ
// rs 1, cs lda) or a packed panel (rs 1, cs 6). The assembly kernel reads all 6 rows of a
// (dropping the sums of rows r ≥ mr), so the driver packs a last panel of fewer rows when
// reading 6 in place would run past the end of A.
type sgemmKernel func(k int, a []float32, rs, cs int, b []float32, csB int, c []float32, ldc int, alpha, beta float32, mr, nr int)

// sgemm is Sgemm with the micro-kernel given, so that tests can run the Go kernel on amd64.
func sgemm(kern sgemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("vec: Sgemm: negative dimension")
	}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	if lda < max(1, colsA) || ldb < max(1, colsB) || ldc < max(1, n) {
		panic("vec: Sgemm: bad leading dimension")
	}
	if m == 0 || n == 0 {
		return
	}
	if len(c) < (m-1)*ldc+n {
		panic("vec: Sgemm: short C")
	}
	if k == 0 || alpha == 0 {
		scaleRows(c, m, n, ldc, beta)
		return
	}
	if len(a) < (rowsA-1)*lda+colsA {
		panic("vec: Sgemm: short A")
	}
	if len(b) < (rowsB-1)*ldb+colsB {
		panic("vec: Sgemm: short B")
	}

	j := jobPool.Get().(*sgemmJob)
	*j = sgemmJob{kern: kern, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	defer func() {
		*j = sgemmJob{} // drop the references to the caller's matrices
		jobPool.Put(j)
	}()

	tm, tn := (m+gemmMR-1)/gemmMR, (n+gemmNR-1)/gemmNR
	procs := runtime.GOMAXPROCS(0)
	if procs < 2 || float64(m)*float64(n)*float64(k) < gemmParallelFlops {
		j.work(0, m, 0, n)
		return
	}
	// Split C into slabs of whole tiles, by rows or by columns, whichever gives each goroutine
	// the least to do per step of k: its share of the tiles (6 cycles each on a core's two FMA
	// units) plus, for each of its slabs, the other operand in full: every slab of rows packs
	// (or reads) all of op(B), at about 4 cycles a float for Bᵀ (a gather) and 1 otherwise;
	// every slab of columns reads all of op(A) in place, at about half a cycle a float.
	cost := func(tiles, other, otherFloats int, perFloat float64) (float64, int) {
		p := min(procs, tiles)
		slabs := float64(min(tiles, p*gemmSlabsPerProc)) / float64(p)
		return float64(tiles)/float64(p)*float64(other)*6 + slabs*float64(otherFloats)*perFloat, p
	}
	packB := 1.0
	if transB {
		packB = 4
	}
	costRows, pRows := cost(tm, tn, tn*gemmNR, packB)
	costCols, pCols := cost(tn, tm, tm*gemmMR, 0.5)
	if costRows <= costCols {
		j.parallel(true, pRows, tm)
	} else {
		j.parallel(false, pCols, tn)
	}
}

// scaleRows sets C (m×n, ldc) to beta·C, or to zero when beta is zero.
func scaleRows(c []float32, m, n, ldc int, beta float32) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// sgemmJob is one Sgemm call: its arguments, shared read-only by the goroutines working on it.
type sgemmJob struct {
	kern           sgemmKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	// The split of a product across goroutines (parallel).
	byRows       bool
	tiles, slabs int
	next         atomic.Int64 // the next slab to compute
	wg           sync.WaitGroup
}

var jobPool = sync.Pool{New: func() any { return new(sgemmJob) }}

// parallel computes C with procs goroutines, the calling one included, in slabs of whole
// tiles of rows if byRows, else of columns (tiles of them in all). There are a few slabs per
// goroutine, each taken by the next goroutine free, so that one started late or descheduled
// (the machine busy with other work) holds up the others by a slab at most.
func (j *sgemmJob) parallel(byRows bool, procs, tiles int) {
	j.byRows, j.tiles = byRows, tiles
	j.slabs = min(tiles, procs*gemmSlabsPerProc)
	j.next.Store(0)
	j.wg.Add(procs - 1)
	for range procs - 1 {
		go j.worker(true)
	}
	j.worker(false)
	j.wg.Wait()
}

// worker computes slabs until none is left, then signals j.wg if done is set.
func (j *sgemmJob) worker(done bool) {
	if done {
		defer j.wg.Done()
	}
	for {
		s := int(j.next.Add(1)) - 1
		if s >= j.slabs {
			return
		}
		lo, hi := j.tiles*s/j.slabs, j.tiles*(s+1)/j.slabs
		if j.byRows {
			j.work(lo*gemmMR, min(hi*gemmMR, j.m), 0, j.n)
		} else {
			j.work(0, j.m, lo*gemmNR, min(hi*gemmNR, j.n))
		}
	}
}

// gemmBuf holds one goroutine's packed operands.
type gemmBuf struct {
	b []float32 // a block of op(B): gemmKC × gemmNC at most, in panels of gemmNR columns
	a []float32 // the last, incomplete panel of gemmMR rows of a block of op(A)
}

var bufPool = sync.Pool{New: func() any { return new(gemmBuf) }}

// growF32 returns s resliced to n elements, reallocated if its capacity is short.
func growF32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n, n+n/4)
	}
	return s[:n]
}

// work computes rows [m0, m1) × columns [n0, n1) of C, m0 a multiple of gemmMR and n0 of
// gemmNR. Its loops are those of BLIS (Van Zee & van de Geijn, 2015): blocks of gemmNC columns;
// in each, blocks of gemmKC of the depth, whose slice of op(B) is packed into 16-column panels;
// then blocks of rows of op(A); within which the kernel sweeps the panels of B, and for each of
// them the 6-row panels of A, so that a panel of B stays in L1 and the block of A in L2.
//
// Unlike BLIS, A is not packed: the kernel reads it in place, by rows (6 streams) or, for Aᵀ,
// 6 contiguous floats a step, and only a last panel of fewer than 6 rows is copied out (padded
// with zeros) when reading 6 rows would run past the end of a. B is read in place too when it
// is not transposed and serves few panels of A (the weight gradient's small m and huge k,
// where packing would cost as much as the product): packing pays only when a panel is reused
// many times, and it keeps a row stride of a large power of two from thrashing the caches.
func (j *sgemmJob) work(m0, m1, n0, n1 int) {
	if m0 >= m1 || n0 >= n1 {
		return
	}
	buf := bufPool.Get().(*gemmBuf)
	defer bufPool.Put(buf)
	inPlaceB := !j.transB && m1-m0 <= gemmInPlaceBRows
	rs, cs := j.lda, 1 // op(A)[i][p] = a[i·rs + p·cs]
	if j.transA {
		rs, cs = 1, j.lda
	}
	for jc := n0; jc < n1; jc += gemmNC {
		nc := min(gemmNC, n1-jc)
		for pc := 0; pc < j.k; pc += gemmKC {
			kc := min(gemmKC, j.k-pc)
			buf.b = growF32(buf.b, kc*roundUp(nc, gemmNR))
			if inPlaceB {
				j.packB(buf.b, pc, kc, jc, nc, nc/gemmNR*gemmNR) // the last, narrow panel only
			} else {
				j.packB(buf.b, pc, kc, jc, nc, 0)
			}
			beta := j.beta
			if pc > 0 {
				beta = 1 // the later blocks of k add to the earlier ones
			}
			mcMax := max(gemmMR, gemmMCFloats/kc/gemmMR*gemmMR)
			for ic := m0; ic < m1; ic += mcMax {
				mc := min(mcMax, m1-ic)
				// The last panel is packed if it is short and a full one would read past a.
				last := (mc - 1) / gemmMR * gemmMR
				packLast := mc-last < gemmMR &&
					(ic+last+gemmMR-1)*rs+(pc+kc-1)*cs >= len(j.a)
				if packLast {
					buf.a = growF32(buf.a, gemmMR*kc)
					j.packPanelA(buf.a, ic+last, mc-last, pc, kc)
				}
				for jr := 0; jr < nc; jr += gemmNR {
					nr := min(gemmNR, nc-jr)
					bp, csB := buf.b[jr*kc:(jr+gemmNR)*kc], gemmNR
					if inPlaceB && nr == gemmNR {
						bp, csB = j.b[pc*j.ldb+jc+jr:], j.ldb
					}
					for ir := 0; ir < mc; ir += gemmMR {
						ap, rsP, csP := j.a[(ic+ir)*rs+pc*cs:], rs, cs
						if packLast && ir == last {
							ap, rsP, csP = buf.a[:gemmMR*kc], 1, gemmMR
						}
						j.kern(kc, ap, rsP, csP, bp, csB, j.c[(ic+ir)*j.ldc+jc+jr:], j.ldc,
							j.alpha, beta, min(gemmMR, mc-ir), nr)
					}
				}
			}
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into dst as panels of gemmNR columns, each kc rows of
// gemmNR contiguous floats, the columns past nc zero; the panels before column jr0 are
// skipped.
func (j *sgemmJob) packB(dst []float32, pc, kc, jc, nc, jr0 int) {
	b, ldb := j.b, j.ldb
	for jr := jr0; jr < nc; jr += gemmNR {
		nr := min(gemmNR, nc-jr)
		d := dst[jr*kc : (jr+gemmNR)*kc]
		switch {
		case !j.transB && nr == gemmNR:
			for p := range kc {
				o := (pc+p)*ldb + jc + jr
				*(*[gemmNR]float32)(d[p*gemmNR:]) = *(*[gemmNR]float32)(b[o : o+gemmNR])
			}
		case !j.transB:
			for p := range kc {
				o := (pc+p)*ldb + jc + jr
				row := d[p*gemmNR : (p+1)*gemmNR]
				copy(row, b[o:o+nr])
				clear(row[nr:])
			}
		default: // op(B)[p][jj] = B[jj][p]: row jj of B is column jj of the panel
			if nr < gemmNR {
				clear(d)
			}
			for c := range nr {
				o := (jc+jr+c)*ldb + pc
				src := b[o : o+kc]
				for p, v := range src {
					d[p*gemmNR+c] = v
				}
			}
		}
	}
}

// packPanelA copies rows [i, i+mr) of op(A)[:, pc:pc+kc], mr < gemmMR, into dst as kc steps
// of gemmMR contiguous floats, the rows past mr zero.
func (j *sgemmJob) packPanelA(dst []float32, i, mr, pc, kc int) {
	a, lda := j.a, j.lda
	clear(dst)
	if j.transA { // op(A)[i][p] = A[p][i]: mr contiguous floats a step
		for p := range kc {
			o := (pc+p)*lda + i
			copy(dst[p*gemmMR:p*gemmMR+mr], a[o:o+mr])
		}
		return
	}
	for r := range mr {
		o := (i+r)*lda + pc
		for p, v := range a[o : o+kc] {
			dst[p*gemmMR+r] = v
		}
	}
}

// sgemmKernelGo is the portable sgemmKernel, for processors without AVX2 and FMA.
func sgemmKernelGo(k int, a []float32, rs, cs int, b []float32, csB int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
	var acc [gemmMR][gemmNR]float32
	for p := range k {
		bp := b[p*csB : p*csB+nr]
		for r := range mr {
			av := a[r*rs+p*cs]
			row := &acc[r]
			for jj := range nr {
				row[jj] += av * bp[jj]
			}
		}
	}
	for r := range mr {
		row := c[r*ldc : r*ldc+nr]
		for jj := range row {
			t := float32(alpha * acc[r][jj])
			if beta != 0 {
				t += beta * row[jj]
			}
			row[jj] = t
		}
	}
}

// Conv1Chan32MFM is a k×k convolution (k odd, "same" size) of one input channel into 32 sums per
// position, followed by their max-feature-map, without an im2col matrix or the sums stored: out
// (t·f·16, position-major) gets the bits of Sgemm(false, false, t·f, 32, k², 1, cols, k², w, 32,
// 0, y, 32) on the im2col matrix cols of the input, then MaxFeatureMap(out, y, b, t·f, 16). pad
// ((t+k−1)·(f+k−1) values) is the input surrounded by (k−1)/2 zeros, w the k²×32 weight matrix,
// b the 32 biases. It reports false, doing nothing, where it has no kernel (without AVX2, or f
// odd): the caller then takes that path.
func Conv1Chan32MFM(out, pad, w, b []float32, t, f, k int) bool {
	if !useAVX2 || t <= 0 || f <= 0 || f%2 != 0 || k <= 0 || k%2 == 0 {
		return false
	}
	_ = out[t*f*16-1]
	_ = pad[(t+k-1)*(f+k-1)-1]
	_ = w[k*k*32-1]
	_ = b[31]
	conv1Chan32MFMAVX2(&out[0], &pad[0], &w[0], &b[0], t, f, k)
	return true
}
