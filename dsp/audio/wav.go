package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
)

// WAV format tags (the fmt chunk's wFormatTag, or the first two bytes of the
// WAVE_FORMAT_EXTENSIBLE sub-format GUID).
const (
	wavFormatPCM        = 0x0001
	wavFormatFloat      = 0x0003
	wavFormatAlaw       = 0x0006
	wavFormatMulaw      = 0x0007
	wavFormatExtensible = 0xFFFE
)

// ksdataformatTail is bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID
// (xxxxxxxx-0000-0010-8000-00aa00389b71 in its little-endian byte layout).
var ksdataformatTail = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// readBlock is how many bytes of sample data are read at a time.
const readBlock = 64 << 10

// initialSampleCap bounds the sample capacity allocated up front when the input size is
// unknown; beyond it the slice grows only as data actually arrives.
const initialSampleCap = 1 << 16

// ReadWAV decodes a RIFF/WAVE file from r.
//
// Supported: linear PCM of 8 (unsigned), 16, 24 and 32 bits (and fewer valid bits in such a
// container), IEEE float of 32 and 64 bits, G.711 A-law (format tag 6) and mu-law (tag 7),
// each plain or as WAVE_FORMAT_EXTENSIBLE; fmt chunks of 16, 18, 40 or more bytes; any
// number of fact, LIST or unknown chunks (skipped, with the pad byte after odd-sized ones);
// 1 to MaxChannels interleaved channels. Reading stops at the end of the data chunk.
// A data size of 0xFFFFFFFF (written by streaming recorders that cannot seek back) means
// "up to the end of the input". Redundant fields (RIFF size, byte rate) are not trusted and
// not checked; a trailing partial frame is ignored.
//
// Errors are *FormatError values wrapping ErrTruncated, ErrMalformed or ErrUnsupported.
// When the data chunk is shorter than its header declares, ReadWAV returns the complete
// frames it did read together with an error wrapping ErrTruncated, so a caller may choose to
// use a cut-off recording. No allocation is sized by a header field alone: sample storage
// is bounded by the input's actual size when r reports one (Len() or a regular *os.File),
// and otherwise grows only as data arrives.
func ReadWAV(r io.Reader) (*Audio, error) {
	return readWAV(r, remainingSize(r))
}

// ReadWAVFile decodes the WAV file at path (see ReadWAV). Errors carry the path and still
// unwrap to *FormatError.
func ReadWAVFile(path string) (*Audio, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := readWAV(f, remainingSize(f))
	if err != nil {
		return a, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// remainingSize returns how many bytes r can still deliver, or -1 if unknown.
func remainingSize(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return st.Size() - pos
	}
	return -1
}

type wavReader struct {
	r   io.Reader
	off int64
	// sink, when set, receives each decoded block (interleaved samples, valid only during the
	// call) instead of the samples being collected into the returned Audio.
	sink func(Info, []float32) error
}

func (w *wavReader) full(buf []byte, field string) error {
	n, err := io.ReadFull(w.r, buf)
	w.off += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &FormatError{Field: field, Problem: fmt.Sprintf("input ends after %d of %d bytes", n, len(buf)), Offset: w.off, Err: ErrTruncated}
		}
		return err
	}
	return nil
}

// skip discards n bytes of the chunk with the given id.
func (w *wavReader) skip(n int64, id string) error {
	if n == 0 {
		return nil
	}
	m, err := io.CopyN(io.Discard, w.r, n)
	w.off += m
	if err != nil {
		if errors.Is(err, io.EOF) {
			field := fmt.Sprintf("chunk %q", id)
			if id == "fmt " {
				field = "fmt"
			}
			return &FormatError{Field: field, Problem: fmt.Sprintf("chunk declares %d bytes but input ends after %d", n, m), Offset: w.off, Err: ErrTruncated}
		}
		return err
	}
	return nil
}

// wavFormat is the parsed and validated fmt chunk.
type wavFormat struct {
	enc        Encoding
	channels   int
	rate       int
	bytesPer   int // container bytes per sample
	blockAlign int
}

func readWAV(r io.Reader, size int64) (*Audio, error) {
	return readWAVTo(&wavReader{r: r}, size)
}

// StreamWAV decodes a WAV stream block by block, calling fn with the format and each block of
// interleaved samples (valid only during the call; blocks hold whole frames), so a long
// recording never needs to be held in memory. It reports the same errors as ReadWAV, and
// stops with fn's error if fn fails. The returned Info has Frames set to the frames delivered.
func StreamWAV(r io.Reader, fn func(info Info, block []float32) error) (Info, error) {
	a, err := readWAVTo(&wavReader{r: r, sink: fn}, remainingSize(r))
	if a == nil {
		return Info{}, err
	}
	return a.Info, err
}

func readWAVTo(w *wavReader, size int64) (*Audio, error) {
	var hdr [12]byte
	if err := w.full(hdr[:], "RIFF header"); err != nil {
		return nil, err
	}
	switch string(hdr[0:4]) {
	case "RIFF":
	case "RIFX", "RF64", "BW64":
		return nil, &FormatError{Field: "RIFF header", Problem: fmt.Sprintf("%q files are not supported (only little-endian RIFF)", hdr[0:4]), Err: ErrUnsupported}
	default:
		return nil, &FormatError{Field: "RIFF header", Problem: fmt.Sprintf("starts with %q, not \"RIFF\": not a WAV file", hdr[0:4]), Err: ErrMalformed}
	}
	if string(hdr[8:12]) != "WAVE" {
		return nil, &FormatError{Field: "RIFF header", Problem: fmt.Sprintf("form type is %q, not \"WAVE\"", hdr[8:12]), Offset: 8, Err: ErrMalformed}
	}
	var f *wavFormat
	for {
		var ch [8]byte
		start := w.off
		if err := w.full(ch[:], "chunk header"); err != nil {
			var fe *FormatError
			if errors.As(err, &fe) && w.off == start {
				fe.Problem = "input ends before a data chunk"
				if f == nil {
					fe.Problem = "input ends before fmt and data chunks"
				}
			}
			return nil, err
		}
		id := string(ch[0:4])
		n := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if f != nil {
				return nil, &FormatError{Field: "fmt", Problem: "second fmt chunk", Offset: start, Err: ErrMalformed}
			}
			var err error
			if f, err = readFmt(w, n, start); err != nil {
				return nil, err
			}
		case "data":
			if f == nil {
				return nil, &FormatError{Field: "data", Problem: "data chunk before any fmt chunk", Offset: start, Err: ErrMalformed}
			}
			return readData(w, f, n, size)
		default:
			if err := w.skip(n+n&1, id); err != nil {
				return nil, err
			}
		}
	}
}

func readFmt(w *wavReader, n, start int64) (*wavFormat, error) {
	if n < 16 {
		return nil, &FormatError{Field: "fmt", Problem: fmt.Sprintf("chunk is %d bytes, at least 16 needed", n), Offset: start, Err: ErrMalformed}
	}
	var b [40]byte
	m := min(n, int64(len(b)))
	if err := w.full(b[:m], "fmt"); err != nil {
		return nil, err
	}
	if err := w.skip(n-m+n&1, "fmt "); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	tag := int(le.Uint16(b[0:]))
	channels := int(le.Uint16(b[2:]))
	rate := int64(le.Uint32(b[4:]))
	blockAlign := int(le.Uint16(b[12:]))
	bits := int(le.Uint16(b[14:]))
	validBits := bits
	off := start + 8
	if tag == wavFormatExtensible {
		if n < 40 {
			return nil, &FormatError{Field: "fmt", Problem: fmt.Sprintf("WAVE_FORMAT_EXTENSIBLE needs a 40-byte fmt chunk, got %d bytes", n), Offset: off, Err: ErrMalformed}
		}
		if cb := le.Uint16(b[16:]); cb < 22 {
			return nil, &FormatError{Field: "fmt.cbSize", Problem: fmt.Sprintf("is %d, WAVE_FORMAT_EXTENSIBLE needs 22", cb), Offset: off + 16, Err: ErrMalformed}
		}
		validBits = int(le.Uint16(b[18:]))
		if [14]byte(b[26:40]) != ksdataformatTail {
			return nil, &FormatError{Field: "fmt.SubFormat", Problem: fmt.Sprintf("GUID % x is not a KSDATAFORMAT_SUBTYPE", b[24:40]), Offset: off + 24, Err: ErrUnsupported}
		}
		tag = int(le.Uint16(b[24:]))
		if validBits == 0 {
			validBits = bits
		}
	}
	if channels == 0 {
		return nil, &FormatError{Field: "fmt.channels", Problem: "is 0", Offset: off + 2, Err: ErrMalformed}
	}
	if channels > MaxChannels {
		return nil, &FormatError{Field: "fmt.channels", Problem: fmt.Sprintf("is %d, at most %d supported", channels, MaxChannels), Offset: off + 2, Err: ErrUnsupported}
	}
	if rate == 0 {
		return nil, &FormatError{Field: "fmt.sample_rate", Problem: "is 0", Offset: off + 4, Err: ErrMalformed}
	}
	if rate < MinSampleRate || rate > MaxSampleRate {
		return nil, &FormatError{Field: "fmt.sample_rate", Problem: fmt.Sprintf("is %d Hz, supported range %d..%d", rate, MinSampleRate, MaxSampleRate), Offset: off + 4, Err: ErrUnsupported}
	}
	f := &wavFormat{channels: channels, rate: int(rate), blockAlign: blockAlign}
	bad := func() error {
		return &FormatError{Field: "fmt.bits_per_sample", Problem: fmt.Sprintf("%d bits (%d valid) not supported for %s", bits, validBits, formatTagName(tag)), Offset: off + 14, Err: ErrUnsupported}
	}
	switch tag {
	case wavFormatPCM:
		f.enc = PCM
		if bits < 1 || bits > 32 || validBits < 1 || validBits > bits {
			return nil, bad()
		}
		f.bytesPer = (bits + 7) / 8
	case wavFormatFloat:
		f.enc = Float
		if (bits != 32 && bits != 64) || validBits != bits {
			return nil, bad()
		}
		f.bytesPer = bits / 8
	case wavFormatMulaw, wavFormatAlaw:
		f.enc = Mulaw
		if tag == wavFormatAlaw {
			f.enc = Alaw
		}
		if bits != 8 || validBits != 8 {
			return nil, bad()
		}
		f.bytesPer = 1
	default:
		return nil, &FormatError{Field: "fmt.format_tag", Problem: fmt.Sprintf("%s not supported (PCM 1, float 3, A-law 6, mu-law 7, extensible 0xFFFE are)", formatTagName(tag)), Offset: off, Err: ErrUnsupported}
	}
	if want := channels * f.bytesPer; blockAlign != want {
		return nil, &FormatError{Field: "fmt.block_align", Problem: fmt.Sprintf("is %d, expected %d for %d channels of %d bytes", blockAlign, want, channels, f.bytesPer), Offset: off + 12, Err: ErrMalformed}
	}
	return f, nil
}

func formatTagName(tag int) string {
	switch tag {
	case wavFormatPCM:
		return "format 1 (PCM)"
	case wavFormatFloat:
		return "format 3 (IEEE float)"
	case wavFormatAlaw:
		return "format 6 (A-law)"
	case wavFormatMulaw:
		return "format 7 (mu-law)"
	case 0x0002:
		return "format 2 (MS ADPCM)"
	case 0x0011:
		return "format 0x11 (IMA ADPCM)"
	case 0x0031:
		return "format 0x31 (GSM 6.10)"
	case 0x0055:
		return "format 0x55 (MP3)"
	}
	return fmt.Sprintf("format 0x%04x", tag)
}

func readData(w *wavReader, f *wavFormat, n int64, size int64) (*Audio, error) {
	start := w.off
	toEOF := n == 0xFFFFFFFF
	frames := n / int64(f.blockAlign)
	if toEOF {
		frames = math.MaxInt64 / int64(f.blockAlign)
	}
	// Capacity: never more than the input can hold.
	capFrames := frames
	if size >= 0 {
		capFrames = min(capFrames, max(size-start, 0)/int64(f.blockAlign))
	} else {
		capFrames = min(capFrames, int64(initialSampleCap/f.channels))
	}
	a := &Audio{Info: Info{SampleRate: f.rate, Channels: f.channels, BitsPerSample: f.bytesPer * 8, Encoding: f.enc}}
	if w.sink != nil {
		return streamData(w, f, a, frames, n, toEOF)
	}
	a.Samples = make([]float32, 0, capFrames*int64(f.channels))
	dec := decoderFor(f.enc, f.bytesPer)
	block := (readBlock / f.blockAlign) * f.blockAlign
	bp := readBufPool.Get().(*[]byte)
	defer readBufPool.Put(bp)
	buf := (*bp)[:block]
	remaining := frames * int64(f.blockAlign)
	for remaining > 0 {
		want := int(min(remaining, int64(block)))
		got, err := io.ReadFull(w.r, buf[:want])
		w.off += int64(got)
		whole := got - got%f.blockAlign
		a.Samples = dec(a.Samples, buf[:whole])
		remaining -= int64(got)
		if err != nil {
			a.Frames = int64(len(a.Samples) / f.channels)
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return a, err
			}
			if toEOF {
				return a, nil
			}
			return a, &FormatError{Field: "data", Problem: fmt.Sprintf("chunk declares %d bytes but input ends after %d", n, w.off-start), Offset: w.off, Err: ErrTruncated}
		}
	}
	a.Frames = int64(len(a.Samples) / f.channels)
	return a, nil
}

// readBufPool holds readBlock-byte buffers for reading sample data.
var readBufPool = sync.Pool{New: func() any { b := make([]byte, readBlock); return &b }}

// sampleDecoder appends the samples encoded in src (a whole number of samples) to dst.
type sampleDecoder func(dst []float32, src []byte) []float32

func decoderFor(enc Encoding, bytesPer int) sampleDecoder {
	switch enc {
	case Mulaw:
		return decodeMulaw
	case Alaw:
		return decodeAlaw
	case Float:
		if bytesPer == 8 {
			return decodeF64
		}
		return decodeF32
	}
	switch bytesPer {
	case 1:
		return decodeU8
	case 2:
		return decodeS16LE
	case 3:
		return decodeS24
	}
	return decodeS32
}

var u8ToFloat [256]float32

func init() {
	for i := range u8ToFloat {
		u8ToFloat[i] = float32(i-128) / 128
	}
}

// grow returns dst with room for n more elements, and the extended slice.
func grow(dst []float32, n int) ([]float32, []float32) {
	l := len(dst)
	if cap(dst)-l < n {
		nd := make([]float32, l, max(2*cap(dst), l+n))
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:l+n]
	return dst, dst[l:]
}

func decodeMulaw(dst []float32, src []byte) []float32 { return decodeTable(dst, src, &mulawToFloat) }
func decodeAlaw(dst []float32, src []byte) []float32  { return decodeTable(dst, src, &alawToFloat) }
func decodeU8(dst []float32, src []byte) []float32    { return decodeTable(dst, src, &u8ToFloat) }

func decodeTable(dst []float32, src []byte, t *[256]float32) []float32 {
	dst, out := grow(dst, len(src))
	out = out[:len(src)]
	for i, b := range src {
		out[i] = t[b]
	}
	return dst
}

func decodeS16LE(dst []float32, src []byte) []float32 {
	n := len(src) / 2
	dst, out := grow(dst, n)
	src = src[:2*n]
	for i := range out {
		out[i] = float32(int16(uint16(src[2*i])|uint16(src[2*i+1])<<8)) * (1.0 / 32768)
	}
	return dst
}

func decodeS24(dst []float32, src []byte) []float32 {
	n := len(src) / 3
	dst, out := grow(dst, n)
	src = src[:3*n]
	for i := range out {
		v := int32(uint32(src[3*i])<<8 | uint32(src[3*i+1])<<16 | uint32(src[3*i+2])<<24)
		out[i] = float32(v>>8) * (1.0 / 8388608)
	}
	return dst
}

func decodeS32(dst []float32, src []byte) []float32 {
	n := len(src) / 4
	dst, out := grow(dst, n)
	for i := range out {
		out[i] = float32(float64(int32(binary.LittleEndian.Uint32(src[4*i:]))) * (1.0 / 2147483648))
	}
	return dst
}

func clampFloat(v float64) float32 {
	switch {
	case v != v:
		return 0
	case v > 1:
		return 1
	case v < -1:
		return -1
	}
	return float32(v)
}

func decodeF32(dst []float32, src []byte) []float32 {
	n := len(src) / 4
	dst, out := grow(dst, n)
	for i := range out {
		out[i] = clampFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))))
	}
	return dst
}

func decodeF64(dst []float32, src []byte) []float32 {
	n := len(src) / 8
	dst, out := grow(dst, n)
	for i := range out {
		out[i] = clampFloat(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
	}
	return dst
}

// streamData is readData's block-by-block form for StreamWAV.
func streamData(w *wavReader, f *wavFormat, a *Audio, frames, n int64, toEOF bool) (*Audio, error) {
	start := w.off
	a.Frames = frames
	if toEOF {
		a.Frames = 0
	}
	dec := decoderFor(f.enc, f.bytesPer)
	block := (readBlock / f.blockAlign) * f.blockAlign
	bp := readBufPool.Get().(*[]byte)
	defer readBufPool.Put(bp)
	buf := (*bp)[:block]
	out := make([]float32, 0, block/f.bytesPer)
	var delivered int64
	remaining := frames * int64(f.blockAlign)
	for remaining > 0 {
		want := int(min(remaining, int64(block)))
		got, err := io.ReadFull(w.r, buf[:want])
		w.off += int64(got)
		whole := got - got%f.blockAlign
		out = dec(out[:0], buf[:whole])
		remaining -= int64(got)
		if len(out) > 0 {
			delivered += int64(len(out) / f.channels)
			if serr := w.sink(a.Info, out); serr != nil {
				return a, serr
			}
		}
		if err != nil {
			a.Frames = delivered
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return a, err
			}
			if toEOF {
				return a, nil
			}
			return a, &FormatError{Field: "data", Problem: fmt.Sprintf("chunk declares %d bytes but input ends after %d", n, w.off-start), Offset: w.off, Err: ErrTruncated}
		}
	}
	a.Frames = delivered
	return a, nil
}
