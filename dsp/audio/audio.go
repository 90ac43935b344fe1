package audio

import (
	"errors"
	"fmt"
)

// Encoding is how samples are stored in a WAV file's data chunk.
type Encoding int

const (
	// PCM is linear integer PCM: unsigned 8-bit or signed 16/24/32-bit little-endian.
	PCM Encoding = iota
	// Float is IEEE 754 floating point, 32 or 64 bits, little-endian, nominally in [-1, 1].
	Float
	// Mulaw is 8-bit G.711 mu-law (WAV format tag 7).
	Mulaw
	// Alaw is 8-bit G.711 A-law (WAV format tag 6).
	Alaw
)

// String returns a short lower-case name of the encoding ("pcm", "float", "mulaw", "alaw").
func (e Encoding) String() string {
	switch e {
	case PCM:
		return "pcm"
	case Float:
		return "float"
	case Mulaw:
		return "mulaw"
	case Alaw:
		return "alaw"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Limits applied to WAV headers and stream decoders. Headers outside them are
// rejected with a *FormatError wrapping ErrUnsupported.
const (
	MaxChannels   = 64      // most channels accepted in one file or stream
	MinSampleRate = 1000    // lowest sample rate accepted, Hz
	MaxSampleRate = 768_000 // highest sample rate accepted, Hz
)

// Info describes decoded audio.
type Info struct {
	SampleRate    int      // samples per second per channel, Hz
	Channels      int      // number of interleaved channels
	BitsPerSample int      // stored bits per sample (the container size: 8, 16, 24, 32 or 64)
	Encoding      Encoding // how the samples were stored
	Frames        int64    // samples per channel
}

// Duration returns the length of the audio in seconds.
func (i Info) Duration() float64 {
	if i.SampleRate <= 0 {
		return 0
	}
	return float64(i.Frames) / float64(i.SampleRate)
}

// Audio is decoded audio: Samples holds Frames*Channels interleaved samples as float32.
// Integer samples are scaled so that a 16-bit value v maps to v/32768 (8-bit unsigned u to
// (u-128)/128, 24-bit v to v/2^23, 32-bit v to v/2^31), and G.711 codes map to their standard
// 16-bit linear values /32768. Float samples are passed through, clamped to [-1, 1] (NaN to 0).
type Audio struct {
	Info
	Samples []float32
}

// Channel returns a de-interleaved copy of channel ch (0-based) of a.
func (a *Audio) Channel(ch int) ([]float32, error) {
	if a == nil || a.Channels <= 0 {
		return nil, &FormatError{Field: "channel", Problem: "audio has no channels", Err: ErrInvalidArgument}
	}
	if ch < 0 || ch >= a.Channels {
		return nil, &FormatError{Field: "channel", Problem: fmt.Sprintf("channel %d out of range [0, %d)", ch, a.Channels), Err: ErrInvalidArgument}
	}
	n := len(a.Samples) / a.Channels
	out := make([]float32, n)
	if a.Channels == 1 {
		copy(out, a.Samples)
		return out, nil
	}
	for i, j := 0, ch; i < n; i, j = i+1, j+a.Channels {
		out[i] = a.Samples[j]
	}
	return out, nil
}

// Sentinel errors. Every error from this package that concerns the input is a *FormatError
// wrapping one of them, so callers can test with errors.Is and errors.As.
var (
	// ErrTruncated: the input ended before a header or chunk it declares was complete.
	ErrTruncated = errors.New("truncated input")
	// ErrMalformed: a header field is inconsistent or impossible.
	ErrMalformed = errors.New("malformed header")
	// ErrUnsupported: a well-formed header describes a format or size this package does not handle.
	ErrUnsupported = errors.New("unsupported format")
	// ErrInvalidArgument: a caller passed an out-of-range argument (channel index, rate, encoding).
	ErrInvalidArgument = errors.New("invalid argument")
)

// FormatError reports what is wrong with an input or an argument.
type FormatError struct {
	Field   string // the header field or chunk concerned, e.g. "fmt.channels", "data", "RIFF"
	Problem string // what is wrong, in words, with the offending values
	Offset  int64  // byte offset in the input where the problem was found, or 0 if not known
	Err     error  // one of ErrTruncated, ErrMalformed, ErrUnsupported, ErrInvalidArgument
}

// Error returns "audio: <kind>: <field>: <problem> (at byte <offset>)".
func (e *FormatError) Error() string {
	kind := "error"
	if e.Err != nil {
		kind = e.Err.Error()
	}
	if e.Offset > 0 {
		return fmt.Sprintf("audio: %s: %s: %s (at byte %d)", kind, e.Field, e.Problem, e.Offset)
	}
	return fmt.Sprintf("audio: %s: %s: %s", kind, e.Field, e.Problem)
}

// Unwrap returns the sentinel error that classifies e.
func (e *FormatError) Unwrap() error { return e.Err }
