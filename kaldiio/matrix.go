// Package kaldiio reads and writes the Kaldi file formats voxguard exchanges with other tools:
// float matrices in text and binary archive form, and the plain-text lists (scp, trials, scores)
// of DESIGN.md.
package kaldiio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// WriteTextMatrix writes one archive entry in Kaldi's text form, as copy-feats writes it:
//
//	key  [
//	  v v v
//	  v v v ]
//
// Values are written with the fewest digits that read back to the same float32.
func WriteTextMatrix(w *bufio.Writer, key string, rows [][]float32) error {
	if err := checkKey(key); err != nil {
		return err
	}
	w.WriteString(key)
	w.WriteString("  [")
	if len(rows) == 0 {
		w.WriteString(" ]\n")
		return nil
	}
	var num [32]byte
	for i, r := range rows {
		w.WriteString("\n  ")
		for _, v := range r {
			w.Write(strconv.AppendFloat(num[:0], float64(v), 'g', -1, 32))
			w.WriteByte(' ')
		}
		if i == len(rows)-1 {
			w.WriteString("]\n")
		}
	}
	return nil
}

// WriteBinaryMatrix writes one archive entry in Kaldi's binary form: key, a space, "\x00B", the
// token "FM ", the row and column counts as size-prefixed int32s, then the float32 values row by
// row, little-endian. Kaldi's copy-feats reads it.
func WriteBinaryMatrix(w *bufio.Writer, key string, rows [][]float32) error {
	if err := checkKey(key); err != nil {
		return err
	}
	cols := 0
	if len(rows) > 0 {
		cols = len(rows[0])
	}
	var hdr [10]byte
	w.WriteString(key)
	w.WriteString(" \x00BFM ")
	hdr[0] = 4
	binary.LittleEndian.PutUint32(hdr[1:], uint32(len(rows)))
	hdr[5] = 4
	binary.LittleEndian.PutUint32(hdr[6:], uint32(cols))
	w.Write(hdr[:])
	row := make([]byte, 0, 4*cols)
	for _, r := range rows {
		if len(r) != cols {
			return fmt.Errorf("kaldiio: matrix %q has ragged rows (%d and %d columns)", key, cols, len(r))
		}
		row = row[:0]
		for _, v := range r {
			row = binary.LittleEndian.AppendUint32(row, math.Float32bits(v))
		}
		w.Write(row)
	}
	return nil
}

func checkKey(key string) error {
	if key == "" || strings.ContainsAny(key, " \t\n\r") {
		return fmt.Errorf("kaldiio: key %q is empty or contains white space", key)
	}
	return nil
}

// ErrFormat is wrapped by every error about malformed archive input.
var ErrFormat = errors.New("kaldiio: malformed archive")

// maxMatrixElems bounds the size of a matrix read from an archive (1 G floats).
const maxMatrixElems = 1 << 30

// ReadMatrix reads the next archive entry, text or binary, and returns its key and rows; it
// returns io.EOF at the end of the archive.
func ReadMatrix(r *bufio.Reader) (string, [][]float32, error) {
	key, err := readToken(r)
	if err != nil {
		return "", nil, err
	}
	c, err := r.ReadByte()
	if err != nil {
		return "", nil, fmt.Errorf("%w: entry %q truncated", ErrFormat, key)
	}
	if c == 0 {
		if b, err := r.ReadByte(); err != nil || b != 'B' {
			return "", nil, fmt.Errorf("%w: entry %q: bad binary marker", ErrFormat, key)
		}
		m, err := readBinaryMatrix(r)
		if err != nil {
			return "", nil, fmt.Errorf("entry %q: %w", key, err)
		}
		return key, m, nil
	}
	r.UnreadByte()
	m, err := readTextMatrix(r)
	if err != nil {
		return "", nil, fmt.Errorf("entry %q: %w", key, err)
	}
	return key, m, nil
}

func readToken(r *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		c, err := r.ReadByte()
		if err != nil {
			if sb.Len() == 0 {
				return "", err
			}
			return "", fmt.Errorf("%w: truncated after %q", ErrFormat, sb.String())
		}
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			if sb.Len() == 0 {
				continue
			}
			return sb.String(), nil
		}
		if sb.Len() > 4096 {
			return "", fmt.Errorf("%w: token longer than 4096 bytes", ErrFormat)
		}
		sb.WriteByte(c)
	}
}

func readBinaryMatrix(r *bufio.Reader) ([][]float32, error) {
	var hdr [13]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: truncated matrix header", ErrFormat)
	}
	if string(hdr[:3]) != "FM " || hdr[3] != 4 || hdr[8] != 4 {
		return nil, fmt.Errorf("%w: not a float matrix (header %q)", ErrFormat, hdr[:3])
	}
	rows, cols := int(int32(binary.LittleEndian.Uint32(hdr[4:]))), int(int32(binary.LittleEndian.Uint32(hdr[9:])))
	if rows < 0 || cols < 0 || (cols > 0 && rows > maxMatrixElems/cols) {
		return nil, fmt.Errorf("%w: implausible size %d x %d", ErrFormat, rows, cols)
	}
	out := make([][]float32, 0, min(rows, 1<<16))
	buf := make([]byte, 4*cols)
	for range rows {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("%w: truncated matrix data", ErrFormat)
		}
		row := make([]float32, cols)
		for k := range row {
			row[k] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*k:]))
		}
		out = append(out, row)
	}
	return out, nil
}

func readTextMatrix(r *bufio.Reader) ([][]float32, error) {
	tok, err := readToken(r)
	if err != nil || tok != "[" {
		return nil, fmt.Errorf("%w: expected '[', got %q", ErrFormat, tok)
	}
	var rows [][]float32
	var cur []float32
	for {
		line, err := r.ReadString('\n')
		fields := strings.Fields(line)
		for _, f := range fields {
			if f == "]" {
				if len(cur) > 0 {
					rows = append(rows, cur)
				}
				return rows, checkRagged(rows)
			}
			v, perr := strconv.ParseFloat(f, 32)
			if perr != nil {
				return nil, fmt.Errorf("%w: bad number %q", ErrFormat, f)
			}
			cur = append(cur, float32(v))
		}
		if len(cur) > 0 {
			rows = append(rows, cur)
			cur = nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: text matrix not closed by ']'", ErrFormat)
		}
	}
}

func checkRagged(rows [][]float32) error {
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			return fmt.Errorf("%w: ragged rows (%d and %d columns)", ErrFormat, len(rows[0]), len(r))
		}
	}
	return nil
}
