package dsp

// windowBounds returns the centred window [start, end) of w frames around frame t of a recording
// of n frames, laid out as Kaldi's apply-cmvn-sliding --center=true does: shifted right at the
// start and left at the end rather than shrunk, and the whole recording when n < w. Pass n < 0
// for a recording whose length is not yet known (the window is then never clamped on the right).
func windowBounds(t, w, n int) (start, end int) {
	return clampWindow(t-w/2, w, n)
}

// windowBoundsAhead is windowBounds with the window placed to reach exactly ahead frames past t,
// [t+ahead+1−w, t+ahead+1), before the same clamping; ahead ≤ 0 centres it as windowBounds does.
// A streaming front end holds a frame back until the frames its window reaches exist: ahead sets
// that latency (the centred window's is w/2 − 1 frames).
func windowBoundsAhead(t, w, ahead, n int) (start, end int) {
	if ahead <= 0 {
		return windowBounds(t, w, n)
	}
	return clampWindow(t+ahead+1-w, w, n)
}

// clampWindow lays out the window [start, start+w) in a recording of n frames (n < 0: length not
// yet known) as Kaldi's apply-cmvn-sliding does: shifted right at the start and left at the end.
func clampWindow(start, w, n int) (int, int) {
	end := start + w
	if start < 0 {
		end -= start
		start = 0
	}
	if n >= 0 && end > n {
		start -= end - n
		end = n
		if start < 0 {
			start = 0
		}
	}
	return start, end
}

// ComputeVAD marks frames as voiced from their log energies (column 0 of Kaldi MFCCs), with the
// semantics of Kaldi's compute-vad: a frame is voiced when at least ProportionThreshold of the
// frames within FramesContext of it have a log energy above
// EnergyThreshold + EnergyMeanScale·mean(log energy). The mean is over the whole recording when
// MeanWindow is 0 (compute-vad itself), else over MeanWindow frames centred on the frame (or
// reaching MeanAhead frames past it).
func ComputeVAD(logEnergy []float32, c VADConfig) []bool {
	T := len(logEnergy)
	out := make([]bool, T)
	if T == 0 {
		return out
	}
	var total float64
	for _, e := range logEnergy {
		total += float64(e)
	}
	for t := range out {
		threshold := c.EnergyThreshold
		if c.EnergyMeanScale != 0 {
			mean := total / float64(T)
			if c.MeanWindow > 0 {
				s, e := windowBoundsAhead(t, c.MeanWindow, c.MeanAhead, T)
				var sum float64
				for _, v := range logEnergy[s:e] {
					sum += float64(v)
				}
				mean = sum / float64(e-s)
			}
			threshold += c.EnergyMeanScale * mean
		}
		var num, den int
		for t2 := t - c.FramesContext; t2 <= t+c.FramesContext; t2++ {
			if t2 >= 0 && t2 < T {
				den++
				if float64(logEnergy[t2]) > threshold {
					num++
				}
			}
		}
		out[t] = float64(num) >= float64(den)*c.ProportionThreshold
	}
	return out
}
