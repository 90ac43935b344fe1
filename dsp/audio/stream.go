package audio

import "fmt"

// StreamEncoding is the sample encoding of a raw (headerless) telephony stream.
type StreamEncoding int

const (
	// L16LE is 16-bit signed linear PCM, little-endian.
	L16LE StreamEncoding = iota
	// L16BE is 16-bit signed linear PCM, big-endian (network order: RTP L16, RFC 3551).
	L16BE
	// StreamMulaw is 8-bit G.711 mu-law (PCMU).
	StreamMulaw
	// StreamAlaw is 8-bit G.711 A-law (PCMA).
	StreamAlaw
)

// String returns the encoding's name ("L16LE", "L16BE", "mulaw", "alaw").
func (e StreamEncoding) String() string {
	switch e {
	case L16LE:
		return "L16LE"
	case L16BE:
		return "L16BE"
	case StreamMulaw:
		return "mulaw"
	case StreamAlaw:
		return "alaw"
	}
	return fmt.Sprintf("StreamEncoding(%d)", int(e))
}

// BytesPerSample returns the size in bytes of one sample of one channel (2 or 1), or 0 for an
// unknown encoding.
func (e StreamEncoding) BytesPerSample() int {
	switch e {
	case L16LE, L16BE:
		return 2
	case StreamMulaw, StreamAlaw:
		return 1
	}
	return 0
}

// StreamDecoder decodes a raw interleaved stream chunk by chunk, keeping one channel.
// Chunks may split samples and frames anywhere: a partial frame is carried over to the next
// call, so the output is identical for any chunking of the same byte stream. The sample rate
// does not matter to decoding (8 and 16 kHz streams decode alike); resample afterwards.
// A StreamDecoder is not safe for concurrent use.
type StreamDecoder struct {
	enc      StreamEncoding
	channels int
	channel  int
	bps      int // bytes per sample
	frame    int // bytes per frame = channels*bps
	off      int // byte offset of the kept channel's sample within a frame
	pend     [2 * MaxChannels]byte
	npend    int
	table    *[256]float32
}

// NewStreamDecoder returns a decoder for a stream of enc with channels interleaved channels
// (1..MaxChannels) that keeps channel channel (0-based; e.g. the caller's leg of a stereo
// call recording).
func NewStreamDecoder(enc StreamEncoding, channels, channel int) (*StreamDecoder, error) {
	bps := enc.BytesPerSample()
	if bps == 0 {
		return nil, &FormatError{Field: "encoding", Problem: fmt.Sprintf("unknown stream encoding %d", int(enc)), Err: ErrInvalidArgument}
	}
	if channels < 1 || channels > MaxChannels {
		return nil, &FormatError{Field: "channels", Problem: fmt.Sprintf("%d channels, 1..%d supported", channels, MaxChannels), Err: ErrInvalidArgument}
	}
	if channel < 0 || channel >= channels {
		return nil, &FormatError{Field: "channel", Problem: fmt.Sprintf("channel %d out of range [0, %d)", channel, channels), Err: ErrInvalidArgument}
	}
	d := &StreamDecoder{enc: enc, channels: channels, channel: channel, bps: bps, frame: channels * bps, off: channel * bps}
	switch enc {
	case StreamMulaw:
		d.table = &mulawToFloat
	case StreamAlaw:
		d.table = &alawToFloat
	}
	return d, nil
}

// Pending returns how many bytes of an incomplete frame are held for the next Decode call.
func (d *StreamDecoder) Pending() int { return d.npend }

// Reset drops any held partial frame, as at the start of a new stream.
func (d *StreamDecoder) Reset() { d.npend = 0 }

// Decode appends to dst the selected channel's samples of every frame completed by src and
// returns the extended slice. Bytes of a trailing incomplete frame are kept for the next call.
// It allocates only when dst must grow.
func (d *StreamDecoder) Decode(dst []float32, src []byte) []float32 {
	if d.npend > 0 {
		k := min(d.frame-d.npend, len(src))
		copy(d.pend[d.npend:], src[:k])
		d.npend += k
		src = src[k:]
		if d.npend < d.frame {
			return dst
		}
		dst = d.decodeFrames(dst, d.pend[:d.frame])
		d.npend = 0
	}
	whole := len(src) - len(src)%d.frame
	dst = d.decodeFrames(dst, src[:whole])
	d.npend = copy(d.pend[:], src[whole:])
	return dst
}

// decodeFrames decodes the kept channel of src, a whole number of frames.
func (d *StreamDecoder) decodeFrames(dst []float32, src []byte) []float32 {
	n := len(src) / d.frame
	if n == 0 {
		return dst
	}
	dst, out := grow(dst, n)
	src = src[d.off:]
	step := d.frame
	switch {
	case d.table != nil && step == 1:
		t := d.table
		for i, b := range src[:n] {
			out[i] = t[b]
		}
	case d.table != nil:
		t := d.table
		for i := range out {
			out[i] = t[src[i*step]]
		}
	case d.enc == L16LE:
		for i := range out {
			j := i * step
			out[i] = float32(int16(uint16(src[j])|uint16(src[j+1])<<8)) * (1.0 / 32768)
		}
	default: // L16BE
		for i := range out {
			j := i * step
			out[i] = float32(int16(uint16(src[j])<<8|uint16(src[j+1]))) * (1.0 / 32768)
		}
	}
	return dst
}
