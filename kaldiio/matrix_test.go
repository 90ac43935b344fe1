package kaldiio

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestMatrixRoundTrip(t *testing.T) {
	m := [][]float32{{1, -2.5, 3.25e-7}, {4, 5.123456, -6e10}}
	for _, tc := range []struct {
		name  string
		write func(*bufio.Writer, string, [][]float32) error
	}{{"text", WriteTextMatrix}, {"binary", WriteBinaryMatrix}} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if err := tc.write(w, "utt1", m); err != nil {
			t.Fatal(err)
		}
		if err := tc.write(w, "empty", nil); err != nil {
			t.Fatal(err)
		}
		tc.write(w, "utt2", m[:1])
		w.Flush()
		r := bufio.NewReader(&buf)
		for _, want := range []struct {
			key  string
			rows [][]float32
		}{{"utt1", m}, {"empty", nil}, {"utt2", m[:1]}} {
			key, got, err := ReadMatrix(r)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if key != want.key || len(got) != len(want.rows) {
				t.Fatalf("%s: got %q with %d rows, want %q with %d", tc.name, key, len(got), want.key, len(want.rows))
			}
			for i := range got {
				for k := range got[i] {
					if got[i][k] != want.rows[i][k] {
						t.Fatalf("%s: %s[%d][%d] = %g, want %g", tc.name, key, i, k, got[i][k], want.rows[i][k])
					}
				}
			}
		}
		if _, _, err := ReadMatrix(r); err != io.EOF {
			t.Fatalf("%s: want io.EOF at the end, got %v", tc.name, err)
		}
	}
}

// TestKaldiLayout pins the exact bytes Kaldi's copy-feats produces for a 2x2 matrix.
func TestKaldiLayout(t *testing.T) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	WriteTextMatrix(w, "a", [][]float32{{1, 2}, {3, 4.5}})
	w.Flush()
	if got, want := buf.String(), "a  [\n  1 2 \n  3 4.5 ]\n"; got != want {
		t.Fatalf("text layout %q, want %q", got, want)
	}
	buf.Reset()
	WriteBinaryMatrix(w, "a", [][]float32{{1}})
	w.Flush()
	want := []byte("a \x00BFM \x04\x01\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x80\x3f")
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("binary layout %q, want %q", buf.Bytes(), want)
	}
}

func TestMalformedArchives(t *testing.T) {
	for _, in := range []string{
		"a \x00BFM \x04\xff\xff\xff\x7f\x04\xff\xff\xff\x7f",     // absurd size
		"a \x00BFM \x04\x02\x00\x00\x00\x04\x02\x00\x00\x00\x00", // truncated data
		"a \x00BXM ",         // not a float matrix
		"a  [ 1 2 \n 3 ]\n",  // ragged
		"a  [ 1 2 \n 3 4 \n", // unclosed
		"a  [ 1 x ]\n",       // bad number
		"a  ( 1 ]\n",         // no bracket
		"a",                  // truncated after key
	} {
		_, _, err := ReadMatrix(bufio.NewReader(bytes.NewBufferString(in)))
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%q: got %v, want ErrFormat", in, err)
		}
	}
	if err := WriteTextMatrix(bufio.NewWriter(io.Discard), "has space", nil); err == nil {
		t.Error("key with a space accepted")
	}
}
