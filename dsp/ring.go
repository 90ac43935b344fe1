package dsp

// frameRing holds frames of a fixed dimension addressed by absolute frame index, keeping a
// power-of-two number of slots; it grows (re-laying out the live range) only when asked to hold
// more frames than fit, so a pipeline with bounded look-ahead stops allocating once warm.
type frameRing struct {
	dim  int
	mask int
	data []float32
}

func newFrameRing(dim, minFrames int) frameRing {
	n := 1
	for n < minFrames {
		n <<= 1
	}
	return frameRing{dim: dim, mask: n - 1, data: make([]float32, n*dim)}
}

// at returns the storage of frame i.
func (r *frameRing) at(i int) []float32 {
	j := (i & r.mask) * r.dim
	return r.data[j : j+r.dim : j+r.dim]
}

// reserve makes room for frames lo..hi-1 to be live at once, preserving their contents.
func (r *frameRing) reserve(lo, hi int) {
	lo = max(lo, 0)
	if hi-lo <= r.mask+1 {
		return
	}
	n := (r.mask + 1) * 2
	for n < hi-lo {
		n <<= 1
	}
	old := *r
	r.mask = n - 1
	r.data = make([]float32, n*r.dim)
	for i := lo; i < hi; i++ {
		copy(r.at(i), old.at(i))
	}
}

// presize gives r room for n frames before any is stored (nothing is copied).
func (r *frameRing) presize(n int) {
	if n <= r.mask+1 {
		return
	}
	size := r.mask + 1
	for size < n {
		size <<= 1
	}
	r.mask = size - 1
	r.data = make([]float32, size*r.dim)
}

// copyFrom makes r a deep copy of src, reusing r's storage when it is large enough.
func (r *frameRing) copyFrom(src *frameRing) {
	r.dim, r.mask = src.dim, src.mask
	if cap(r.data) < len(src.data) {
		r.data = make([]float32, len(src.data))
	}
	r.data = r.data[:len(src.data)]
	copy(r.data, src.data)
}
