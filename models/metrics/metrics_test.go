package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// The hand-worked case: tar {2,3,4}, non {0,1,2.5}.
// Sorted: 0N 1N 2T 2.5N 3T 4T → PAV blocks {0,1}:0, {2,2.5}:½, {3,4}:1.
// ROCCH (PFA,PMiss): (1,0) (⅓,0) (0,⅓) (0,1) → EER where x+y=⅓ meets x=y: ⅙.
var hTar, hNon = []float64{2, 3, 4}, []float64{0, 1, 2.5}

func TestEERHandWorked(t *testing.T) {
	cases := []struct {
		name     string
		tar, non []float64
		want     float64
	}{
		{"hand", hTar, hNon, 1.0 / 6},
		{"separated", []float64{3, 4}, []float64{1, 2}, 0},
		{"interleaved", []float64{1, 3}, []float64{2, 4}, 0.5},
		{"reversed", []float64{1, 2}, []float64{3, 4}, 0.5}, // the hull is the chance diagonal
		{"all tied", []float64{1, 1}, []float64{1, 1, 1}, 0.5},
	}
	for _, c := range cases {
		if got := EER(c.tar, c.non); !near(got, c.want) {
			t.Errorf("%s: EER %v want %v", c.name, got, c.want)
		}
	}
}

func TestDETHandWorked(t *testing.T) {
	pts := DET(hTar, hNon)
	want := []Point{{0, 0, 1}, {1, 0, 2.0 / 3}, {2, 0, 1.0 / 3}, {2.5, 1.0 / 3, 1.0 / 3}, {3, 1.0 / 3, 0}, {4, 2.0 / 3, 0}, {math.Inf(1), 1, 0}}
	if len(pts) != len(want) {
		t.Fatalf("got %v", pts)
	}
	for i := range want {
		if pts[i].Threshold != want[i].Threshold || !near(pts[i].PMiss, want[i].PMiss) || !near(pts[i].PFA, want[i].PFA) {
			t.Fatalf("point %d: %+v want %+v", i, pts[i], want[i])
		}
	}
	// Ties collapse to one point.
	if p := DET([]float64{1, 1}, []float64{1}); len(p) != 2 || p[0].PMiss != 0 || p[0].PFA != 1 {
		t.Fatalf("ties: %+v", p)
	}
}

func TestMinDCFHandWorked(t *testing.T) {
	// P_tar = ½: normalised DCF = P_miss + P_fa; the best is ⅓ at θ = 2.
	d, th := MinDCF(hTar, hNon, 0.5, 1, 1)
	if !near(d, 1.0/3) || th != 2 {
		t.Fatalf("minDCF %v at %v", d, th)
	}
	// P_tar = 0.01: norm = 0.01; DCF = P_miss + 99 P_fa; best is θ=3: ⅓ + 0 = ⅓.
	d, th = MinDCF(hTar, hNon, 0.01, 1, 1)
	if !near(d, 1.0/3) || th != 3 {
		t.Fatalf("minDCF(0.01) %v at %v", d, th)
	}
	// A useless system never costs more than 1 (the reject-all / accept-all default).
	if d, _ := MinDCF([]float64{0}, []float64{5}, 0.001, 1, 1); d != 1 {
		t.Fatalf("reversed system minDCF %v", d)
	}
}

func TestActDCFAndThreshold(t *testing.T) {
	if th := BayesThreshold(0.5, 1, 1); th != 0 {
		t.Fatal(th)
	}
	if th := BayesThreshold(0.01, 1, 1); !near(th, math.Log(99)) {
		t.Fatal(th)
	}
	// LLRs at P=½ (threshold 0): tar {−1, 2} → 1 miss of 2; non {−3, 0.5} → 1 FA of 2. DCF = ½ + ½ = 1.
	if d := ActDCF([]float64{-1, 2}, []float64{-3, 0.5}, 0.5, 1, 1); !near(d, 1) {
		t.Fatal(d)
	}
	// P=0.01: threshold log 99 ≈ 4.6 → tar {5, 1}: 1 miss; non all below.
	// DCF = (0.01·½ + 0)/0.01 = 0.5.
	if d := ActDCF([]float64{5, 1}, []float64{-3, 4}, 0.01, 1, 1); !near(d, 0.5) {
		t.Fatal(d)
	}
}

func TestCllrHandWorked(t *testing.T) {
	if c := Cllr([]float64{0, 0}, []float64{0}); !near(c, 1) {
		t.Fatalf("uninformative Cllr %v", c)
	}
	// One target at llr = log 3: cost log(1+⅓); one non at −log 3: log(1+⅓). Cllr = log2(4/3).
	if c := Cllr([]float64{math.Log(3)}, []float64{-math.Log(3)}); !near(c, math.Log2(4.0/3)) {
		t.Fatal(c)
	}
	// Hand case: PAV LLRs tar {0, +∞, +∞}, non {−∞, −∞, 0} → Cllr = ⅓.
	if c := MinCllr(hTar, hNon); !near(c, 1.0/3) {
		t.Fatalf("minCllr %v", c)
	}
	if c := MinCllr([]float64{3, 4}, []float64{1, 2}); c != 0 {
		t.Fatalf("separated minCllr %v", c)
	}
	// A useless system's minCllr is 1 (the PAV pools everything to the prior).
	if c := MinCllr([]float64{1, 2}, []float64{3, 4}); !near(c, 1) {
		t.Fatalf("reversed minCllr %v", c)
	}
}

// For Gaussian LLRs that are calibrated by construction, Cllr ≈ minCllr, and
// any miscalibration (scaling) raises Cllr but not minCllr, EER or minDCF.
func TestCalibrationInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	mu := 4.0
	var tar, non, tar3, non3 []float64
	for i := 0; i < 5000; i++ {
		a, b := mu+math.Sqrt(2*mu)*r.NormFloat64(), -mu+math.Sqrt(2*mu)*r.NormFloat64()
		tar, non = append(tar, a), append(non, b)
		tar3, non3 = append(tar3, 3*a+2), append(non3, 3*b+2)
	}
	s, s3 := Evaluate(tar, non), Evaluate(tar3, non3)
	if s.Cllr-s.MinCllr > 0.02 {
		t.Fatalf("calibrated scores: Cllr %v minCllr %v", s.Cllr, s.MinCllr)
	}
	if s3.Cllr < s.Cllr+0.1 {
		t.Fatalf("miscalibration not penalised: %v vs %v", s3.Cllr, s.Cllr)
	}
	if !near(s.EER, s3.EER) || !near(s.MinCllr, s3.MinCllr) || !near(s.MinDCF01, s3.MinDCF01) {
		t.Fatalf("monotone-invariant measures changed: %+v vs %+v", s, s3)
	}
	// Gaussian equal-variance case: EER = Φ(−d'/2), d' = 2μ/√(2μ).
	want := 0.5 * math.Erfc(math.Sqrt(2*mu)/2/math.Sqrt2)
	if math.Abs(s.EER-want) > 0.01 {
		t.Fatalf("EER %v, theory %v", s.EER, want)
	}
	if s.Targets != 5000 || s.NonTargets != 5000 {
		t.Fatal("counts")
	}
}

func TestThresholdAtFAR(t *testing.T) {
	non := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	th := ThresholdAtFAR(non, 0.2) // at most 2 accepted: 9 and 10
	fa := 0
	for _, v := range non {
		if v >= th {
			fa++
		}
	}
	if fa != 2 || th <= 8 || th > 8.0000001 {
		t.Fatalf("threshold %v accepts %d", th, fa)
	}
	if th := ThresholdAtFAR(non, 0); th <= 10 {
		t.Fatal(th)
	}
	if th := ThresholdAtFAR(non, 1); !math.IsInf(th, -1) {
		t.Fatal(th)
	}
}

// BestOffset against hand-worked cases: the root of mean_non σ(s + b) = mean_tar σ(−s − b).
func TestBestOffsetHandWorked(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tar, non []float64
		b        float64
	}{
		// σ(b) = σ(−b): b = 0.
		{"uninformative", []float64{0}, []float64{0}, 0},
		// σ(b) = σ(−2 − b): b = −2 − b, b = −1.
		{"one pair", []float64{2}, []float64{0}, -1},
		// Symmetric about 5: σ(4 + b) = σ(−6 − b) (and σ(6 + b) = σ(−4 − b)) at b = −5.
		{"shifted by 5", []float64{6, 9}, []float64{1, 4}, -5},
		// Symmetric about 0 already.
		{"calibrated pair", []float64{math.Log(3)}, []float64{-math.Log(3)}, 0},
	} {
		b, c := BestOffset(tc.tar, tc.non)
		if math.Abs(b-tc.b) > 1e-9 {
			t.Errorf("%s: best offset %v, want %v", tc.name, b, tc.b)
		}
		shift := func(v []float64) []float64 {
			out := make([]float64, len(v))
			for i, x := range v {
				out[i] = x + tc.b
			}
			return out
		}
		if want := Cllr(shift(tc.tar), shift(tc.non)); math.Abs(c-want) > 1e-9 {
			t.Errorf("%s: Cllr at the offset %v, want %v", tc.name, c, want)
		}
	}
	if b, c := BestOffset(nil, []float64{1}); !math.IsNaN(b) || !math.IsNaN(c) {
		t.Errorf("no targets: %v, %v; want NaN", b, c)
	}
	// Perfectly separated LLRs far off zero still give a finite offset between the classes.
	if b, _ := BestOffset([]float64{1e4}, []float64{1e4 - 10}); math.Abs(b+(1e4-5)) > 1e-6 {
		t.Errorf("far-off pair: offset %v, want %v", b, -(1e4 - 5))
	}
}

// Calibrated Gaussian LLRs shifted by c want an offset near −c, and the offset's Cllr lies
// between minCllr and Cllr.
func TestBestOffsetRecoversShift(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	mu := 3.0
	for _, c := range []float64{-2.5, 0, 1.4} {
		var tar, non []float64
		for range 20000 {
			tar = append(tar, mu+math.Sqrt(2*mu)*r.NormFloat64()+c)
			non = append(non, -mu+math.Sqrt(2*mu)*r.NormFloat64()+c)
		}
		s := Evaluate(tar, non)
		if math.Abs(s.BestOffset+c) > 0.1 {
			t.Errorf("shift %v: best offset %v, want about %v", c, s.BestOffset, -c)
		}
		if s.OffsetCllr > s.Cllr+1e-12 || s.OffsetCllr < s.MinCllr-1e-12 {
			t.Errorf("shift %v: offset Cllr %v outside [minCllr %v, Cllr %v]", c, s.OffsetCllr, s.MinCllr, s.Cllr)
		}
	}
}
