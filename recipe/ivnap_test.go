package recipe

import (
	"math"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/voxguard/voxguard/models"
)

// TestIVectorNAP: from pairs that differ only along a planted channel direction, ivNAP finds it;
// projected vectors keep nothing along it; and an LDA trained on projected vectors, with the
// projection folded in (foldNAP), maps raw vectors exactly as the unfolded LDA maps projected ones.
func TestIVectorNAP(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const R = 6
	ch := []float64{0, 3, 0, 4, 0, 0} // the channel direction, unnormalised (length 5)
	ts := &trainSet{}
	var iv [][]float64
	var labels []int
	for s := range 8 {
		spk := make([]float64, R)
		for d := range spk {
			spk[d] = 3 * rng.NormFloat64()
		}
		for u := range 4 {
			x := make([]float64, R)
			for d := range x {
				x[d] = spk[d] + 0.3*rng.NormFloat64()
			}
			id := string(rune('a'+s)) + string(rune('0'+u))
			name := string(rune('a' + s))
			ts.utts = append(ts.utts, Utt{Corpus: "c", Speaker: name, ID: id})
			ts.spk = append(ts.spk, s)
			iv, labels = append(iv, x), append(labels, s)
			a := rng.NormFloat64()
			y := make([]float64, R)
			for d := range y {
				y[d] = x[d] + a*ch[d] + 0.01*rng.NormFloat64()
			}
			ts.utts = append(ts.utts, Utt{Corpus: "c", Speaker: name, ID: id + "~aug0"})
			ts.spk = append(ts.spk, s)
			iv, labels = append(iv, y), append(labels, s)
		}
	}
	c := &TrainConfig{}
	if u, err := c.ivNAP(ts, iv, func(int) bool { return true }); u != nil || err != nil {
		t.Fatalf("rank 0: %v, %v; want none", u, err)
	}
	c.IVectorNAP = 1
	u, err := c.ivNAP(ts, iv, func(int) bool { return true })
	if err != nil || len(u) != 1 {
		t.Fatalf("rank 1: %d directions, %v", len(u), err)
	}
	if cos := math.Abs(floats.Dot(u[0], ch)) / 5; cos < 0.999 {
		t.Fatalf("found direction %v, |cos| with the planted one %.4f", u[0], cos)
	}
	proj := projectAll(iv, u)
	for i, p := range proj {
		if math.Abs(floats.Dot(p, u[0])) > 1e-9 {
			t.Fatalf("vector %d keeps %g along the direction", i, floats.Dot(p, u[0]))
		}
	}
	lda, err := models.TrainLDA(proj, labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	folded := &models.Affine{In: lda.In, Out: lda.Out, Mean: append([]float64(nil), lda.Mean...), M: append([]float64(nil), lda.M...)}
	foldNAP(folded, u)
	for i := range iv {
		want, got := lda.Apply(nil, proj[i]), folded.Apply(nil, iv[i])
		for d := range want {
			if math.Abs(want[d]-got[d]) > 1e-9*math.Max(1, math.Abs(want[d])) {
				t.Fatalf("vector %d, output %d: folded %g, projected then LDA %g", i, d, got[d], want[d])
			}
		}
	}
	// Only the speakers keep accepts contribute: none gives no pairs, no basis.
	if u, err := c.ivNAP(ts, iv, func(int) bool { return false }); u != nil || err != nil {
		t.Fatalf("no speakers: %v, %v", u, err)
	}
}
