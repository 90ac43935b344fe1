#include "textflag.h"

// SUM4_ADD_TO_Y adds the horizontal sums of the accumulators Y0-Y3 (rows r0-r3) to the four
// floats at (DI): lanes 4-7 onto 0-3, then pairwise — [r0 a+b, r0 c+d, r1 a+b, r1 c+d], the
// same for r2, r3, then [r0, r1, r2, r3]. Both kernels share it, so that a row's sum is formed
// in the same order whatever its matrix's storage.
#define SUM4_ADD_TO_Y \
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
	VHADDPS      X2, X0, X0 \
	VMOVUPS      (DI), X6 \
	VADDPS       X6, X0, X0 \
	VMOVUPS      X0, (DI)

// SUM1_ADD_TO_Y adds the horizontal sum of Y0 to the float at (DI), in the same order.
#define SUM1_ADD_TO_Y \
	VEXTRACTF128 $1, Y0, X5 \
	VADDPS       X5, X0, X0 \
	VHADDPS      X0, X0, X0 \
	VHADDPS      X0, X0, X0 \
	VADDSS       (DI), X0, X0 \
	VMOVSS       X0, (DI)

// func gemvAddAVX2(y, a, x []float32, cols int)
// y[r] += Σ_k a[r·cols+k]·x[k] for r < len(y); cols a positive multiple of 8.
// Rows go four at a time (four independent FMA chains sharing each load of x), then one at a time.
TEXT ·gemvAddAVX2(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ x_base+48(FP), DX
	MOVQ cols+72(FP), R8
	SHLQ $2, R8                 // R8 = row length in bytes

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
