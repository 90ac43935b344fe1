#include "textflag.h"

// gemmMask<> is 16 all-ones then 16 zero int32: the 8 lanes from gemmMask<>+4·(16−nr) are the
// VMASKMOVPS mask of columns 0-7 of a tile nr columns wide, those from +4·(24−nr) of 8-15.
DATA gemmMask<>+0(SB)/8, $-1
DATA gemmMask<>+8(SB)/8, $-1
DATA gemmMask<>+16(SB)/8, $-1
DATA gemmMask<>+24(SB)/8, $-1
DATA gemmMask<>+32(SB)/8, $-1
DATA gemmMask<>+40(SB)/8, $-1
DATA gemmMask<>+48(SB)/8, $-1
DATA gemmMask<>+56(SB)/8, $-1
DATA gemmMask<>+64(SB)/8, $0
DATA gemmMask<>+72(SB)/8, $0
DATA gemmMask<>+80(SB)/8, $0
DATA gemmMask<>+88(SB)/8, $0
DATA gemmMask<>+96(SB)/8, $0
DATA gemmMask<>+104(SB)/8, $0
DATA gemmMask<>+112(SB)/8, $0
DATA gemmMask<>+120(SB)/8, $0
GLOBL gemmMask<>(SB), RODATA|NOPTR, $128

// GEMM_STEP is one step p of k: the 16 floats of row p of the B panel, at (BX), into Y12
// (columns 0-7) and Y13 (8-15); then, for each of the six rows r of A, its value a[r·rs]
// broadcast into Y14 or Y15 (alternately, so that the loads run ahead of the FMAs) and
// multiplied into the row's accumulators Y(2r) and Y(2r+1). The A addresses are AX + r·rs:
// (AX), (AX)(SI*1), (AX)(SI*2), (AX)(DI*1) with DI = 3·rs, (AX)(SI*4) and (AX)(R8*1) with
// R8 = 5·rs. AX then moves on by cs (R9), BX by csB (R12).
#define GEMM_STEP \
	VMOVUPS      (BX), Y12            \
	VMOVUPS      32(BX), Y13          \
	VBROADCASTSS (AX), Y14            \
	VFMADD231PS  Y12, Y14, Y0         \
	VFMADD231PS  Y13, Y14, Y1         \
	VBROADCASTSS (AX)(SI*1), Y15      \
	VFMADD231PS  Y12, Y15, Y2         \
	VFMADD231PS  Y13, Y15, Y3         \
	VBROADCASTSS (AX)(SI*2), Y14      \
	VFMADD231PS  Y12, Y14, Y4         \
	VFMADD231PS  Y13, Y14, Y5         \
	VBROADCASTSS (AX)(DI*1), Y15      \
	VFMADD231PS  Y12, Y15, Y6         \
	VFMADD231PS  Y13, Y15, Y7         \
	VBROADCASTSS (AX)(SI*4), Y14      \
	VFMADD231PS  Y12, Y14, Y8         \
	VFMADD231PS  Y13, Y14, Y9         \
	VBROADCASTSS (AX)(R8*1), Y15      \
	VFMADD231PS  Y12, Y15, Y10        \
	VFMADD231PS  Y13, Y15, Y11        \
	ADDQ         R9, AX               \
	ADDQ         R12, BX

// The row stores of the update, for the row's accumulators lo (columns 0-7) and hi (8-15),
// already multiplied by alpha, and the row of C at CX: each moves CX on by ldc (R10) and
// jumps to g_done once the mr (R11) rows are written.
//
// ROW_BETA: C = beta·C + lo/hi, rounded once (an FMA from memory), beta in Y15.
#define ROW_BETA(lo, hi) \
	VFMADD231PS (CX), Y15, lo   \
	VFMADD231PS 32(CX), Y15, hi \
	VMOVUPS     lo, (CX)        \
	VMOVUPS     hi, 32(CX)      \
	ADDQ        R10, CX         \
	DECQ        R11             \
	JZ          g_done

// ROW_ZERO: C = lo/hi (beta zero: C not read).
#define ROW_ZERO(lo, hi) \
	VMOVUPS lo, (CX)   \
	VMOVUPS hi, 32(CX) \
	ADDQ    R10, CX    \
	DECQ    R11        \
	JZ      g_done

// ROW_BETA_MASK and ROW_ZERO_MASK are ROW_BETA and ROW_ZERO for a tile narrower than 16
// columns: VMASKMOVPS loads and stores only the columns whose mask lane (Y12 for 0-7, Y13 for
// 8-15) is set, faulting on none of the others; Y14 holds the masked load of C.
#define ROW_BETA_MASK(lo, hi) \
	VMASKMOVPS  (CX), Y12, Y14   \
	VFMADD231PS Y14, Y15, lo     \
	VMASKMOVPS  32(CX), Y13, Y14 \
	VFMADD231PS Y14, Y15, hi     \
	VMASKMOVPS  lo, Y12, (CX)    \
	VMASKMOVPS  hi, Y13, 32(CX)  \
	ADDQ        R10, CX          \
	DECQ        R11              \
	JZ          g_done

#define ROW_ZERO_MASK(lo, hi) \
	VMASKMOVPS lo, Y12, (CX)   \
	VMASKMOVPS hi, Y13, 32(CX) \
	ADDQ       R10, CX         \
	DECQ       R11             \
	JZ         g_done

// func sgemmKernelAVX2(k int, a []float32, rs, cs int, b []float32, csB int, c []float32, ldc int, alpha, beta float32, mr, nr int)
// The 6×16 micro-kernel of Sgemm (see sgemmKernel in gemm.go): for p < k,
// acc[r][0:16] += a[r·rs + p·cs] · b[p·csB : p·csB+16], then c[r·ldc + j] = beta·c[r·ldc + j] +
// alpha·acc[r][j] for r < mr, j < nr (C not read when beta is ±0).
//
// Registers: AX the A element of row 0 at step p, SI/DI/R8 = 1/3/5 row strides and R9 the
// step stride (bytes); BX row p of the B panel (16 contiguous floats), R12 the B step stride
// (64 bytes for a packed panel, 4·ldb for B read in place); DX the steps left; Y0-Y11 the
// accumulators, row r in Y(2r) (columns 0-7) and Y(2r+1) (8-15); Y12-Y13 the B row; Y14-Y15
// the broadcast A values. In the update: CX the row of C, R10 ldc in bytes, R11 the rows left
// to write, Y14/Y15 alpha/beta, Y12/Y13 the column masks. All six rows of A are read whatever
// mr; the sums of rows r ≥ mr are dropped.
//
// Each accumulator is one FMA chain over p in ascending order, the same for every tile
// whatever its position, mr or nr: an element of C does not depend on how C is cut into tiles.
TEXT ·sgemmKernelAVX2(SB), NOSPLIT, $0-136
	MOVQ k+0(FP), DX
	MOVQ a_base+8(FP), AX
	MOVQ rs+32(FP), SI
	MOVQ cs+40(FP), R9
	MOVQ b_base+48(FP), BX
	MOVQ csB+72(FP), R12
	MOVQ c_base+80(FP), CX
	MOVQ ldc+104(FP), R10
	SHLQ $2, SI                  // SI = rs in bytes
	SHLQ $2, R9                  // R9 = cs in bytes
	SHLQ $2, R10                 // R10 = ldc in bytes
	SHLQ $2, R12                 // R12 = csB in bytes
	LEAQ (SI)(SI*2), DI          // DI = 3·rs
	LEAQ (SI)(SI*4), R8          // R8 = 5·rs

	// Prefetch the tile of C (each 64-byte row may straddle two lines) while the sums run.
	MOVQ       CX, R11
	PREFETCHT0 (R11)
	PREFETCHT0 60(R11)
	ADDQ       R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 60(R11)
	ADDQ       R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 60(R11)
	ADDQ       R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 60(R11)
	ADDQ       R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 60(R11)
	ADDQ       R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 60(R11)

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

g_loop4:                         // four steps of k at a time
	CMPQ      DX, $4
	JL        g_loop1
	GEMM_STEP
	GEMM_STEP
	GEMM_STEP
	GEMM_STEP
	SUBQ      $4, DX
	JMP       g_loop4

g_loop1:                         // the last k mod 4 steps
	TESTQ     DX, DX
	JZ        g_update
	GEMM_STEP
	DECQ      DX
	JMP       g_loop1

g_update:
	// acc ·= alpha, skipped when alpha is 1 (which changes no bit).
	MOVL alpha+112(FP), R11
	CMPL R11, $0x3f800000
	JEQ  g_scaled
	VBROADCASTSS alpha+112(FP), Y14
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	VMULPS Y14, Y8, Y8
	VMULPS Y14, Y9, Y9
	VMULPS Y14, Y10, Y10
	VMULPS Y14, Y11, Y11

g_scaled:
	MOVQ         c_base+80(FP), CX
	MOVQ         mr+120(FP), R11
	MOVQ         nr+128(FP), R12
	VBROADCASTSS beta+116(FP), Y15
	MOVL         beta+116(FP), R13
	SHLL         $1, R13             // R13 = beta's bits without the sign: zero iff beta is ±0
	CMPQ         R12, $16
	JNE          g_masked
	TESTL        R13, R13
	JZ           g_full_zero

	ROW_BETA(Y0, Y1)
	ROW_BETA(Y2, Y3)
	ROW_BETA(Y4, Y5)
	ROW_BETA(Y6, Y7)
	ROW_BETA(Y8, Y9)
	ROW_BETA(Y10, Y11)
	JMP g_done

g_full_zero:
	ROW_ZERO(Y0, Y1)
	ROW_ZERO(Y2, Y3)
	ROW_ZERO(Y4, Y5)
	ROW_ZERO(Y6, Y7)
	ROW_ZERO(Y8, Y9)
	ROW_ZERO(Y10, Y11)
	JMP g_done

g_masked:
	LEAQ    gemmMask<>+64(SB), R14
	SHLQ    $2, R12
	SUBQ    R12, R14                 // R14 = gemmMask<> + 4·(16−nr)
	VMOVUPS (R14), Y12
	VMOVUPS 32(R14), Y13
	TESTL   R13, R13
	JZ      g_masked_zero

	ROW_BETA_MASK(Y0, Y1)
	ROW_BETA_MASK(Y2, Y3)
	ROW_BETA_MASK(Y4, Y5)
	ROW_BETA_MASK(Y6, Y7)
	ROW_BETA_MASK(Y8, Y9)
	ROW_BETA_MASK(Y10, Y11)
	JMP g_done

g_masked_zero:
	ROW_ZERO_MASK(Y0, Y1)
	ROW_ZERO_MASK(Y2, Y3)
	ROW_ZERO_MASK(Y4, Y5)
	ROW_ZERO_MASK(Y6, Y7)
	ROW_ZERO_MASK(Y8, Y9)
	ROW_ZERO_MASK(Y10, Y11)

g_done:
	VZEROUPPER
	RET

// func conv1Chan32MFMAVX2(out, pad, w, b *float32, t, f, k int)
// A k×k convolution of one input channel into 32 sums, then their max-feature-map: for each of
// the t×f positions (f even), y[o] = Σ over taps (a, b) in row-major order of
// pad[(i+a)·(f+k−1) + j+b] · w[(a·k + b)·32 + o], pad being the input with (k−1)/2 zeros around
// it, and out[(i·f + j)·16 + c] = max(y[c] + b[c], y[16+c] + b[16+c]), NaN if either side is. Each
// sum is one FMA chain from zero over the taps in that order, as sgemmKernelAVX2 sums the same
// products from an im2col matrix, and the rest is maxFeatureMapAVX2's arithmetic: the bits of
// the two in turn, without an im2col matrix or the sums stored. Two positions at a time (eight
// accumulators, Y0-Y3 and Y4-Y7), the tap's weights in Y8-Y11, the two inputs in Y12-Y13.
TEXT ·conv1Chan32MFMAVX2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ pad+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ t+32(FP), R8
	MOVQ f+40(FP), R9
	MOVQ k+48(FP), R10
	LEAQ -1(R9)(R10*1), R11
	SHLQ $2, R11
	XORQ R12, R12

c1m_row:
	XORQ R13, R13

c1m_col:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   R12, AX
	IMULQ  R11, AX
	ADDQ   SI, AX
	LEAQ   (AX)(R13*4), AX
	MOVQ   DX, BX
	MOVQ   R10, R14

c1m_a:
	XORQ CX, CX

c1m_b:
	VMOVUPS      (BX), Y8
	VMOVUPS      32(BX), Y9
	VMOVUPS      64(BX), Y10
	VMOVUPS      96(BX), Y11
	VBROADCASTSS (AX)(CX*4), Y12
	VBROADCASTSS 4(AX)(CX*4), Y13
	VFMADD231PS  Y8, Y12, Y0
	VFMADD231PS  Y9, Y12, Y1
	VFMADD231PS  Y10, Y12, Y2
	VFMADD231PS  Y11, Y12, Y3
	VFMADD231PS  Y8, Y13, Y4
	VFMADD231PS  Y9, Y13, Y5
	VFMADD231PS  Y10, Y13, Y6
	VFMADD231PS  Y11, Y13, Y7
	ADDQ         $128, BX
	INCQ         CX
	CMPQ         CX, R10
	JLT          c1m_b
	ADDQ         R11, AX
	DECQ         R14
	JNZ          c1m_a

	// Biases, then the max-feature-map of each position's two halves (R14, the tap rows'
	// count, is free again).
	MOVQ    b+24(FP), R14
	VMOVUPS (R14), Y8
	VMOVUPS 32(R14), Y9
	VMOVUPS 64(R14), Y10
	VMOVUPS 96(R14), Y11
	VADDPS  Y8, Y0, Y0
	VADDPS  Y9, Y1, Y1
	VADDPS  Y10, Y2, Y2
	VADDPS  Y11, Y3, Y3
	VADDPS  Y8, Y4, Y4
	VADDPS  Y9, Y5, Y5
	VADDPS  Y10, Y6, Y6
	VADDPS  Y11, Y7, Y7
	VMAXPS  Y2, Y0, Y12
	VCMPPS  $3, Y0, Y0, Y13
	VORPS   Y13, Y12, Y12
	VMOVUPS Y12, (DI)
	VMAXPS  Y3, Y1, Y12
	VCMPPS  $3, Y1, Y1, Y13
	VORPS   Y13, Y12, Y12
	VMOVUPS Y12, 32(DI)
	VMAXPS  Y6, Y4, Y12
	VCMPPS  $3, Y4, Y4, Y13
	VORPS   Y13, Y12, Y12
	VMOVUPS Y12, 64(DI)
	VMAXPS  Y7, Y5, Y12
	VCMPPS  $3, Y5, Y5, Y13
	VORPS   Y13, Y12, Y12
	VMOVUPS Y12, 96(DI)
	ADDQ    $128, DI
	ADDQ    $2, R13
	CMPQ    R13, R9
	JLT     c1m_col
	INCQ    R12
	CMPQ    R12, R8
	JLT     c1m_row
	VZEROUPPER
	RET
