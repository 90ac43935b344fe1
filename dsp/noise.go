package dsp

import "math"

// noiseTracker is the running state of NoiseSuppression for one stream.
type noiseTracker struct {
	cfg     NoiseSuppression
	subLen  int       // frames per sub-window
	frames  int       // frames seen
	sm      []float64 // smoothed power per bin
	cur     []float64 // minimum of sm in the current sub-window
	ring    []float64 // SubWindows × bins: completed sub-window minima
	ringMin []float64 // minimum over the completed sub-windows in ring
	filled  int       // completed sub-windows in ring (≤ SubWindows)
	next    int       // ring slot the next completed sub-window goes to
	subPos  int       // frames in the current sub-window
}

func newNoiseTracker(cfg NoiseSuppression, bins int) *noiseTracker {
	t := &noiseTracker{cfg: cfg, subLen: cfg.WindowFrames / cfg.SubWindows,
		sm: make([]float64, bins), cur: make([]float64, bins),
		ring: make([]float64, cfg.SubWindows*bins), ringMin: make([]float64, bins)}
	t.reset()
	return t
}

func (t *noiseTracker) reset() {
	t.frames, t.filled, t.next, t.subPos = 0, 0, 0, 0
	for i := range t.cur {
		t.cur[i], t.ringMin[i] = math.Inf(1), math.Inf(1)
	}
}

// copyFrom makes t a deep copy of src (same configuration and size).
func (t *noiseTracker) copyFrom(src *noiseTracker) {
	t.cfg, t.subLen = src.cfg, src.subLen
	t.frames, t.filled, t.next, t.subPos = src.frames, src.filled, src.next, src.subPos
	t.sm = append(t.sm[:0], src.sm...)
	t.cur = append(t.cur[:0], src.cur...)
	t.ring = append(t.ring[:0], src.ring...)
	t.ringMin = append(t.ringMin[:0], src.ringMin...)
}

// apply updates the noise estimate with the power spectrum pow and subtracts it in place:
// pow[k] = max(pow[k] − Bias·min S, Floor·pow[k]).
func (t *noiseTracker) apply(pow []float64) {
	a, bias, floor := t.cfg.Smoothing, t.cfg.Bias, t.cfg.Floor
	sm, cur, rm := t.sm[:len(pow)], t.cur[:len(pow)], t.ringMin[:len(pow)]
	first := t.frames == 0
	for k, p := range pow {
		s := p
		if !first {
			s = a*sm[k] + (1-a)*p
		}
		sm[k] = s
		c := min(cur[k], s)
		cur[k] = c
		pow[k] = max(p-bias*min(c, rm[k]), floor*p)
	}
	t.frames++
	t.subPos++
	if t.subPos < t.subLen {
		return
	}
	// The sub-window is complete: it replaces the oldest in the ring.
	n := len(pow)
	copy(t.ring[t.next*n:(t.next+1)*n], cur)
	t.next = (t.next + 1) % t.cfg.SubWindows
	t.filled = min(t.filled+1, t.cfg.SubWindows)
	t.subPos = 0
	for k := range rm {
		m := math.Inf(1)
		for j := range t.filled {
			m = min(m, t.ring[j*n+k])
		}
		rm[k] = m
		cur[k] = math.Inf(1)
	}
}
