package vec

import "golang.org/x/sys/cpu"

var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemvAddAVX2 is GemvAdd for cols a positive multiple of 8 (vec_amd64.s).
//
//go:noescape
func gemvAddAVX2(y, a, x []float32, cols int)
