package models

import (
	"bytes"
	"testing"
)

// FuzzReadBundle: arbitrary bytes must give a bundle or an error, never a
// panic or a huge allocation. Seeds: a full bundle, the same with a fully whitened extractor
// and GMM scorer (format version 8), a UBM-only bundle, junk.
func FuzzReadBundle(f *testing.F) {
	f.Add(encodeForFuzz(f, fullBundle(f)))
	fw := fullBundle(f)
	if err := fw.Extractor.SetFullWhitening(offDiagonalWhitening(fw.UBM, 0.25)); err != nil {
		f.Fatal(err)
	}
	if fw.GMM != nil {
		fw.Meta.Extra = map[string]string{GMMFullWhiteningKey: "1"}
	}
	f.Add(encodeForFuzz(f, fw))
	f.Add(encodeForFuzz(f, &Bundle{Calibration: &Calibration{Weights: []float64{1}, PEff: 0.5}}))
	f.Add([]byte("VXGB"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadBundle(bytes.NewReader(data), nil)
		if err == nil && b == nil {
			t.Fatal("nil bundle without error")
		}
	})
}

func encodeForFuzz(f *testing.F, b *Bundle) []byte {
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzStatsUnmarshal: arbitrary bytes never panic the statistics decoder.
func FuzzStatsUnmarshal(f *testing.F) {
	s := NewStats(3, 2)
	s.N[1] = 2
	blob, _ := s.MarshalBinary()
	f.Add(blob)
	f.Add([]byte("VXST\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st Stats
		if st.UnmarshalBinary(data) == nil && (len(st.N) != st.C || len(st.F) != st.C*st.D) {
			t.Fatal("inconsistent decoded stats")
		}
	})
}
