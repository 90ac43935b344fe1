#include "textflag.h"

// HSUM4 leaves in X0 the horizontal sums of the accumulators Y0-Y3 (rows r0-r3): lanes 4-7
// onto 0-3, then pairwise — [r0 a+b, r0 c+d, r1 a+b, r1 c+d], the same for r2, r3, then
// [r0, r1, r2, r3]. Every kernel uses it, so that a row's sum is formed in the same order
// whatever its matrix's storage.
#define HSUM4 \
	VEXTRACTF128 $1, Y0, X5 \
	VADDPS       X5, X0, X0 \
	VEXTRACTF128 $1, Y1, X5 \
	VADDPS       X5, X1, X1 \
	VEXTRACTF128 $1, Y2, X5 \
	VADDPS       X5, X2, X2 \
	VEXTRACTF128 $1, Y3, X5 \
	VADDPS       X5, X3, X3 \
	VHADDPS      X1, X0, X0 \
	VHADDPS      X3, X2, X2 \
	VHADDPS      X2, X0, X0

// SUM4_ADD_TO_Y adds the four row sums (HSUM4) to the four floats at (DI).
#define SUM4_ADD_TO_Y \
	HSUM4                   \
	VMOVUPS (DI), X6        \
	VADDPS  X6, X0, X0      \
	VMOVUPS X0, (DI)

// HSUM1 leaves in X0 the horizontal sum of Y0, in the same order.
#define HSUM1 \
	VEXTRACTF128 $1, Y0, X5 \
	VADDPS       X5, X0, X0 \
	VHADDPS      X0, X0, X0 \
	VHADDPS      X0, X0, X0

// SUM1_ADD_TO_Y adds the horizontal sum of Y0 to the float at (DI).
#define SUM1_ADD_TO_Y \
	HSUM1                  \
	VADDSS (DI), X0, X0    \
	VMOVSS X0, (DI)

// func gemvAddAVX2(y, a, x []float32, cols int)
// y[r] += Σ_k a[r·cols+k]·x[k] for r < len(y); cols a positive multiple of 8.
// Rows go eight at a time (eight independent FMA chains sharing each load of x: an FMA's latency
// is hidden only with at least eight in flight), then four, then one at a time. Every row's sum is
// formed in the same order whichever loop takes it, so the result does not depend on len(y).
TEXT ·gemvAddAVX2(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ x_base+48(FP), DX
	MOVQ cols+72(FP), R8
	SHLQ $2, R8                 // R8 = row length in bytes

rows8:
	CMPQ CX, $8
	JL   rows4
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	LEAQ (SI)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	LEAQ (R14)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), BX
	XORQ AX, AX

loop8:
	VMOVUPS     (DX)(AX*1), Y12
	VFMADD231PS (SI)(AX*1), Y12, Y0
	VFMADD231PS (R11)(AX*1), Y12, Y1
	VFMADD231PS (R12)(AX*1), Y12, Y2
	VFMADD231PS (R13)(AX*1), Y12, Y3
	VFMADD231PS (R14)(AX*1), Y12, Y8
	VFMADD231PS (R9)(AX*1), Y12, Y9
	VFMADD231PS (R10)(AX*1), Y12, Y10
	VFMADD231PS (BX)(AX*1), Y12, Y11
	ADDQ        $32, AX
	CMPQ        AX, R8
	JL          loop8

	SUM4_ADD_TO_Y
	VMOVAPS Y8, Y0
	VMOVAPS Y9, Y1
	VMOVAPS Y10, Y2
	VMOVAPS Y11, Y3
	ADDQ    $16, DI
	SUM4_ADD_TO_Y

	ADDQ $16, DI
	LEAQ (BX)(R8*1), SI
	SUBQ $8, CX
	JMP  rows8

rows4:
	CMPQ CX, $4
	JL   rows1
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	XORQ AX, AX

loop4:
	VMOVUPS     (DX)(AX*1), Y4
	VFMADD231PS (R11)(AX*1), Y4, Y0
	VFMADD231PS (R12)(AX*1), Y4, Y1
	VFMADD231PS (R13)(AX*1), Y4, Y2
	VFMADD231PS (R14)(AX*1), Y4, Y3
	ADDQ        $32, AX
	CMPQ        AX, R8
	JL          loop4

	SUM4_ADD_TO_Y

	ADDQ $16, DI
	LEAQ (R14)(R8*1), SI
	SUBQ $4, CX
	JMP  rows4

rows1:
	TESTQ CX, CX
	JZ    done
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX

loop1:
	VMOVUPS     (DX)(AX*1), Y4
	VFMADD231PS (SI)(AX*1), Y4, Y0
	ADDQ        $32, AX
	CMPQ        AX, R8
	JL          loop1

	SUM1_ADD_TO_Y

	ADDQ $4, DI
	ADDQ R8, SI
	DECQ CX
	JMP  rows1

done:
	VZEROUPPER
	RET

// func gemvAddF16AVX2(y []float32, a []uint16, x []float32, cols int)
// As gemvAddAVX2 with A stored as binary16: each 8-value slice of a row is widened to float32
// (VCVTPH2PS) before its FMA. AX indexes x in bytes (4 per value), BX indexes a row (2 per value).
TEXT ·gemvAddF16AVX2(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ x_base+48(FP), DX
	MOVQ cols+72(FP), R8
	MOVQ R8, R9
	SHLQ $2, R8                 // R8 = x length in bytes
	SHLQ $1, R9                 // R9 = row length in bytes (binary16)

h_rows4:
	CMPQ CX, $4
	JL   h_rows1
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, R11
	LEAQ (R11)(R9*1), R12
	LEAQ (R12)(R9*1), R13
	LEAQ (R13)(R9*1), R14
	XORQ AX, AX
	XORQ BX, BX

h_loop4:
	VMOVUPS     (DX)(AX*1), Y4
	VCVTPH2PS   (R11)(BX*1), Y5
	VFMADD231PS Y5, Y4, Y0
	VCVTPH2PS   (R12)(BX*1), Y6
	VFMADD231PS Y6, Y4, Y1
	VCVTPH2PS   (R13)(BX*1), Y7
	VFMADD231PS Y7, Y4, Y2
	VCVTPH2PS   (R14)(BX*1), Y8
	VFMADD231PS Y8, Y4, Y3
	ADDQ        $32, AX
	ADDQ        $16, BX
	CMPQ        AX, R8
	JL          h_loop4

	SUM4_ADD_TO_Y

	ADDQ $16, DI
	LEAQ (R14)(R9*1), SI
	SUBQ $4, CX
	JMP  h_rows4

h_rows1:
	TESTQ CX, CX
	JZ    h_done
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX
	XORQ   BX, BX

h_loop1:
	VMOVUPS     (DX)(AX*1), Y4
	VCVTPH2PS   (SI)(BX*1), Y5
	VFMADD231PS Y5, Y4, Y0
	ADDQ        $32, AX
	ADDQ        $16, BX
	CMPQ        AX, R8
	JL          h_loop1

	SUM1_ADD_TO_Y

	ADDQ $4, DI
	ADDQ R9, SI
	DECQ CX
	JMP  h_rows1

h_done:
	VZEROUPPER
	RET

// func cpuid1ECX() uint32
TEXT ·cpuid1ECX(SB), NOSPLIT, $0-4
	MOVL $1, AX
	XORL CX, CX
	CPUID
	MOVL CX, ret+0(FP)
	RET

// func axpyF32F64AVX(alpha float64, x []float32, y []float64)
// y[i] += alpha·float64(x[i]) for i < len(x) (len(y) ≥ len(x)), as a separate multiply and add
// in double precision, so every element is rounded exactly as the scalar Go loop rounds it.
TEXT ·axpyF32F64AVX(SB), NOSPLIT, $0-56
	VBROADCASTSD alpha+0(FP), Y0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	XORQ         AX, AX

axpy8:
	CMPQ      CX, $8
	JL        axpy4
	VCVTPS2PD (SI)(AX*4), Y1
	VCVTPS2PD 16(SI)(AX*4), Y2
	VMULPD    Y0, Y1, Y1
	VMULPD    Y0, Y2, Y2
	VADDPD    (DI)(AX*8), Y1, Y1
	VADDPD    32(DI)(AX*8), Y2, Y2
	VMOVUPD   Y1, (DI)(AX*8)
	VMOVUPD   Y2, 32(DI)(AX*8)
	ADDQ      $8, AX
	SUBQ      $8, CX
	JMP       axpy8

axpy4:
	CMPQ      CX, $4
	JL        axpy1
	VCVTPS2PD (SI)(AX*4), Y1
	VMULPD    Y0, Y1, Y1
	VADDPD    (DI)(AX*8), Y1, Y1
	VMOVUPD   Y1, (DI)(AX*8)
	ADDQ      $4, AX
	SUBQ      $4, CX

axpy1:
	TESTQ     CX, CX
	JZ        axpydone
	VCVTSS2SD (SI)(AX*4), X1, X1
	VMULSD    X0, X1, X1
	VADDSD    (DI)(AX*8), X1, X1
	VMOVSD    X1, (DI)(AX*8)
	INCQ      AX
	DECQ      CX
	JMP       axpy1

axpydone:
	VZEROUPPER
	RET

// Constants of sumExpAVX2 (Cephes' expf), eight copies each.
#define CONST8(name, bits) \
	DATA name+0(SB)/4, $bits \
	DATA name+4(SB)/4, $bits \
	DATA name+8(SB)/4, $bits \
	DATA name+12(SB)/4, $bits \
	DATA name+16(SB)/4, $bits \
	DATA name+20(SB)/4, $bits \
	DATA name+24(SB)/4, $bits \
	DATA name+28(SB)/4, $bits \
	GLOBL name(SB), RODATA|NOPTR, $32

CONST8(expLog2e<>, 0x3fb8aa3b)  // 1.44269504
CONST8(expC1<>, 0x3f318000)     // 0.693359375
CONST8(expC2<>, 0xb95e8083)     // -2.12194440e-4
CONST8(expP0<>, 0x39506967)     // 1.9875691500e-4
CONST8(expP1<>, 0x3ab743ce)     // 1.3981999507e-3
CONST8(expP2<>, 0x3c088908)     // 8.3334519073e-3
CONST8(expP3<>, 0x3d2aa9c1)     // 4.1665795894e-2
CONST8(expP4<>, 0x3e2aaaaa)     // 1.6666665459e-1
CONST8(expP5<>, 0x3f000000)     // 5.0000001201e-1
CONST8(expOne<>, 0x3f800000)    // 1
CONST8(expBias<>, 0x0000007f)   // 127 (int32)

// func sumExpAVX2(ll []float32, mx, cut float32) float64
// Σ exp(v − mx) over the v of ll (len a multiple of 8) with v − mx > cut, eight lanes at a time:
// exp by Cephes' expf (range reduction by ln 2, degree-5 polynomial; relative error ~1e-7),
// lane sums in single precision, their total in double.
TEXT ·sumExpAVX2(SB), NOSPLIT, $0-40
	MOVQ         ll_base+0(FP), SI
	MOVQ         ll_len+8(FP), CX
	VBROADCASTSS mx+24(FP), Y0
	VBROADCASTSS cut+28(FP), Y1
	VMOVUPS      expLog2e<>(SB), Y2
	VMOVUPS      expOne<>(SB), Y3
	VMOVUPS      expBias<>(SB), Y4
	VXORPS       Y5, Y5, Y5
	XORQ         AX, AX

sumexp8:
	CMPQ         AX, CX
	JGE          sumexpdone
	VMOVUPS      (SI)(AX*4), Y6
	VSUBPS       Y0, Y6, Y6                // d = v − mx
	VCMPPS       $0x1e, Y1, Y6, Y7         // mask: d > cut (false for NaN)
	VMULPS       Y2, Y6, Y8
	VROUNDPS     $0, Y8, Y8                // k = round(d·log2 e)
	VFNMADD231PS expC1<>(SB), Y8, Y6       // r = d − k·C1 − k·C2
	VFNMADD231PS expC2<>(SB), Y8, Y6
	VMOVUPS      expP0<>(SB), Y9
	VFMADD213PS  expP1<>(SB), Y6, Y9
	VFMADD213PS  expP2<>(SB), Y6, Y9
	VFMADD213PS  expP3<>(SB), Y6, Y9
	VFMADD213PS  expP4<>(SB), Y6, Y9
	VFMADD213PS  expP5<>(SB), Y6, Y9
	VMULPS       Y6, Y6, Y10
	VFMADD213PS  Y6, Y10, Y9               // p·r² + r
	VADDPS       Y3, Y9, Y9                // + 1
	VCVTPS2DQ    Y8, Y8
	VPADDD       Y4, Y8, Y8
	VPSLLD       $23, Y8, Y8               // 2^k
	VMULPS       Y8, Y9, Y9
	VANDPS       Y7, Y9, Y9
	VADDPS       Y9, Y5, Y5
	ADDQ         $8, AX
	JMP          sumexp8

sumexpdone:
	VEXTRACTF128 $1, Y5, X6
	VCVTPS2PD    X5, Y7
	VCVTPS2PD    X6, Y8
	VADDPD       Y8, Y7, Y7
	VEXTRACTF128 $1, Y7, X8
	VADDPD       X8, X7, X7
	VHADDPD      X7, X7, X7
	VMOVSD       X7, ret+32(FP)
	VZEROUPPER
	RET

// Constants of logFloorAVX2 (dsp's fastLog), four float64 copies each.
#define CONST4D(name, bits) \
	DATA name+0(SB)/8, $bits \
	DATA name+8(SB)/8, $bits \
	DATA name+16(SB)/8, $bits \
	DATA name+24(SB)/8, $bits \
	GLOBL name(SB), RODATA|NOPTR, $32

CONST4D(logMant<>, 0x000fffffffffffff)  // mantissa bits
CONST4D(logOne<>, 0x3ff0000000000000)   // 1.0
CONST4D(logHalf<>, 0x3fe0000000000000)  // 0.5
CONST4D(logSqrt2<>, 0x3ff6a09e667f3bcd) // √2
CONST4D(logMagic<>, 0x4330000000000000) // 2^52
CONST4D(logBias<>, 0x408ff80000000000)  // 1023.0
CONST4D(logLn2<>, 0x3fe62e42fefa39ef)   // ln 2
CONST4D(logC3<>, 0x3fd5555555555555)    // 1/3
CONST4D(logC5<>, 0x3fc999999999999a)    // 1/5
CONST4D(logC7<>, 0x3fc2492492492492)    // 1/7
CONST4D(logC9<>, 0x3fbc71c71c71c71c)    // 1/9
CONST4D(logC11<>, 0x3fb745d1745d1746)   // 1/11
CONST4D(logC13<>, 0x3fb3b13b13b13b14)   // 1/13

// LOG4 sets Y1 to ln of Y0's four positive normal doubles but for the last addition (Y1 = e·ln 2,
// Y5 = 2s·p; the caller adds them): x = 2^e·m, m in [√½, √2), ln m = 2·atanh(s), s = (m−1)/(m+1),
// by the odd series to s^13; the exponent becomes a double through 2^52 + e − 2^52. Y14 must hold
// 1.0; it clobbers Y2-Y7. Shared by logFloorAVX2 and powRatioAVX2, so that both are bit-identical
// to vec.Log.
#define LOG4 \
	VPSRLQ $52, Y0, Y1; \
	VPAND logMant<>(SB), Y0, Y2; \
	VPOR Y14, Y2, Y2; \
	VCMPPD $0x1e, logSqrt2<>(SB), Y2, Y3; \
	VMULPD logHalf<>(SB), Y2, Y4; \
	VBLENDVPD Y3, Y4, Y2, Y2; \
	VPOR logMagic<>(SB), Y1, Y1; \
	VSUBPD logMagic<>(SB), Y1, Y1; \
	VSUBPD logBias<>(SB), Y1, Y1; \
	VANDPD Y14, Y3, Y3; \
	VADDPD Y3, Y1, Y1; \
	VSUBPD Y14, Y2, Y5; \
	VADDPD Y14, Y2, Y6; \
	VDIVPD Y6, Y5, Y5; \
	VMULPD Y5, Y5, Y6; \
	VMULPD logC13<>(SB), Y6, Y7; \
	VADDPD logC11<>(SB), Y7, Y7; \
	VMULPD Y6, Y7, Y7; \
	VADDPD logC9<>(SB), Y7, Y7; \
	VMULPD Y6, Y7, Y7; \
	VADDPD logC7<>(SB), Y7, Y7; \
	VMULPD Y6, Y7, Y7; \
	VADDPD logC5<>(SB), Y7, Y7; \
	VMULPD Y6, Y7, Y7; \
	VADDPD logC3<>(SB), Y7, Y7; \
	VMULPD Y6, Y7, Y7; \
	VADDPD Y14, Y7, Y7; \
	VADDPD Y5, Y5, Y5; \
	VMULPD Y7, Y5, Y5; \
	VMULPD logLn2<>(SB), Y1, Y1;

// func logFloorAVX2(dst, src []float64, floor float64)
// dst[i] = ln(max(src[i], floor)) for i < len(src) (a multiple of 4; floor a positive normal
// number), four lanes at a time, by exactly Log's operations in the same order (no FMA), so that
// each lane is bit-identical to Log: x = 2^e·m, m in [√½, √2), ln m = 2·atanh(s),
// s = (m−1)/(m+1), by the odd series to s^13. The exponent becomes a double through 2^52 + e − 2^52.
TEXT ·logFloorAVX2(SB), NOSPLIT, $0-56
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         src_len+32(FP), CX
	VBROADCASTSD floor+48(FP), Y15
	VMOVUPD      logOne<>(SB), Y14
	XORQ         AX, AX

log4:
	CMPQ         AX, CX
	JGE          logdone
	VMOVUPD      (SI)(AX*8), Y0
	VMAXPD       Y15, Y0, Y0               // x = max(x, floor) > 0
	LOG4
	VADDPD       Y5, Y1, Y1
	VMOVUPD      Y1, (DI)(AX*8)
	ADDQ         $4, AX
	JMP          log4

logdone:
	VZEROUPPER
	RET



// func dotF64AVX2(a, b []float64) float64
// Σ a[i]·b[i] over len(a), a positive multiple of 16: four independent 4-lane FMA chains,
// added pairwise, then the two halves and the two lanes.
TEXT ·dotF64AVX2(SB), NOSPLIT, $0-56
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DX
	SHLQ $3, CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   AX, AX

e_loop:
	VMOVUPD     (SI)(AX*1), Y4
	VMOVUPD     32(SI)(AX*1), Y6
	VMOVUPD     64(SI)(AX*1), Y7
	VMOVUPD     96(SI)(AX*1), Y8
	VFMADD231PD (DX)(AX*1), Y4, Y0
	VFMADD231PD 32(DX)(AX*1), Y6, Y1
	VFMADD231PD 64(DX)(AX*1), Y7, Y2
	VFMADD231PD 96(DX)(AX*1), Y8, Y3
	ADDQ        $128, AX
	CMPQ        AX, CX
	JL          e_loop

	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X5
	VADDPD       X5, X0, X0
	VHADDPD      X0, X0, X0
	VMOVSD       X0, ret+48(FP)
	VZEROUPPER
	RET

// func gemvAddI8RunsAVX2(y []float32, a []int8, scale []float32, x []float32, cols int, runs []int32)
// y[r] += scale[r]·Σ_k a[r·cols+k]·x[k] over the columns k in runs: pairs (start, end) of column
// indices, multiples of 8, ascending, ended by a start of -1 (one run [0, cols) for the whole
// product). Rows go four at a time, then one at a time; each 8-value slice of a row is
// sign-extended to int32 (VPMOVSXBD) and converted to float32 (VCVTDQ2PS) before its FMA, the
// row's sum formed as gemvAddAVX2 forms it (HSUM4 / HSUM1), then scaled. Where x is zero outside
// the runs the result is, bit for bit, the whole product's: the same FMA chains, less products
// that add exactly zero. BX indexes the columns (x at 4·BX bytes, a row at BX bytes), AX holds
// the run's end.
TEXT ·gemvAddI8RunsAVX2(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ scale_base+48(FP), R10
	MOVQ x_base+72(FP), DX
	MOVQ cols+96(FP), R9        // R9 = row length in bytes (int8)

r_rows4:
	CMPQ CX, $4
	JL   r_rows1
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, R11
	LEAQ (R11)(R9*1), R12
	LEAQ (R12)(R9*1), R13
	LEAQ (R13)(R9*1), R14
	MOVQ runs_base+104(FP), R8

r_run4:
	MOVLQSX (R8), BX
	TESTQ   BX, BX
	JS      r_sum4
	MOVLQSX 4(R8), AX
	ADDQ    $8, R8

r_loop4:
	VMOVUPS     (DX)(BX*4), Y4
	VPMOVSXBD   (R11)(BX*1), Y5
	VCVTDQ2PS   Y5, Y5
	VFMADD231PS Y5, Y4, Y0
	VPMOVSXBD   (R12)(BX*1), Y6
	VCVTDQ2PS   Y6, Y6
	VFMADD231PS Y6, Y4, Y1
	VPMOVSXBD   (R13)(BX*1), Y7
	VCVTDQ2PS   Y7, Y7
	VFMADD231PS Y7, Y4, Y2
	VPMOVSXBD   (R14)(BX*1), Y8
	VCVTDQ2PS   Y8, Y8
	VFMADD231PS Y8, Y4, Y3
	ADDQ        $8, BX
	CMPQ        BX, AX
	JL          r_loop4
	JMP         r_run4

r_sum4:
	HSUM4
	VMULPS  (R10), X0, X0
	VMOVUPS (DI), X6
	VADDPS  X6, X0, X0
	VMOVUPS X0, (DI)

	ADDQ $16, DI
	ADDQ $16, R10
	LEAQ (R14)(R9*1), SI
	SUBQ $4, CX
	JMP  r_rows4

r_rows1:
	TESTQ CX, CX
	JZ    r_done
	VXORPS Y0, Y0, Y0
	MOVQ   runs_base+104(FP), R8

r_run1:
	MOVLQSX (R8), BX
	TESTQ   BX, BX
	JS      r_sum1
	MOVLQSX 4(R8), AX
	ADDQ    $8, R8

r_loop1:
	VMOVUPS     (DX)(BX*4), Y4
	VPMOVSXBD   (SI)(BX*1), Y5
	VCVTDQ2PS   Y5, Y5
	VFMADD231PS Y5, Y4, Y0
	ADDQ        $8, BX
	CMPQ        BX, AX
	JL          r_loop1
	JMP         r_run1

r_sum1:
	HSUM1
	VMULSS (R10), X0, X0
	VADDSS (DI), X0, X0
	VMOVSS X0, (DI)

	ADDQ $4, DI
	ADDQ $4, R10
	ADDQ R9, SI
	DECQ CX
	JMP  r_rows1

r_done:
	VZEROUPPER
	RET

// func dotRunsAVX2(a, b []float32, runs []int32) float32
// Σ a[i]·b[i] over the 32-value blocks in runs: pairs (start, end) of indices, multiples of 32,
// ascending, ended by a start of -1 (one run [0, len) for the whole sum): four independent
// 8-lane FMA chains (an FMA's latency hidden, two loads per FMA), added pairwise, then HSUM1.
// Where b is zero outside the runs it is, bit for bit, the whole sum: the same chains, less
// products that add exactly zero.
TEXT ·dotRunsAVX2(SB), NOSPLIT, $0-76
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DX
	MOVQ runs_base+48(FP), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dr_run:
	MOVLQSX (R8), AX
	TESTQ   AX, AX
	JS      dr_sum
	MOVLQSX 4(R8), CX
	ADDQ    $8, R8
	SHLQ    $2, AX              // bytes
	SHLQ    $2, CX

dr_loop:
	VMOVUPS     (SI)(AX*1), Y4
	VMOVUPS     32(SI)(AX*1), Y6
	VMOVUPS     64(SI)(AX*1), Y7
	VMOVUPS     96(SI)(AX*1), Y8
	VFMADD231PS (DX)(AX*1), Y4, Y0
	VFMADD231PS 32(DX)(AX*1), Y6, Y1
	VFMADD231PS 64(DX)(AX*1), Y7, Y2
	VFMADD231PS 96(DX)(AX*1), Y8, Y3
	ADDQ        $128, AX
	CMPQ        AX, CX
	JL          dr_loop
	JMP         dr_run

dr_sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM1
	VMOVSS X0, ret+72(FP)
	VZEROUPPER
	RET

// func gemvAdd3AVX2(y0, y1, y2, a, x0, x1, x2 *float32, rows, cols int)
// y_v[r] += Σ_k a[r·cols+k]·x_v[k] for v = 0, 1, 2 and r < rows; rows a positive multiple of 4,
// cols of 8. Four rows of A are loaded once for the three vectors (twelve FMA chains); every
// (row, vector) chain runs over k in the same order as gemvAddAVX2's and is summed by the same
// HSUM4, so each y_v is bit for bit gemvAddAVX2(y_v, a, x_v, cols).
TEXT ·gemvAdd3AVX2(SB), NOSPLIT, $0-72
	MOVQ a+24(FP), SI
	MOVQ x0+32(FP), DX
	MOVQ x1+40(FP), R9
	MOVQ x2+48(FP), R10
	MOVQ rows+56(FP), CX
	MOVQ cols+64(FP), R8
	SHLQ $2, R8                 // R8 = row length in bytes
	XORQ BX, BX                 // BX = byte offset of the block's first row in each y

m3_rows4:
	CMPQ CX, $4
	JL   m3_done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	LEAQ (SI)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	XORQ AX, AX

m3_loop:
	VMOVUPS     (DX)(AX*1), Y4
	VMOVUPS     (R9)(AX*1), Y5
	VMOVUPS     (R10)(AX*1), Y6
	VMOVUPS     (SI)(AX*1), Y15
	VFMADD231PS Y15, Y4, Y0
	VFMADD231PS Y15, Y5, Y7
	VFMADD231PS Y15, Y6, Y11
	VMOVUPS     (R11)(AX*1), Y15
	VFMADD231PS Y15, Y4, Y1
	VFMADD231PS Y15, Y5, Y8
	VFMADD231PS Y15, Y6, Y12
	VMOVUPS     (R12)(AX*1), Y15
	VFMADD231PS Y15, Y4, Y2
	VFMADD231PS Y15, Y5, Y9
	VFMADD231PS Y15, Y6, Y13
	VMOVUPS     (R13)(AX*1), Y15
	VFMADD231PS Y15, Y4, Y3
	VFMADD231PS Y15, Y5, Y10
	VFMADD231PS Y15, Y6, Y14
	ADDQ        $32, AX
	CMPQ        AX, R8
	JL          m3_loop

	MOVQ y0+0(FP), DI
	ADDQ BX, DI
	SUM4_ADD_TO_Y
	VMOVAPS Y7, Y0
	VMOVAPS Y8, Y1
	VMOVAPS Y9, Y2
	VMOVAPS Y10, Y3
	MOVQ    y1+8(FP), DI
	ADDQ    BX, DI
	SUM4_ADD_TO_Y
	VMOVAPS Y11, Y0
	VMOVAPS Y12, Y1
	VMOVAPS Y13, Y2
	VMOVAPS Y14, Y3
	MOVQ    y2+16(FP), DI
	ADDQ    BX, DI
	SUM4_ADD_TO_Y

	ADDQ $16, BX
	LEAQ (R13)(R8*1), SI
	SUBQ $4, CX
	JMP  m3_rows4

m3_done:
	VZEROUPPER
	RET

// func maxAVX2(x []float32) (m float32, nan bool)
// The largest value of x (len a positive multiple of 8) and whether any value is NaN (VMAXPS
// alone would drop a NaN in its first operand). The sign of a zero maximum is unspecified.
TEXT ·maxAVX2(SB), NOSPLIT, $0-29
	MOVQ    x_base+0(FP), SI
	MOVQ    x_len+8(FP), CX
	VMOVUPS (SI), Y0
	VCMPPS  $3, Y0, Y0, Y1      // lanes that are NaN (unordered with themselves)
	MOVQ    $8, AX

max_loop:
	CMPQ    AX, CX
	JGE     max_done
	VMOVUPS (SI)(AX*4), Y2
	VMAXPS  Y2, Y0, Y0
	VCMPPS  $3, Y2, Y2, Y3
	VORPS   Y3, Y1, Y1
	ADDQ    $8, AX
	JMP     max_loop

max_done:
	VEXTRACTF128 $1, Y0, X2
	VMAXPS       X2, X0, X0
	VPERMILPS    $0x4E, X0, X2
	VMAXPS       X2, X0, X0
	VPERMILPS    $0xB1, X0, X2
	VMAXPS       X2, X0, X0
	VMOVSS       X0, m+24(FP)
	VMOVMSKPS    Y1, BX
	TESTL        BX, BX
	SETNE        nan+28(FP)
	VZEROUPPER
	RET

// func indexAboveAVX2(x []float32, t float32) int
// The first index i with x[i] > t (an ordered comparison: false for NaN), or -1; len(x) a
// multiple of 8.
TEXT ·indexAboveAVX2(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS t+24(FP), Y1
	XORQ         AX, AX

above_loop:
	CMPQ      AX, CX
	JGE       above_none
	VMOVUPS   (SI)(AX*4), Y0
	VCMPPS    $0x1E, Y1, Y0, Y2 // x > t, ordered, quiet
	VMOVMSKPS Y2, BX
	TESTL     BX, BX
	JNZ       above_found
	ADDQ      $8, AX
	JMP       above_loop

above_found:
	BSFL BX, BX
	ADDQ BX, AX
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET

above_none:
	MOVQ $-1, ret+32(FP)
	VZEROUPPER
	RET

// func dot4F64AVX2(a *float64, stride int, x *float64, n int, out *[4]float64)
// out[k] = Σ_{i<n} a[k·stride+i]·x[i] for the four rows k = 0..3, n a positive multiple of 4:
// each 4-value chunk of x is loaded once for the four rows. Two chunks per iteration give eight
// independent accumulators (Y0-Y3 the first chunk's rows 0-3, Y4-Y7 the second's); a last odd
// chunk goes to Y0-Y3.
TEXT ·dot4F64AVX2(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DI
	SHLQ $3, BX
	SHLQ $3, CX
	MOVQ CX, R11
	ANDQ $-64, R11
	LEAQ (SI)(BX*1), R9
	LEAQ (SI)(BX*2), R8
	LEAQ (R8)(BX*1), R10
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ   AX, AX
	CMPQ   AX, R11
	JGE    d4_tail

d4_loop:
	VMOVUPD     (DX)(AX*1), Y8
	VMOVUPD     32(DX)(AX*1), Y9
	VFMADD231PD (SI)(AX*1), Y8, Y0
	VFMADD231PD (R9)(AX*1), Y8, Y1
	VFMADD231PD (R8)(AX*1), Y8, Y2
	VFMADD231PD (R10)(AX*1), Y8, Y3
	VFMADD231PD 32(SI)(AX*1), Y9, Y4
	VFMADD231PD 32(R9)(AX*1), Y9, Y5
	VFMADD231PD 32(R8)(AX*1), Y9, Y6
	VFMADD231PD 32(R10)(AX*1), Y9, Y7
	ADDQ        $64, AX
	CMPQ        AX, R11
	JL          d4_loop

d4_tail:
	CMPQ        AX, CX
	JGE         d4_sum
	VMOVUPD     (DX)(AX*1), Y8
	VFMADD231PD (SI)(AX*1), Y8, Y0
	VFMADD231PD (R9)(AX*1), Y8, Y1
	VFMADD231PD (R8)(AX*1), Y8, Y2
	VFMADD231PD (R10)(AX*1), Y8, Y3

d4_sum:
	VADDPD     Y4, Y0, Y0
	VADDPD     Y5, Y1, Y1
	VADDPD     Y6, Y2, Y2
	VADDPD     Y7, Y3, Y3
	VHADDPD    Y1, Y0, Y0
	VHADDPD    Y3, Y2, Y2
	VPERM2F128 $0x21, Y2, Y0, Y4
	VBLENDPD   $0x0C, Y2, Y0, Y5
	VADDPD     Y4, Y5, Y0
	VMOVUPD    Y0, (DI)
	VZEROUPPER
	RET

// Constants of powRatioAVX2's exponential (vec.Exp), four float64 copies each.
CONST4D(pexpLog2e<>, 0x3ff71547652b82fe) // 1/ln 2
CONST4D(pexpLn2Hi<>, 0x3fe62e42fee00000) // ln 2, high part
CONST4D(pexpLn2Lo<>, 0x3dea39ef35793c76) // ln 2, low part
CONST4D(pexpMagic<>, 0x43300000000003ff) // 2^52 + 1023
CONST4D(pexpC13<>, 0x3de6124613a86d09)   // 1/13!
CONST4D(pexpC12<>, 0x3e21eed8eff8d898)   // 1/12!
CONST4D(pexpC11<>, 0x3e5ae64567f544e4)   // 1/11!
CONST4D(pexpC10<>, 0x3e927e4fb7789f5c)   // 1/10!
CONST4D(pexpC9<>, 0x3ec71de3a556c734)    // 1/9!
CONST4D(pexpC8<>, 0x3efa01a01a01a01a)    // 1/8!
CONST4D(pexpC7<>, 0x3f2a01a01a01a01a)    // 1/7!
CONST4D(pexpC6<>, 0x3f56c16c16c16c17)    // 1/6!
CONST4D(pexpC5<>, 0x3f81111111111111)    // 1/5!
CONST4D(pexpC4<>, 0x3fa5555555555555)    // 1/4!
CONST4D(pexpC3<>, 0x3fc5555555555555)    // 1/3!

// func powRatioAVX2(dst, src []float64, d, a float64)
// dst[i] = exp(a·ln(src[i]/d)) for i < len(src) (a multiple of 4), four lanes at a time, by
// exactly Log's and Exp's operations in the same order (no FMA), so that each lane with
// src[i]/d ≥ 2^−1022 is bit-identical to vec.Exp(a·vec.Log(src[i]/d)); other lanes hold
// garbage (PowRatio never lets the kernel see them). The logarithm is LOG4; 2^k is built from the
// bits of k + 2^52 + 1023 shifted into the exponent field.
TEXT ·powRatioAVX2(SB), NOSPLIT, $0-64
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         src_len+32(FP), CX
	VBROADCASTSD d+48(FP), Y15
	VBROADCASTSD a+56(FP), Y13
	VMOVUPD      logOne<>(SB), Y14
	XORQ         AX, AX

pow4:
	CMPQ         AX, CX
	JGE          powdone
	VMOVUPD      (SI)(AX*8), Y0
	VDIVPD       Y15, Y0, Y0               // r = src/d
	LOG4
	VADDPD       Y5, Y1, Y1                // ln r
	VMULPD       Y13, Y1, Y1               // x = a·ln r
	VMULPD       pexpLog2e<>(SB), Y1, Y2
	VROUNDPD     $0, Y2, Y2                // k = round half even (x/ln 2)
	VMULPD       pexpLn2Hi<>(SB), Y2, Y3
	VSUBPD       Y3, Y1, Y1
	VMULPD       pexpLn2Lo<>(SB), Y2, Y3
	VSUBPD       Y3, Y1, Y1                // r = x − k·ln2hi − k·ln2lo
	VMULPD       pexpC13<>(SB), Y1, Y4
	VADDPD       pexpC12<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC11<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC10<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC9<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC8<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC7<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC6<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC5<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC4<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       pexpC3<>(SB), Y4, Y4
	VMULPD       Y1, Y4, Y4
	VADDPD       logHalf<>(SB), Y4, Y4     // + 1/2
	VMULPD       Y1, Y4, Y4
	VADDPD       Y14, Y4, Y4               // + 1
	VMULPD       Y1, Y4, Y4
	VADDPD       Y14, Y4, Y4               // e^r
	VADDPD       pexpMagic<>(SB), Y2, Y2    // k + 2^52 + 1023: k + 1023 in the low bits
	VPSLLQ       $52, Y2, Y2               // 2^k
	VMULPD       Y2, Y4, Y4
	VMOVUPD      Y4, (DI)(AX*8)
	ADDQ         $4, AX
	JMP          pow4

powdone:
	VZEROUPPER
	RET

// func maxFeatureMapAVX2(out, y, b *float32, rows, o int)
// For each of rows rows: out[c] = max(y[c] + b[c], y[o+c] + b[o+c]) for c < o (o a positive
// multiple of 8), y advancing by 2·o and out by o per row. A NaN on either side gives a NaN
// (VMAXPS alone would drop one in its first operand); the sign of a zero maximum is unspecified.
TEXT ·maxFeatureMapAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ o+32(FP), R9
	MOVQ R9, R10
	SHLQ $2, R10             // o in bytes: offset of a row's second half in y
	TESTQ R8, R8
	JLE  mfm_done

mfm_row:
	XORQ AX, AX              // channel index
	LEAQ (DX)(R10*1), R11    // b[o:]

mfm_col:
	VMOVUPS (SI)(AX*4), Y0
	VADDPS  (DX)(AX*4), Y0, Y0          // u = y[c] + b[c]
	LEAQ    (SI)(R10*1), BX
	VMOVUPS (BX)(AX*4), Y1
	VADDPS  (R11)(AX*4), Y1, Y1         // v = y[o+c] + b[o+c]
	VMAXPS  Y1, Y0, Y2                  // v where either is NaN
	VCMPPS  $3, Y0, Y0, Y3              // lanes where u is NaN
	VORPS   Y3, Y2, Y2                  // those become NaN
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, R9
	JLT     mfm_col

	LEAQ (DI)(R10*1), DI     // out += o
	LEAQ (SI)(R10*2), SI     // y += 2·o
	DECQ R8
	JNZ  mfm_row

mfm_done:
	VZEROUPPER
	RET

// func max4AVX2(dst, a, b, c, d *float32, n int)
// dst[i] = max(max(a[i], b[i]), max(c[i], d[i])) for i < n (a positive multiple of 8), NaN if any
// of the four is NaN; the sign of a zero maximum is unspecified.
TEXT ·max4AVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), CX
	MOVQ d+32(FP), DX
	MOVQ n+40(FP), R8
	XORQ AX, AX

m4_loop:
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS (BX)(AX*4), Y1
	VMOVUPS (CX)(AX*4), Y2
	VMOVUPS (DX)(AX*4), Y3
	VCMPPS  $3, Y0, Y1, Y4   // unordered: a or b NaN
	VCMPPS  $3, Y2, Y3, Y5   // unordered: c or d NaN
	VORPS   Y5, Y4, Y4
	VMAXPS  Y1, Y0, Y0
	VMAXPS  Y3, Y2, Y2
	VMAXPS  Y2, Y0, Y0
	VORPS   Y4, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, R8
	JLT     m4_loop
	VZEROUPPER
	RET

// func scaleShiftRowsAVX2(x, scale, shift *float32, rows, c int)
// For each of rows rows of c values (c a positive multiple of 8): x[j] = x[j]·scale[j] +
// shift[j], rounded after the product and after the sum (no FMA), as Go computes it.
TEXT ·scaleShiftRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), DI
	MOVQ scale+8(FP), SI
	MOVQ shift+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ c+32(FP), R9
	MOVQ R9, R10
	SHLQ $2, R10
	TESTQ R8, R8
	JLE  ss_done

ss_row:
	XORQ AX, AX

ss_col:
	VMOVUPS (DI)(AX*4), Y0
	VMULPS  (SI)(AX*4), Y0, Y0
	VADDPS  (DX)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, R9
	JLT     ss_col
	ADDQ    R10, DI
	DECQ    R8
	JNZ     ss_row

ss_done:
	VZEROUPPER
	RET
