package models

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/voxguard/voxguard/internal/vec"
)

// napWorld plants two nuisance directions v1, v2 (orthonormal, in the √w-weighted space) in the
// model vectors of 20 speakers with 6 recordings each: o = W^-½ (speaker + a·v1 + b·v2 + noise)
// with a, b of standard deviation 3 and noise 0.05 per value.
func napWorld(C, D int) (w []float64, vecs [][]float32, labels []int, v1, v2 []float64) {
	r := newRand(7)
	dim := C * D
	w = make([]float64, C)
	var tot float64
	for c := range w {
		w[c] = 0.5 + r.Float64()
		tot += w[c]
	}
	for c := range w {
		w[c] /= tot
	}
	unit := func() []float64 {
		v := make([]float64, dim)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		return v
	}
	norm := func(v []float64) {
		var n float64
		for _, x := range v {
			n += x * x
		}
		for i := range v {
			v[i] /= math.Sqrt(n)
		}
	}
	v1, v2 = unit(), unit()
	norm(v1)
	var p float64
	for i := range v2 {
		p += v1[i] * v2[i]
	}
	for i := range v2 {
		v2[i] -= p * v1[i]
	}
	norm(v2)
	for s := range 20 {
		spk := unit()
		for range 6 {
			a, b := 3*r.NormFloat64(), 3*r.NormFloat64()
			o := make([]float32, dim)
			for i := range o {
				z := spk[i] + a*v1[i] + b*v2[i] + 0.05*r.NormFloat64()
				o[i] = float32(z / math.Sqrt(w[i/D]))
			}
			vecs = append(vecs, o)
			labels = append(labels, s)
		}
	}
	return w, vecs, labels, v1, v2
}

// TestTrainNAPFindsPlantedDirections: the basis spans the planted nuisance plane (each row's
// squared projection onto it above 0.999), is orthonormal, and projected model vectors keep
// nothing along it while the speakers' own differences survive.
func TestTrainNAPFindsPlantedDirections(t *testing.T) {
	const C, D = 8, 12
	w, vecs, labels, v1, v2 := napWorld(C, D)
	u, err := TrainNAP(w, vecs, labels, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	dot := func(a []float32, b []float64) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * b[i]
		}
		return s
	}
	for i, r := range u {
		if in := dot(r, v1)*dot(r, v1) + dot(r, v2)*dot(r, v2); in < 0.999 {
			t.Errorf("row %d: squared projection onto the planted plane %.4f, want > 0.999", i, in)
		}
		for j, q := range u {
			var s float64
			for d := range r {
				s += float64(r[d]) * float64(q[d])
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(s-want) > 1e-5 {
				t.Errorf("rows %d, %d: inner product %g, want %g", i, j, s, want)
			}
		}
	}
	sw := sqrtWeights(w, D)
	within, between := 0.0, 0.0 // mean squared distance after projection, same / other speaker
	proj := make([][]float32, len(vecs))
	for i, o := range vecs {
		proj[i] = append([]float32(nil), o...)
		projectNAP(proj[i], u, sw)
		z := make([]float32, len(o))
		for d := range o {
			z[d] = proj[i][d] * sw[d]
		}
		// The planted components have a standard deviation of 3; the basis, estimated from
		// noisy data, is off the plane by ~0.3°.
		if a, b := dot(z, v1), dot(z, v2); math.Abs(a) > 0.1 || math.Abs(b) > 0.1 {
			t.Fatalf("vector %d keeps %g, %g along the nuisance directions", i, a, b)
		}
		// Idempotent: projecting again changes nothing.
		again := append([]float32(nil), proj[i]...)
		projectNAP(again, u, sw)
		for d := range again {
			if math.Abs(float64(again[d]-proj[i][d])) > 1e-5 {
				t.Fatalf("projection is not idempotent at %d: %g vs %g", d, again[d], proj[i][d])
			}
		}
	}
	var nw, nb int
	for i := range proj {
		for j := i + 1; j < len(proj); j++ {
			var s float64
			for d := range proj[i] {
				x := float64(proj[i][d]-proj[j][d]) * float64(sw[d])
				s += x * x
			}
			if labels[i] == labels[j] {
				within, nw = within+s, nw+1
			} else {
				between, nb = between+s, nb+1
			}
		}
	}
	within, between = within/float64(nw), between/float64(nb)
	// Noise alone leaves 2·0.05²·(C·D−2) ≈ 0.47 within; speakers differ by ~2·C·D = 192.
	if within > 1 || between < 150 {
		t.Fatalf("after projection: within-speaker %.3f, between %.1f", within, between)
	}
}

// TestTrainNAPRefusesBadInput: a rank of 0, mismatched labels and too few within-speaker
// vectors are refused with errors, not panics.
func TestTrainNAPRefusesBadInput(t *testing.T) {
	w, vecs, labels, _, _ := napWorld(4, 3)
	single := make([]int, len(labels))
	for i := range single {
		single[i] = i // every speaker once: no within-speaker scatter
	}
	cases := []struct {
		name   string
		k      int
		vecs   [][]float32
		labels []int
	}{
		{"rank 0", 0, vecs, labels},
		{"labels short", 2, vecs, labels[1:]},
		{"no within-speaker vectors", 2, vecs, single},
		{"rank above the data", 200, vecs, labels},
		{"ragged", 2, append([][]float32{vecs[0][:5]}, vecs[1:]...), labels},
	}
	for _, tc := range cases {
		if _, err := TrainNAP(w, tc.vecs, tc.labels, tc.k, 2); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestGMMNAPScoresAndRoundTrip: with a basis the GMM scorer's model vectors are the projected
// MAP shifts, the score o'·t equals the dot product of both sides projected in the weighted
// space, and the basis survives the bundle's round trip (and is refused without a cohort).
func TestGMMNAPScoresAndRoundTrip(t *testing.T) {
	b := fullBundle(t)
	C, D := b.UBM.C, b.UBM.D
	r := newRand(3)
	g := &GMMLinear{Relevance: 4}
	for range 2 {
		n := make([]float64, C)
		f := make([]float64, C*D)
		for j := range n {
			n[j] = 1 + r.Float64()*10
		}
		for j := range f {
			f[j] = r.NormFloat64()
		}
		g.CohortN, g.CohortF = append(g.CohortN, n), append(g.CohortF, f)
	}
	basis := make([][]float32, 2)
	for i := range basis {
		basis[i] = make([]float32, C*D)
		for j := range basis[i] {
			basis[i][j] = float32(r.NormFloat64())
		}
	}
	orthonormalize(basis)
	g.NAP = basis
	if err := g.Prepare(b.UBM); err != nil {
		t.Fatal(err)
	}
	n, f := g.CohortN[0], g.CohortF[0]
	plain := (&GMMLinear{Relevance: 4}).ModelVector(n, f)
	o := g.ModelVector(n, f)
	tv := TestVector(g.CohortN[1], g.CohortF[1])
	// Reference: project both sides in the weighted space, z_o = √w·o, z_t = t/√w.
	sw := sqrtWeights(b.UBM.Weights, D)
	zo, zt := make([]float64, C*D), make([]float64, C*D)
	for i := range zo {
		zo[i], zt[i] = float64(plain[i]*sw[i]), float64(tv[i]/sw[i])
	}
	for _, u := range basis {
		var po, pt float64
		for i := range u {
			po += float64(u[i]) * zo[i]
			pt += float64(u[i]) * zt[i]
		}
		for i := range u {
			zo[i] -= po * float64(u[i])
			zt[i] -= pt * float64(u[i])
		}
	}
	var want float64
	for i := range zo {
		want += zo[i] * zt[i]
	}
	if got := Dot(o, tv); math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Fatalf("projected score %g, both sides projected %g", got, want)
	}
	b.GMM = g
	blob := encode(t, b)
	got, err := ReadBundle(bytes.NewReader(blob), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GMM.NAP) != 2 {
		t.Fatalf("NAP basis lost: %d rows", len(got.GMM.NAP))
	}
	if v := binary.LittleEndian.Uint32(blob[4:]); v != 3 {
		t.Errorf("a bundle with a NAP basis written as version %d, want 3", v)
	}
	h := make([]uint16, 1)
	for i := range basis {
		for j := range basis[i] {
			vec.ToF16(h, basis[i][j:j+1])
			if got.GMM.NAP[i][j] != vec.FromF16(h[0]) {
				t.Fatalf("basis row %d differs at %d from its half-precision value", i, j)
			}
		}
	}
	if o2 := got.GMM.ModelVector(n, f); math.Abs(Dot(o2, tv)-Dot(o, tv)) > 1e-3*math.Max(1, math.Abs(Dot(o, tv))) {
		t.Fatalf("the loaded scorer projects differently: %g vs %g", Dot(o2, tv), Dot(o, tv))
	}
	if !bytes.Equal(encode(t, got), blob) {
		t.Fatal("re-encoding changed the bytes")
	}
	// A basis of the wrong width is refused by Prepare.
	g2 := &GMMLinear{Relevance: 4, NAP: [][]float32{make([]float32, 3)}}
	if err := g2.Prepare(b.UBM); err == nil {
		t.Fatal("a basis of the wrong width was accepted")
	}
}

// TestGMMNAPMalformedSections: a basis without a GMM cohort, a basis claiming more values than
// it holds, one of the wrong shape and one holding a non-finite value are refused as malformed.
func TestGMMNAPMalformedSections(t *testing.T) {
	b := fullBundle(t)
	C, D := b.UBM.C, b.UBM.D
	b.GMM = &GMMLinear{Relevance: 4, CohortN: [][]float64{make([]float64, C)}, CohortF: [][]float64{make([]float64, C*D)}}
	withGMM := encode(t, b)
	body := withGMM[16 : len(withGMM)-4]
	half := func(n int, v uint16) []byte {
		p := []byte{}
		for range n {
			p = binary.LittleEndian.AppendUint16(p, v)
		}
		return p
	}
	cases := map[string][]byte{}
	var s bytes.Buffer
	section(&s, "GNAP", append(payload(dims(1, C, D)), half(C*D, 0x2000)...))
	cases["no cohort"] = s.Bytes()
	for name, p := range map[string][]byte{
		"claims more":  append(payload(dims(5, C, D)), half(C*D, 0x2000)...),
		"wrong shape":  append(payload(dims(1, C+1, D)), half((C+1)*D, 0x2000)...),
		"not finite":   append(payload(dims(1, C, D)), half(C*D, 0x7c00)...), // +Inf
		"trailing odd": append(payload(dims(1, C, D)), half(C*D+3, 0x2000)...),
	} {
		var s bytes.Buffer
		s.Write(body)
		section(&s, "GNAP", p)
		cases[name] = s.Bytes()
	}
	for name, bodyBytes := range cases {
		if _, err := ReadBundle(rawBundle(bodyBytes), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want a malformed bundle", name, err)
		}
	}
}

// TestNAPProjectorMatchesReference: the two-product projector gives projectNAP's vectors (within
// float32 rounding; the basis rounded to half precision first, as bundles store it) for a basis of odd rank over an odd number of values, zero weights included.
func TestNAPProjectorMatchesReference(t *testing.T) {
	r := newRand(11)
	const C, D, k = 7, 13, 5
	w := make([]float64, C)
	for c := range w {
		w[c] = r.Float64()
	}
	w[3] = 0 // a component no frame reaches
	u := make([][]float32, k)
	for i := range u {
		u[i] = make([]float32, C*D)
		for j := range u[i] {
			u[i][j] = float32(r.NormFloat64())
		}
	}
	orthonormalize(u)
	h := make([]uint16, C*D)
	for i := range u { // the projector keeps the basis in half precision, as bundles store it
		vec.ToF16(h, u[i])
		for j := range h {
			u[i][j] = vec.FromF16(h[j])
		}
	}
	sw := sqrtWeights(w, D)
	p := newNAPProjector(u, sw)
	for trial := range 5 {
		o := make([]float32, C*D)
		for j := range o {
			o[j] = float32(r.NormFloat64())
		}
		want, got := append([]float32(nil), o...), append([]float32(nil), o...)
		projectNAP(want, u, sw)
		p.project(got)
		for j := range want {
			if math.Abs(float64(want[j]-got[j])) > 1e-4*math.Max(1, math.Abs(float64(want[j]))) {
				t.Fatalf("trial %d, value %d: projector %g, reference %g", trial, j, got[j], want[j])
			}
		}
	}
}

// projectNAP removes from model vector o (in place) its components along basis u in the
// √w-weighted space: o ← W^-½ (I − UUᵀ) W^½ o, sw holding √w per value. It is the reference
// for napProjector.project.
func projectNAP(o []float32, u [][]float32, sw []float32) {
	if len(u) == 0 {
		return
	}
	z := make([]float32, len(o))
	for i, v := range o {
		z[i] = v * sw[i]
	}
	for _, r := range u {
		p := vec.Dot(r, z)
		for i, x := range r {
			z[i] -= p * x
		}
	}
	for i, v := range z {
		if sw[i] > 0 {
			o[i] = v / sw[i]
		} else {
			o[i] = 0
		}
	}
}
