#include "textflag.h"

// Byte offsets into the buffer; fft.go's fft256* constants times 8.
#define OFF_TW1 0
#define OFF_C8 1536
#define OFF_G 1600
#define OFF_V 3648
#define OFF_T 4672
#define OFF_Y 6720
#define OFF_ZR 8768
#define OFF_ZI 9856

// LOADZ loads 4 complex points z[j] = x[2j] + i·x[2j+1], j = 4n..4n+3, from off(SI) as real parts
// re and imaginary parts im. The unpacks leave z[4n+0], z[4n+2], z[4n+1], z[4n+3] in lanes 0-3.
#define LOADZ(off, re, im) \
	VMOVUPD   off(SI), re      \
	VMOVUPD   off+32(SI), Y15  \
	VUNPCKHPD Y15, re, im      \
	VUNPCKLPD Y15, re, re

// DFT4 is a 4-point DFT of the complex vectors e0 = (Y0, Y1), e1 = (Y2, Y3), e2 = (Y4, Y5),
// e3 = (Y6, Y7): outputs f0 = (Y6, Y7), f1 = (Y4, Y5), f2 = (Y8, Y9), f3 = (Y0, Y1), where
// fk = Σ_j e_j·(-i)^(jk). In order: s0 = e0 + e2 (Y8, Y9), s1 = e0 - e2 (Y0, Y1), s2 = e1 + e3
// (Y4, Y5), s3 = e1 - e3 (Y2, Y3); f0 = s0 + s2, f2 = s0 - s2, f1 = s1 - i·s3, f3 = s1 + i·s3.
#define DFT4 \
	VADDPD Y4, Y0, Y8 \
	VADDPD Y5, Y1, Y9 \
	VSUBPD Y4, Y0, Y0 \
	VSUBPD Y5, Y1, Y1 \
	VADDPD Y6, Y2, Y4 \
	VADDPD Y7, Y3, Y5 \
	VSUBPD Y6, Y2, Y2 \
	VSUBPD Y7, Y3, Y3 \
	VADDPD Y4, Y8, Y6 \
	VADDPD Y5, Y9, Y7 \
	VSUBPD Y4, Y8, Y8 \
	VSUBPD Y5, Y9, Y9 \
	VADDPD Y3, Y0, Y4 \
	VSUBPD Y2, Y1, Y5 \
	VSUBPD Y3, Y0, Y0 \
	VADDPD Y2, Y1, Y1

// CMULST stores (re, im)·w, w the complex vector at woff(wp), to soff(sp), using Y10 and Y11.
#define CMULST(re, im, woff, wp, soff, sp) \
	VMULPD      woff+32(wp), im, Y10 \
	VFMSUB231PD woff(wp), re, Y10    \
	VMULPD      woff+32(wp), re, Y11 \
	VFMADD231PD woff(wp), im, Y11    \
	VMOVUPD     Y10, soff(sp)        \
	VMOVUPD     Y11, soff+32(sp)

// func power256AVX2(out *[129]float64, x *[256]float64, buf *[fft256Len]float64)
TEXT ·power256AVX2(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DX
	MOVQ x+8(FP), SI
	MOVQ buf+16(FP), DI

	// Pass 1: for a = 0..7, the 4-point DFT over b of the lane vectors E[a + 8b] (n1 = a + 8b),
	// output kb times W_32^(a·kb), to T[8·kb + a].
	LEAQ OFF_T(DI), R8
	LEAQ OFF_TW1(DI), R9
	MOVQ $8, CX

pass1:
	LOADZ(0, Y0, Y1)
	LOADZ(512, Y2, Y3)
	LOADZ(1024, Y4, Y5)
	LOADZ(1536, Y6, Y7)
	DFT4
	VMOVUPD Y6, 0(R8)
	VMOVUPD Y7, 32(R8)
	CMULST(Y4, Y5, 0, R9, 512, R8)
	CMULST(Y8, Y9, 64, R9, 1024, R8)
	CMULST(Y0, Y1, 128, R9, 1536, R8)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $192, R9
	DECQ CX
	JNZ  pass1

	// Pass 2: for kb = 0..3, the 8-point DFT over a of T[8·kb + a], output ka (k1 = 4·ka + kb)
	// times the lane twiddles G[k1], to Y[k1]. Radix 2 then two 4-point DFTs: the even outputs
	// from t[n] + t[n+4], the odd ones from (t[n] - t[n+4])·W_8^n.
	LEAQ    OFF_T(DI), R8
	LEAQ    OFF_Y(DI), R10
	LEAQ    OFF_G(DI), R11
	VMOVUPD OFF_C8(DI), Y15
	MOVQ    $4, CX

pass2:
	VMOVUPD 0(R8), Y0
	VADDPD  256(R8), Y0, Y0
	VMOVUPD 32(R8), Y1
	VADDPD  288(R8), Y1, Y1
	VMOVUPD 64(R8), Y2
	VADDPD  320(R8), Y2, Y2
	VMOVUPD 96(R8), Y3
	VADDPD  352(R8), Y3, Y3
	VMOVUPD 128(R8), Y4
	VADDPD  384(R8), Y4, Y4
	VMOVUPD 160(R8), Y5
	VADDPD  416(R8), Y5, Y5
	VMOVUPD 192(R8), Y6
	VADDPD  448(R8), Y6, Y6
	VMOVUPD 224(R8), Y7
	VADDPD  480(R8), Y7, Y7
	DFT4
	CMULST(Y6, Y7, 0, R11, 0, R10)       // ka = 0
	CMULST(Y4, Y5, 512, R11, 512, R10)   // ka = 2
	CMULST(Y8, Y9, 1024, R11, 1024, R10) // ka = 4
	CMULST(Y0, Y1, 1536, R11, 1536, R10) // ka = 6

	// d_n = t[n] - t[n+4] in (Y0, Y1), (Y2, Y3), (Y4, Y5), (Y6, Y7).
	VMOVUPD 0(R8), Y0
	VSUBPD  256(R8), Y0, Y0
	VMOVUPD 32(R8), Y1
	VSUBPD  288(R8), Y1, Y1
	VMOVUPD 64(R8), Y2
	VSUBPD  320(R8), Y2, Y2
	VMOVUPD 96(R8), Y3
	VSUBPD  352(R8), Y3, Y3
	VMOVUPD 128(R8), Y4
	VSUBPD  384(R8), Y4, Y4
	VMOVUPD 160(R8), Y5
	VSUBPD  416(R8), Y5, Y5
	VMOVUPD 192(R8), Y6
	VSUBPD  448(R8), Y6, Y6
	VMOVUPD 224(R8), Y7
	VSUBPD  480(R8), Y7, Y7

	// b1 = d1·W_8 = √½·(p + i·q), p = d1r + d1i, q = d1i - d1r; b2 = d2·(-i) = d2i - i·d2r;
	// b3 = d3·W_8^3 = √½·(u - i·v), u = d3i - d3r, v = d3r + d3i.
	VADDPD Y3, Y2, Y8  // p
	VSUBPD Y2, Y3, Y9  // q
	VSUBPD Y6, Y7, Y10 // u
	VADDPD Y7, Y6, Y11 // v
	VADDPD Y10, Y8, Y2 // s2 = b1 + b3 = √½·((p + u) + i·(q - v))
	VSUBPD Y11, Y9, Y3
	VSUBPD Y10, Y8, Y6 // s3 = b1 - b3 = √½·((p - u) + i·(q + v))
	VADDPD Y11, Y9, Y7
	VMULPD Y15, Y2, Y2
	VMULPD Y15, Y3, Y3
	VMULPD Y15, Y6, Y6
	VMULPD Y15, Y7, Y7
	VADDPD Y5, Y0, Y8  // s0 = b0 + b2
	VSUBPD Y4, Y1, Y9
	VSUBPD Y5, Y0, Y0  // s1 = b0 - b2
	VADDPD Y4, Y1, Y1
	VADDPD Y2, Y8, Y4  // o0 = s0 + s2
	VADDPD Y3, Y9, Y5
	VSUBPD Y2, Y8, Y8  // o2 = s0 - s2
	VSUBPD Y3, Y9, Y9
	VADDPD Y7, Y0, Y2  // o1 = s1 - i·s3
	VSUBPD Y6, Y1, Y3
	VSUBPD Y7, Y0, Y0  // o3 = s1 + i·s3
	VADDPD Y6, Y1, Y1
	CMULST(Y4, Y5, 256, R11, 256, R10)   // ka = 1
	CMULST(Y2, Y3, 768, R11, 768, R10)   // ka = 3
	CMULST(Y8, Y9, 1280, R11, 1280, R10) // ka = 5
	CMULST(Y0, Y1, 1792, R11, 1792, R10) // ka = 7

	ADDQ $512, R8
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ CX
	JNZ  pass2

	// Pass 3: for t = 0..7, transpose Y[4t..4t+3] (lanes: n2 = 0, 2, 1, 3) and take the 4-point
	// DFT over n2, giving Z[4t + 32·k2 + 0..3], k2 = 0..3. The first butterfly stage is done
	// between the unpacks and the 128-bit permutes, on half-transposed rows.
	LEAQ OFF_Y(DI), R8
	LEAQ OFF_ZR(DI), R10
	LEAQ OFF_ZI(DI), R11
	MOVQ $8, CX

pass3:
	VMOVUPD    0(R8), Y0
	VMOVUPD    64(R8), Y1
	VMOVUPD    128(R8), Y2
	VMOVUPD    192(R8), Y3
	VUNPCKLPD  Y1, Y0, Y4
	VUNPCKHPD  Y1, Y0, Y5
	VUNPCKLPD  Y3, Y2, Y6
	VUNPCKHPD  Y3, Y2, Y7
	VADDPD     Y5, Y4, Y0
	VSUBPD     Y5, Y4, Y1
	VADDPD     Y7, Y6, Y2
	VSUBPD     Y7, Y6, Y3
	VPERM2F128 $0x20, Y2, Y0, Y4 // s0r
	VPERM2F128 $0x31, Y2, Y0, Y5 // s2r
	VPERM2F128 $0x20, Y3, Y1, Y6 // s1r
	VPERM2F128 $0x31, Y3, Y1, Y7 // s3r
	VADDPD     Y5, Y4, Y0
	VSUBPD     Y5, Y4, Y1
	VMOVUPD    Y0, 0(R10)        // Re Z[k1]
	VMOVUPD    Y1, 512(R10)      // Re Z[k1 + 64]

	VMOVUPD    32(R8), Y8
	VMOVUPD    96(R8), Y9
	VMOVUPD    160(R8), Y10
	VMOVUPD    224(R8), Y11
	VUNPCKLPD  Y9, Y8, Y0
	VUNPCKHPD  Y9, Y8, Y1
	VUNPCKLPD  Y11, Y10, Y2
	VUNPCKHPD  Y11, Y10, Y3
	VADDPD     Y1, Y0, Y8
	VSUBPD     Y1, Y0, Y9
	VADDPD     Y3, Y2, Y10
	VSUBPD     Y3, Y2, Y11
	VPERM2F128 $0x20, Y10, Y8, Y0 // s0i
	VPERM2F128 $0x31, Y10, Y8, Y1 // s2i
	VPERM2F128 $0x20, Y11, Y9, Y2 // s1i
	VPERM2F128 $0x31, Y11, Y9, Y3 // s3i
	VADDPD     Y1, Y0, Y4
	VSUBPD     Y1, Y0, Y5
	VMOVUPD    Y4, 0(R11)         // Im Z[k1]
	VMOVUPD    Y5, 512(R11)       // Im Z[k1 + 64]

	VADDPD  Y3, Y6, Y0 // Z[k1 + 32] = s1 - i·s3
	VSUBPD  Y7, Y2, Y1
	VSUBPD  Y3, Y6, Y4 // Z[k1 + 96] = s1 + i·s3
	VADDPD  Y7, Y2, Y5
	VMOVUPD Y0, 256(R10)
	VMOVUPD Y1, 256(R11)
	VMOVUPD Y4, 768(R10)
	VMOVUPD Y5, 768(R11)

	ADDQ $256, R8
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ  pass3

	// Z[128..131] = Z[0..3], so that the split step needs no special case at k = 0.
	VMOVUPD OFF_ZR(DI), Y0
	VMOVUPD Y0, OFF_ZR+1024(DI)
	VMOVUPD OFF_ZI(DI), Y1
	VMOVUPD Y1, OFF_ZI+1024(DI)

	// Split step, k = 4t..4t+3 for t = 0..15 (Z here is half the FFT): A = Z[k] + conj Z[128-k],
	// D = Z[k] - conj Z[128-k], T = V[k]·D; out[k] = |A + T|², out[128-k] = |A - T|².
	// Z[128-k] = (Z[128-4t], Z[127-4t], Z[126-4t], Z[125-4t]) is assembled from the aligned
	// vectors at 124-4t (reversed and shifted by a lane) and 128-4t (its lane 0): loads straddling
	// two of pass 3's stores can defeat store-to-load forwarding on some x86 cores (on Zen 3 the
	// straddling form measured the same).
	// BX = 32t walks k up, R12 = 8·(124 - 4t) walks 128-k down.
	LEAQ OFF_ZR(DI), R10
	LEAQ OFF_ZI(DI), R11
	LEAQ OFF_V(DI), R9
	XORQ BX, BX
	MOVQ $992, R12

split:
	VMOVUPD     (R10)(BX*1), Y0
	VMOVUPD     (R11)(BX*1), Y1
	VPERMPD     $0x6F, (R10)(R12*1), Y2 // lanes 3, 3, 2, 1
	VPERMPD     $0x6F, (R11)(R12*1), Y3
	VBLENDPD    $1, 32(R10)(R12*1), Y2, Y2
	VBLENDPD    $1, 32(R11)(R12*1), Y3, Y3
	VADDPD      Y2, Y0, Y4          // Ar
	VSUBPD      Y3, Y1, Y5          // Ai
	VSUBPD      Y2, Y0, Y6          // Dr
	VADDPD      Y3, Y1, Y7          // Di
	VMULPD      32(R9), Y7, Y8
	VFMSUB231PD 0(R9), Y6, Y8       // Tr = Vr·Dr - Vi·Di
	VMULPD      32(R9), Y6, Y9
	VFMADD231PD 0(R9), Y7, Y9       // Ti = Vr·Di + Vi·Dr
	VADDPD      Y8, Y4, Y0
	VADDPD      Y9, Y5, Y1
	VSUBPD      Y8, Y4, Y2
	VSUBPD      Y9, Y5, Y3
	VMULPD      Y0, Y0, Y0
	VFMADD231PD Y1, Y1, Y0
	VMULPD      Y2, Y2, Y2
	VFMADD231PD Y3, Y3, Y2
	VPERMPD     $0x1B, Y2, Y2
	VMOVUPD     Y0, (DX)(BX*1)
	VMOVUPD     Y2, 8(DX)(R12*1)    // out[125-4t..128-4t]
	ADDQ        $64, R9
	SUBQ        $32, R12
	ADDQ        $32, BX
	CMPQ        BX, $512
	JNE         split

	// out[64] = |Z[64]|² = 4·|Z[64]/2|².
	VMOVSD      OFF_ZR+512(DI), X0
	VMOVSD      OFF_ZI+512(DI), X1
	VMULSD      X0, X0, X0
	VFMADD231SD X1, X1, X0
	VADDSD      X0, X0, X0
	VADDSD      X0, X0, X0
	VMOVSD      X0, 512(DX)

	VZEROUPPER
	RET
