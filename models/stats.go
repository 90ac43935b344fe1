package models

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Stats are the zeroth- and first-order Baum-Welch statistics of a set of
// frames {x_t} against a C-component UBM with posteriors γ_c(x_t):
//
//	N_c = Σ_t γ_c(x_t)            (soft frame count of component c)
//	F_c = Σ_t γ_c(x_t) · x_t      (uncentred first-order sum, D values)
//
// They have constant size (C + C·D numbers) whatever the amount of speech, and
// they are additive: the statistics of a concatenation of utterances are the
// sum of their statistics, so a live call and several enrollment sessions can
// be merged with Add.
type Stats struct {
	C, D int
	N    []float64 // length C
	F    []float64 // length C·D, row-major by component
	// UBM is the Fingerprint of the model the statistics were accumulated
	// against (0: unknown). Add refuses to mix different non-zero fingerprints.
	UBM uint64
	// Second, for a bundle that fuses a second speaker system (Bundle.Second, Bundle.NewStats),
	// are the same voiced frames' statistics against that system's UBM, from its own front end's
	// features; nil otherwise. Frames counts the first system's alone.
	Second *Stats
}

// NewStats returns zeroed statistics for a C-component, D-dimensional model.
func NewStats(c, d int) *Stats {
	return &Stats{C: c, D: d, N: make([]float64, c), F: make([]float64, c*d)}
}

// Reset zeroes s in place.
func (s *Stats) Reset() {
	clear(s.N)
	clear(s.F)
	if s.Second != nil {
		s.Second.Reset()
	}
}

// Clone returns a deep copy of s (its Second included).
func (s *Stats) Clone() *Stats {
	c := &Stats{C: s.C, D: s.D, N: append([]float64(nil), s.N...), F: append([]float64(nil), s.F...), UBM: s.UBM}
	if s.Second != nil {
		c.Second = s.Second.Clone()
	}
	return c
}

// Frames returns Σ_c N_c, the (soft) number of frames accumulated.
func (s *Stats) Frames() float64 {
	t := 0.0
	for _, n := range s.N {
		t += n
	}
	return t
}

// Add sets s = s + o. The shapes must match. The second system's statistics (Second) are
// summed when both have them; when only one has, the sum has none (they would not cover the
// same frames), and the second system cannot score it.
func (s *Stats) Add(o *Stats) error {
	if s.C != o.C || s.D != o.D {
		return fmt.Errorf("models: cannot add stats of shape %dx%d to %dx%d", o.C, o.D, s.C, s.D)
	}
	if s.UBM != 0 && o.UBM != 0 && s.UBM != o.UBM {
		return fmt.Errorf("models: cannot add stats accumulated against UBM %016x to stats of UBM %016x", o.UBM, s.UBM)
	}
	if s.UBM == 0 {
		s.UBM = o.UBM
	}
	if s.Second != nil {
		if o.Second == nil {
			s.Second = nil
		} else if err := s.Second.Add(o.Second); err != nil {
			return fmt.Errorf("second system: %w", err)
		}
	}
	axpy(1, o.N, s.N)
	axpy(1, o.F, s.F)
	return nil
}

// Scale multiplies N and F by k (e.g. Kaldi's posterior scale 0.1-0.3,
// which compensates for the correlation of successive frames by making an
// utterance count as fewer independent observations).
func (s *Stats) Scale(k float64) {
	for i := range s.N {
		s.N[i] *= k
	}
	for i := range s.F {
		s.F[i] *= k
	}
	if s.Second != nil {
		s.Second.Scale(k)
	}
}

// Centered returns the UBM-centred first-order statistics
// F̃_c = F_c − N_c·μ_c (length C·D); dst is reused if large enough.
func (s *Stats) Centered(ubm *GMM, dst []float64) []float64 {
	dst = resizeF64(dst, s.C*s.D)
	D := s.D
	for c := 0; c < s.C; c++ {
		n := s.N[c]
		for d := 0; d < D; d++ {
			dst[c*D+d] = s.F[c*D+d] - n*ubm.Means[c*D+d]
		}
	}
	return dst
}

// Stats serialisation: "VXST", uint32 version, uint32 C, uint32 D,
// uint64 UBM fingerprint, C + C·D float32 little-endian, CRC-32 (IEEE) of
// everything before it. Version 2, for statistics with a Second, puts the second's whole
// version-1 encoding between the values and the CRC.
const statsMagic = "VXST"
const statsVersion = 1

// ErrStatsFormat reports a malformed serialised Stats.
var ErrStatsFormat = errors.New("models: malformed statistics encoding")

// MarshalBinary encodes s compactly as float32 (C + C·D values, ~4 bytes each).
func (s *Stats) MarshalBinary() ([]byte, error) {
	var second []byte
	version := uint32(statsVersion)
	if s.Second != nil {
		if s.Second.Second != nil {
			return nil, errors.New("models: a second system's statistics cannot have a second of their own")
		}
		var err error
		if second, err = s.Second.MarshalBinary(); err != nil {
			return nil, err
		}
		version = 2
	}
	n := 24 + 4*(s.C+s.C*s.D) + len(second) + 4
	b := make([]byte, 0, n)
	b = append(b, statsMagic...)
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint32(b, uint32(s.C))
	b = binary.LittleEndian.AppendUint32(b, uint32(s.D))
	b = binary.LittleEndian.AppendUint64(b, s.UBM)
	for _, v := range s.N {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
	}
	for _, v := range s.F {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
	}
	b = append(b, second...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// UnmarshalBinary decodes the output of MarshalBinary, checking magic,
// version, size and checksum before allocating.
func (s *Stats) UnmarshalBinary(b []byte) error {
	if len(b) < 28 || string(b[:4]) != statsMagic {
		return fmt.Errorf("%w: bad magic or too short", ErrStatsFormat)
	}
	version := binary.LittleEndian.Uint32(b[4:])
	if version != statsVersion && version != 2 {
		return fmt.Errorf("%w: version %d, want %d or 2", ErrStatsFormat, version, statsVersion)
	}
	c, d := uint64(binary.LittleEndian.Uint32(b[8:])), uint64(binary.LittleEndian.Uint32(b[12:]))
	own := 28 + 4*(c+c*d)
	if c == 0 || d == 0 || c > 1<<20 || d > 1<<16 || (version == 1 && uint64(len(b)) != own) || (version == 2 && uint64(len(b)) <= own) {
		return fmt.Errorf("%w: shape %dx%d does not match %d bytes", ErrStatsFormat, c, d, len(b))
	}
	body := b[:len(b)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return fmt.Errorf("%w: checksum mismatch", ErrStatsFormat)
	}
	var second *Stats
	if version == 2 {
		second = &Stats{}
		if err := second.UnmarshalBinary(body[own-4:]); err != nil {
			return fmt.Errorf("second system: %w", err)
		}
		if second.Second != nil {
			return fmt.Errorf("%w: nested second statistics", ErrStatsFormat)
		}
	}
	s.C, s.D = int(c), int(d)
	s.UBM = binary.LittleEndian.Uint64(b[16:])
	s.N = make([]float64, c)
	s.F = make([]float64, c*d)
	p := body[24:]
	for i := range s.N {
		s.N[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
		p = p[4:]
	}
	for i := range s.F {
		s.F[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
		p = p[4:]
	}
	s.Second = second
	return nil
}
