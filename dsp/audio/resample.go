package audio

import (
	"fmt"
	"math"
	"sync"
)

// Resampler design constants. The anti-alias/anti-image filter is a Kaiser-windowed sinc
// designed at the common upsampled rate L*inRate, with its passband edge at
// PassbandEdge*min(inRate, outRate) and its stopband starting at 0.5*min(inRate, outRate)
// (the lower Nyquist frequency), for a Kaiser design attenuation of designAttenuationDB.
const (
	// PassbandEdge is the end of the flat band as a fraction of the lower of the two rates
	// (0.45: 3.6 kHz when either side is 8 kHz).
	PassbandEdge = 0.45
	// StopbandEdge is the start of the stopband as a fraction of the lower of the two rates
	// (0.5: the lower Nyquist frequency, 4 kHz when either side is 8 kHz).
	StopbandEdge = 0.5

	designAttenuationDB = 80.0
	maxUp               = 1024    // largest reduced interpolation factor L accepted
	maxDown             = 1024    // largest reduced decimation factor M accepted
	maxTaps             = 1 << 18 // largest prototype filter accepted
	maxCachedDesigns    = 64      // rate pairs whose filters are kept for reuse (bounds memory for odd rates from untrusted files)
)

// design is an immutable polyphase filter shared by all resamplers of one rate pair.
type design struct {
	l, m int
	k    int       // taps per phase
	d    int64     // group delay of the prototype, in samples at the upsampled rate
	coef []float32 // l phases of k taps, each reversed to run over x[i-k+1..i]
}

var (
	designMu    sync.Mutex
	designCache = map[[2]int]*design{}
)

// Resampler converts a stream from one sample rate to another with a rational polyphase
// FIR filter (see PassbandEdge, StopbandEdge). Output is time-aligned with the input (output
// sample m is the input signal at time m/outRate; the filter's group delay is compensated by
// looking ahead), and identical, bit for bit, for any chunking of the input. A Resampler is
// not safe for concurrent use.
type Resampler struct {
	inRate, outRate int
	ds              *design
	buf             []float32 // input history: buf[0] is input sample number base
	base            int64
	nIn             int64 // input samples received since the last Flush
	m               int64 // next output sample number
}

// gcd returns the greatest common divisor of a and b (both positive).
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// NewResampler returns a resampler from inRate to outRate (Hz). Any pair of rates within
// [MinSampleRate, MaxSampleRate] whose reduced ratio L/M has L and M at most 1024 is accepted
// (e.g. 11025, 16000, 22050, 44100, 48000 -> 8000 and 8000 -> 16000); others give an error
// wrapping ErrUnsupported or ErrInvalidArgument. Equal rates copy the input unchanged.
func NewResampler(inRate, outRate int) (*Resampler, error) {
	for _, r := range []int{inRate, outRate} {
		if r < MinSampleRate || r > MaxSampleRate {
			return nil, &FormatError{Field: "sample rate", Problem: fmt.Sprintf("%d Hz outside %d..%d", r, MinSampleRate, MaxSampleRate), Err: ErrInvalidArgument}
		}
	}
	ds, err := getDesign(inRate, outRate)
	if err != nil {
		return nil, err
	}
	r := &Resampler{inRate: inRate, outRate: outRate, ds: ds}
	r.Reset()
	return r, nil
}

func getDesign(inRate, outRate int) (*design, error) {
	g := gcd(inRate, outRate)
	l, m := outRate/g, inRate/g
	if l > maxUp || m > maxDown {
		return nil, &FormatError{Field: "sample rate", Problem: fmt.Sprintf("%d -> %d Hz needs ratio %d/%d; factors above %d are not supported", inRate, outRate, l, m, maxUp), Err: ErrUnsupported}
	}
	designMu.Lock()
	defer designMu.Unlock()
	key := [2]int{inRate, outRate}
	if ds, ok := designCache[key]; ok {
		return ds, nil
	}
	ds := &design{l: l, m: m, k: 1, coef: []float32{1}}
	if l != 1 || m != 1 {
		fu := float64(l) * float64(inRate) // upsampled rate
		fmin := float64(min(inRate, outRate))
		fc := (PassbandEdge + StopbandEdge) / 2 * fmin
		df := (StopbandEdge - PassbandEdge) * fmin
		a := designAttenuationDB
		beta := 0.1102 * (a - 8.7)
		nEst := (a-7.95)/(2.285*2*math.Pi*df/fu) + 1
		k := int(math.Ceil(nEst / float64(l)))
		if k*l > maxTaps {
			return nil, &FormatError{Field: "sample rate", Problem: fmt.Sprintf("%d -> %d Hz needs a %d-tap filter, more than %d", inRate, outRate, k*l, maxTaps), Err: ErrUnsupported}
		}
		n := k * l
		if n%2 == 0 {
			n-- // odd length: integer group delay; the last tap of the padded bank is 0
		}
		d := (n - 1) / 2
		h := make([]float64, k*l)
		i0b := besselI0(beta)
		sum := 0.0
		for i := 0; i < n; i++ {
			x := float64(i - d)
			v := 2 * fc / fu
			if x != 0 {
				v = math.Sin(2*math.Pi*fc/fu*x) / (math.Pi * x)
			}
			r := x / float64(d)
			h[i] = v * besselI0(beta*math.Sqrt(max(0, 1-r*r))) / i0b
			sum += h[i]
		}
		ds.k, ds.d = k, int64(d)
		ds.coef = make([]float32, l*k)
		for p := 0; p < l; p++ {
			for j := 0; j < k; j++ {
				ds.coef[p*k+k-1-j] = float32(h[p+j*l] * float64(l) / sum)
			}
		}
	}
	if len(designCache) < maxCachedDesigns {
		designCache[key] = ds
	}
	return ds, nil
}

// besselI0 is the zeroth-order modified Bessel function of the first kind (power series).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 500; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

// InRate returns the input sample rate in Hz.
func (r *Resampler) InRate() int { return r.inRate }

// OutRate returns the output sample rate in Hz.
func (r *Resampler) OutRate() int { return r.outRate }

// Taps returns the number of filter taps applied per output sample.
func (r *Resampler) Taps() int { return r.ds.k }

// Delay returns the latency of streaming use in output samples: Process holds back about
// this many output samples until the input that follows them arrives, and Flush releases
// them. Output is already time-aligned, so callers need not drop or shift anything.
func (r *Resampler) Delay() int {
	return int((r.ds.d + int64(r.ds.m) - 1) / int64(r.ds.m))
}

// Reset returns the resampler to its initial state, discarding buffered input.
func (r *Resampler) Reset() {
	k := r.ds.k
	if cap(r.buf) < k-1 {
		r.buf = make([]float32, k-1, max(k-1, 4096))
	}
	r.buf = r.buf[:k-1]
	clear(r.buf)
	r.base = -int64(k - 1)
	r.nIn, r.m = 0, 0
}

// Process appends to dst the output samples that the input so far (src included) fully
// determines, and returns the extended slice.
func (r *Resampler) Process(dst, src []float32) []float32 {
	r.buf = append(r.buf, src...)
	r.nIn += int64(len(src))
	return r.run(dst, r.nIn)
}

// Flush appends the remaining output samples, treating the input as followed by silence, up
// to the output sample at the input's end time (in total ceil(n*outRate/inRate) samples for n
// input samples), and resets the resampler for a new stream.
func (r *Resampler) Flush(dst []float32) []float32 {
	ds := r.ds
	total := (r.nIn*int64(ds.l) + int64(ds.m) - 1) / int64(ds.m)
	if total > r.m {
		last := ((total-1)*int64(ds.m) + ds.d) / int64(ds.l) // newest input sample needed
		if pad := last + 1 - (r.base + int64(len(r.buf))); pad > 0 {
			r.buf = append(r.buf, make([]float32, pad)...)
		}
		dst = r.runTo(dst, total)
	}
	r.Reset()
	return dst
}

// run computes outputs whose newest input sample index is below avail.
func (r *Resampler) run(dst []float32, avail int64) []float32 {
	ds := r.ds
	// Outputs m with (m*M + d)/L < avail, i.e. m*M + d < avail*L.
	lim := avail*int64(ds.l) - ds.d
	end := int64(0)
	if lim > 0 {
		end = (lim + int64(ds.m) - 1) / int64(ds.m)
	}
	return r.runTo(dst, end)
}

// runTo computes outputs r.m .. end-1; the input they need must be in r.buf.
func (r *Resampler) runTo(dst []float32, end int64) []float32 {
	if end <= r.m {
		return dst
	}
	ds := r.ds
	n := int(end - r.m)
	dst, out := grow(dst, n)
	k, l, m := int64(ds.k), int64(ds.l), int64(ds.m)
	t := r.m*m + ds.d
	for o := range out {
		i, p := t/l, t%l
		s := i - k + 1 - r.base
		out[o] = dot(ds.coef[p*k:p*k+k], r.buf[s:s+k])
		t += m
	}
	r.m = end
	// Drop input that no future output needs.
	next := (r.m*m+ds.d)/l - k + 1
	if drop := next - r.base; drop > 0 && drop >= int64(len(r.buf))/2 {
		drop = min(drop, int64(len(r.buf)))
		r.buf = r.buf[:copy(r.buf, r.buf[drop:])]
		r.base += drop
	}
	return dst
}

// dot returns sum(a[i]*b[i]); len(b) >= len(a).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Resample converts a whole signal x from inRate to outRate (see NewResampler) and returns
// ceil(len(x)*outRate/inRate) time-aligned samples.
func Resample(x []float32, inRate, outRate int) ([]float32, error) {
	r, err := NewResampler(inRate, outRate)
	if err != nil {
		return nil, err
	}
	out := make([]float32, 0, int(int64(len(x))*int64(outRate)/int64(inRate))+1)
	out = r.Process(out, x)
	return r.Flush(out), nil
}
