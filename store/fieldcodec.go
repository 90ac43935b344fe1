package store

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
	"time"
)

// A minimal binary field codec for records read in bulk (watchlist headers at startup),
// where JSON decoding would dominate. Strings are uvarint length + bytes, times a flag byte
// (0 = zero time) + varint Unix nanoseconds, float64 8 bytes little-endian.

var errCorrupt = errors.New("store: corrupt record")

func putString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func putTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), t.UnixNano())
}

func putFloat64(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// putFloatMap writes a map of named float64s in key order.
func putFloatMap(b []byte, m map[string]float64) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = putFloat64(putString(b, k), m[k])
	}
	return b
}

// fieldReader reads fields written by the put functions; the first error sticks.
type fieldReader struct {
	b   []byte
	err error
}

func (r *fieldReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *fieldReader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errCorrupt
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *fieldReader) time() time.Time {
	if r.err != nil || len(r.b) < 1 {
		r.err = errCorrupt
		return time.Time{}
	}
	flag := r.b[0]
	r.b = r.b[1:]
	if flag == 0 {
		return time.Time{}
	}
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.err = errCorrupt
		return time.Time{}
	}
	r.b = r.b[k:]
	return time.Unix(0, v).UTC()
}

func (r *fieldReader) float64() float64 {
	if r.err != nil || len(r.b) < 8 {
		r.err = errCorrupt
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f
}

func (r *fieldReader) floatMap() map[string]float64 {
	n := r.uvarint()
	if r.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errCorrupt
		return nil
	}
	m := make(map[string]float64, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.string()
		m[k] = r.float64()
	}
	return m
}

func (r *fieldReader) floats() []float32 {
	if r.err != nil {
		return nil
	}
	fs, rest, err := readFloats(r.b)
	if err != nil {
		r.err = err
		return nil
	}
	r.b = rest
	return fs
}
