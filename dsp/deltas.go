package dsp

// deltaScales returns Kaldi's DeltaFeatures regression filters for orders 0..order with the
// given half-window: order 0 is [1]; order i is order i-1 convolved with j/Σj², j = -w..w.
func deltaScales(order, window int) [][]float64 {
	scales := [][]float64{{1}}
	var norm float64
	for j := -window; j <= window; j++ {
		norm += float64(j * j)
	}
	for i := 1; i <= order; i++ {
		prev := scales[i-1]
		prevOff := (len(prev) - 1) / 2
		cur := make([]float64, len(prev)+2*window)
		curOff := prevOff + window
		for j := -window; j <= window; j++ {
			for k := -prevOff; k <= prevOff; k++ {
				cur[j+k+curOff] += float64(j) * prev[k+prevOff]
			}
		}
		for k := range cur {
			cur[k] /= norm
		}
		scales = append(scales, cur)
	}
	return scales
}

// AddDeltas appends delta features up to order (Kaldi add-deltas --delta-order=order
// --delta-window=2): row t of the result is [x_t, Δx_t, ΔΔx_t], with frames beyond either end
// replaced by the first or last frame.
func AddDeltas(feats [][]float32, order int) [][]float32 {
	scales := deltaScales(order, DeltaWindow)
	T := len(feats)
	out := make([][]float32, T)
	for t := range out {
		d := len(feats[t])
		row := make([]float32, d*(order+1))
		acc := make([]float64, d)
		for i, s := range scales {
			off := (len(s) - 1) / 2
			clear(acc)
			for j := -off; j <= off; j++ {
				src := min(max(t+j, 0), T-1)
				for k, v := range feats[src] {
					acc[k] += s[j+off] * float64(v)
				}
			}
			for k, v := range acc {
				row[i*d+k] = float32(v)
			}
		}
		out[t] = row
	}
	return out
}
