//go:build !amd64

package vec

const useAVX2 = false

func gemvAddAVX2(y, a, x []float32, cols int) { gemvAddGonum(y, a, x, cols) }
