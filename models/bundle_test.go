package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math"
	"testing"
)

func fullBundle(t testing.TB) *Bundle {
	t.Helper()
	r := newRand(50)
	ubm := randGMM(r, 4, 3, 1)
	ext, err := InitIVectorExtractor(ubm, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, lab := labelledGaussians(51, 5, 2, 10, 4, 2, 0.5)
	lda, _ := TrainLDA(x, lab, 3)
	wccn, _ := TrainWCCN(x, lab)
	plda, _ := TrainPLDA(x, lab, 2)
	return &Bundle{
		Meta: Metadata{Created: "2026-11-25T00:00:00Z", Description: "test", TopC: 10,
			FrontEnd: json.RawMessage(`{"sample_rate": 8000, "num_ceps": 20}`), Extra: map[string]string{"k": "v"}},
		UBM: ubm, Extractor: ext, IVectorMean: []float64{1, 2, 3, 4, 5}, LDA: lda, WCCN: wccn, PLDA: plda,
		Calibration: &Calibration{Weights: []float64{1.5, -0.25}, Bias: -3, PEff: 0.01},
		Cohort:      [][]float64{{1, 2, 3}, {4, 5, 6}},
	}
}

func encode(t *testing.T, b *Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func closeSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-6*math.Max(1, math.Abs(a[i])) {
			return false
		}
	}
	return true
}

func TestBundleRoundTrip(t *testing.T) {
	b := fullBundle(t)
	blob := encode(t, b)
	got, err := ReadBundle(bytes.NewReader(blob), json.RawMessage(`{"num_ceps":20,"sample_rate":8000}`))
	if err != nil {
		t.Fatal(err)
	}
	if !closeSlices(got.UBM.Means, b.UBM.Means) || !closeSlices(got.UBM.Vars, b.UBM.Vars) ||
		!closeSlices(got.Extractor.T, b.Extractor.T) || got.Extractor.R != 5 ||
		!closeSlices(got.LDA.M, b.LDA.M) || !closeSlices(got.WCCN.M, b.WCCN.M) ||
		!closeSlices(got.PLDA.A, b.PLDA.A) || !closeSlices(got.PLDA.Psi, b.PLDA.Psi) ||
		!closeSlices(got.Calibration.Weights, b.Calibration.Weights) || got.Calibration.Bias != -3 ||
		!closeSlices(got.Cohort[1], b.Cohort[1]) || !closeSlices(got.IVectorMean, b.IVectorMean) {
		t.Fatal("round trip changed parameters beyond float32 precision")
	}
	if got.UBM.Fingerprint() != b.UBM.Fingerprint() {
		t.Fatal("UBM fingerprint changed across the bundle round trip")
	}
	if got.Meta.Description != "test" || got.Meta.TopC != 10 || got.Meta.Extra["k"] != "v" {
		t.Fatalf("metadata %+v", got.Meta)
	}
	// Quantisation to float32 happens once: re-encoding is byte-identical.
	if !bytes.Equal(encode(t, got), blob) {
		t.Fatal("re-encoding a decoded bundle changed its bytes")
	}
	// The loaded extractor works.
	s := statsOf(got.UBM, sampleGMM(newRand(1), got.UBM, nil, 20), 2)
	iv := make([]float64, 5)
	if err := got.Extractor.Extract(s, iv, got.Extractor.NewScratch()); err != nil {
		t.Fatal(err)
	}
}

// TestBundleHalfPrecisionT checks Metadata.HalfPrecisionT: T is stored as "TVAH" in half
// precision (format version 10, and an outer bundle with a second system so stored is version 10
// too), reads back as each value rounded to the nearest half (hand-worked: 1/3 → 0.333251953125,
// 1e-5 → a subnormal, 0.1 → 0.0999755859375), the bundle is smaller by 2 bytes per value, the
// rounding happens once (re-encoding is byte-identical), and a bundle with both TVAR and TVAH is
// refused.
func TestBundleHalfPrecisionT(t *testing.T) {
	b := fullBundle(t)
	b.Extractor.T[0], b.Extractor.T[1], b.Extractor.T[2] = 1.0/3, 1e-5, 0.1
	single := encode(t, b)
	b.Meta.HalfPrecisionT = true
	blob := encode(t, b)
	if v := binary.LittleEndian.Uint32(blob[4:]); v != 10 {
		t.Errorf("format version %d, want 10", v)
	}
	if !bytes.Contains(blob, []byte("TVAH")) || bytes.Contains(blob, []byte("TVAR")) {
		t.Error("T not stored as TVAH alone")
	}
	n := len(b.Extractor.T)
	sec := blob[bytes.Index(blob, []byte("TVAH")):]
	if l, want := binary.LittleEndian.Uint64(sec[4:12]), uint64(12+2*n+2*(n%2)); l != want {
		t.Errorf("TVAH holds %d bytes, want %d (TVAR: %d)", l, want, 12+4*n)
	}
	got, err := ReadBundle(bytes.NewReader(blob), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Meta.HalfPrecisionT {
		t.Error("HalfPrecisionT lost")
	}
	for i, want := range []float64{0.333251953125, 1.0013580322265625e-05, 0.0999755859375} {
		if got.Extractor.T[i] != want {
			t.Errorf("T[%d] = %v, want %v", i, got.Extractor.T[i], want)
		}
	}
	for i, x := range b.Extractor.T {
		if d := math.Abs(got.Extractor.T[i] - x); d > math.Abs(x)/2048+1e-7 {
			t.Fatalf("T[%d] = %v read back as %v", i, x, got.Extractor.T[i])
		}
	}
	if !bytes.Equal(encode(t, got), blob) {
		t.Error("re-encoding a decoded half-precision bundle changed its bytes")
	}
	outer := fullBundle(t)
	outer.Second, outer.Meta.Fusion = b, []float64{1, 1, 0}
	if v := binary.LittleEndian.Uint32(encode(t, outer)[4:]); v != 10 {
		t.Errorf("outer bundle with a half-precision second system: version %d, want 10", v)
	}
	// Both sections: refused.
	both := append([]byte(nil), blob[:16]...)
	body := blob[16 : len(blob)-4]
	tv := single[bytes.Index(single, []byte("TVAR")):]
	tvLen := 12 + int(binary.LittleEndian.Uint64(tv[4:12]))
	both = append(both, body...)
	both = append(both, tv[:tvLen]...)
	binary.LittleEndian.PutUint64(both[8:], uint64(len(both)-16))
	both = binary.LittleEndian.AppendUint32(both, crc32.Checksum(both[16:], crc32.MakeTable(crc32.Castagnoli)))
	if _, err := ReadBundle(bytes.NewReader(both), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("TVAR and TVAH together: %v, want ErrMalformed", err)
	}
}

func TestBundlePartial(t *testing.T) {
	for name, b := range map[string]*Bundle{
		"empty":    {},
		"ubm only": {UBM: fullBundle(t).UBM},
		"cal only": {Calibration: &Calibration{Weights: []float64{2}, Bias: 1, PEff: 0.5}},
	} {
		got, err := ReadBundle(bytes.NewReader(encode(t, b)), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if (got.UBM == nil) != (b.UBM == nil) || got.Extractor != nil || got.PLDA != nil {
			t.Fatalf("%s: unexpected sections", name)
		}
	}
	if _, err := (&Bundle{Extractor: fullBundle(t).Extractor}).WriteTo(new(bytes.Buffer)); err == nil {
		t.Fatal("extractor without UBM written")
	}
}

func TestBundleFrontEndMismatch(t *testing.T) {
	blob := encode(t, fullBundle(t))
	_, err := ReadBundle(bytes.NewReader(blob), json.RawMessage(`{"sample_rate":16000,"num_ceps":20}`))
	var fe *FrontEndMismatchError
	if !errors.As(err, &fe) {
		t.Fatalf("want FrontEndMismatchError, got %v", err)
	}
	t.Log(err)
	// A bundle without a recorded front end does not match a caller that expects one.
	noFE := encode(t, &Bundle{UBM: fullBundle(t).UBM})
	if _, err := ReadBundle(bytes.NewReader(noFE), json.RawMessage(`{"a":1}`)); !errors.As(err, &fe) {
		t.Fatalf("got %v", err)
	}
}

func TestBundleCorruptionNeverPanics(t *testing.T) {
	blob := encode(t, fullBundle(t))
	for n := 0; n < len(blob); n++ {
		if _, err := ReadBundle(bytes.NewReader(blob[:n]), nil); err == nil {
			t.Fatalf("truncation to %d bytes accepted", n)
		} else if n >= 16 && !errors.Is(err, ErrTruncated) {
			t.Fatalf("truncation to %d: %v", n, err)
		}
	}
	for i := 16; i < len(blob); i += 7 {
		bad := append([]byte(nil), blob...)
		bad[i] ^= 0x10
		if _, err := ReadBundle(bytes.NewReader(bad), nil); !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("flip at %d: %v", i, err)
		}
	}
	cases := map[string]struct {
		mutate func([]byte) []byte
		want   error
	}{
		"magic":   {func(b []byte) []byte { b[0] = 'X'; return b }, ErrBadMagic},
		"version": {func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 99); return b }, ErrUnsupportedVersion},
		"huge length": {func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[8:], math.MaxUint64)
			return b
		}, ErrMalformed},
		"length beyond data": {func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[8:], 1<<29)
			return b
		}, ErrTruncated},
		"foreign file": {func([]byte) []byte { return []byte("RIFF....WAVEfmt ........") }, ErrBadMagic},
	}
	for name, c := range cases {
		bad := c.mutate(append([]byte(nil), blob...))
		if _, err := ReadBundle(bytes.NewReader(bad), nil); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v want %v", name, err, c.want)
		}
	}
}

// A body with a valid checksum but lying dimensions is rejected before any big allocation.
func TestBundleLyingDimensions(t *testing.T) {
	var body bytes.Buffer
	p := payload(dims(1<<24, 1<<24)) // UBM claiming 2^48 means, no data
	section(&body, "UBM ", p)
	var sec2 bytes.Buffer
	section(&sec2, "COHR", payload(dims(3, 1<<20), []float64{1, 2}))
	for name, bodyBytes := range map[string][]byte{"ubm": body.Bytes(), "cohort": sec2.Bytes()} {
		if _, err := ReadBundle(rawBundle(bodyBytes), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// rawBundle frames a hand-made body as a bundle of the newest version with a valid checksum.
func rawBundle(body []byte) *bytes.Buffer {
	var f bytes.Buffer
	f.WriteString(bundleMagic)
	binary.Write(&f, binary.LittleEndian, BundleVersion)
	binary.Write(&f, binary.LittleEndian, uint64(len(body)))
	f.Write(body)
	binary.Write(&f, binary.LittleEndian, crc32.Checksum(body, castagnoli))
	return &f
}

// TestBundleSecondSystem checks a bundle with a second speaker system: it is written as format
// version 9, nests the second bundle whole (its own front end included) and reads back with the
// fusion weights; FuseLLR combines as the weights say; inconsistent pairings are refused on
// writing and on reading.
func TestBundleSecondSystem(t *testing.T) {
	b := fullBundle(t)
	sb := fullBundle(t)
	sb.Meta.FrontEnd = json.RawMessage(`{"sample_rate": 8000, "num_ceps": 20, "scale": "linear"}`)
	sb.Calibration.Bias = -2
	b.Second, b.Meta.Fusion = sb, []float64{0.75, 0.5, -0.25}
	blob := encode(t, b)
	if v := binary.LittleEndian.Uint32(blob[4:]); v != 9 {
		t.Fatalf("written as version %d, want 9", v)
	}
	got, err := ReadBundle(bytes.NewReader(blob), json.RawMessage(`{"num_ceps":20,"sample_rate":8000}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Second == nil || got.Second.Calibration.Bias != -2 || !closeSlices(got.Meta.Fusion, b.Meta.Fusion) {
		t.Fatalf("second system not read back: %+v, fusion %v", got.Second, got.Meta.Fusion)
	}
	if fe, _ := canonicalJSON(got.Second.Meta.FrontEnd); string(fe) != `{"num_ceps":20,"sample_rate":8000,"scale":"linear"}` {
		t.Errorf("second system's front end %s", fe)
	}
	if !bytes.Equal(encode(t, got), blob) {
		t.Error("re-encoding changed the bytes")
	}
	if l := got.FuseLLR(2, -4); math.Abs(l-(0.75*2-0.5*4-0.25)) > 1e-6 {
		t.Errorf("FuseLLR(2, -4) = %g", l)
	}
	if l := fullBundle(t).FuseLLR(2, -4); l != 2 {
		t.Errorf("without a second system FuseLLR(2, -4) = %g, want the first LLR", l)
	}
	if v := fullBundle(t).formatVersion(); v == 9 {
		t.Error("a bundle without a second system written as version 9")
	}

	bad := map[string]func(*Bundle){
		"fusion without a second system": func(b *Bundle) { b.Second = nil },
		"second without fusion":          func(b *Bundle) { b.Meta.Fusion = nil },
		"two fusion weights":             func(b *Bundle) { b.Meta.Fusion = []float64{1, 1} },
		"non-finite weight":              func(b *Bundle) { b.Meta.Fusion = []float64{1, math.NaN(), 0} },
		"nested second":                  func(b *Bundle) { b.Second.Second, b.Second.Meta.Fusion = fullBundle(t), []float64{1, 1, 0} },
		"second without calibration":     func(b *Bundle) { b.Second.Calibration = nil },
		"second without front end":       func(b *Bundle) { b.Second.Meta.FrontEnd = nil },
	}
	for name, mutate := range bad {
		c := fullBundle(t)
		c.Second, c.Meta.Fusion = fullBundle(t), []float64{1, 1, 0}
		mutate(c)
		if _, err := c.WriteTo(&bytes.Buffer{}); err == nil {
			t.Errorf("%s: written", name)
		}
	}
	// A reader refuses fusion weights that lost their second system.
	c := fullBundle(t)
	c.Meta.Fusion = []float64{1, 1, 0}
	meta, _ := json.Marshal(c.Meta)
	c.Meta.Fusion = nil
	blob = encode(t, c)
	old := mustMeta(t, c)
	at := bytes.Index(blob, old)
	blob = bytes.Replace(blob, old, meta, 1)
	binary.LittleEndian.PutUint64(blob[at-8:], uint64(len(meta))) // the META section's length
	binary.LittleEndian.PutUint64(blob[8:], uint64(len(blob)-20))
	binary.LittleEndian.PutUint32(blob[len(blob)-4:], crc32.Checksum(blob[16:len(blob)-4], castagnoli))
	if _, err := ReadBundle(bytes.NewReader(blob), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("fusion weights without a second system read: %v", err)
	}
}

func mustMeta(t *testing.T, b *Bundle) []byte {
	t.Helper()
	m, err := json.Marshal(b.Meta)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
