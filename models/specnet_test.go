package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// specNetRef is testdata/specnet_ref.json: a SpecNet's weights and inputs with the logits
// PyTorch computed for them (testdata/specnet_ref.py).
type specNetRef struct {
	Bins       int     `json:"bins"`
	InputScale float32 `json:"input_scale"`
	Hidden     int     `json:"hidden"`
	Layers     []struct {
		Kind  string    `json:"kind"`
		K     int       `json:"k"`
		In    int       `json:"in"`
		Out   int       `json:"out"`
		W     []float32 `json:"w"`
		B     []float32 `json:"b"`
		Scale []float32 `json:"scale"`
		Shift []float32 `json:"shift"`
	} `json:"layers"`
	W1    []float32 `json:"w1"`
	B1    []float32 `json:"b1"`
	W2    []float32 `json:"w2"`
	B2    float32   `json:"b2"`
	Cases []struct {
		T      int       `json:"t"`
		Stride int       `json:"stride"`
		Spec   []float32 `json:"spec"`
		Logit  float64   `json:"logit"`
	} `json:"cases"`
}

func loadSpecNetRef(t *testing.T) (*SpecNet, *specNetRef) {
	t.Helper()
	b, err := os.ReadFile("testdata/specnet_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref specNetRef
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	n := &SpecNet{Bins: ref.Bins, InputScale: ref.InputScale, Hidden: ref.Hidden, W1: ref.W1, B1: ref.B1, W2: ref.W2, B2: ref.B2}
	for _, l := range ref.Layers {
		n.Layers = append(n.Layers, SpecLayer{Kind: l.Kind, K: l.K, In: l.In, Out: l.Out, W: l.W, B: l.B, Scale: l.Scale, Shift: l.Shift})
	}
	return n, &ref
}

// TestSpecNetReference checks the network's logits against PyTorch's for the same weights and
// inputs (odd and even lengths, rows longer than Bins, the shortest input the pools allow).
func TestSpecNetReference(t *testing.T) {
	n, ref := loadSpecNetRef(t)
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := n.MinFrames(); got != 4 {
		t.Errorf("MinFrames = %d, want 4", got)
	}
	for _, c := range ref.Cases {
		got, ok := n.Logit(c.Spec, c.T, c.Stride)
		if !ok || math.Abs(got-c.Logit) > 1e-4*(1+math.Abs(c.Logit)) {
			t.Errorf("T=%d: logit %v (ok %v), PyTorch %v", c.T, got, ok, c.Logit)
		}
	}
	if _, ok := n.Logit(ref.Cases[0].Spec, 3, ref.Cases[0].Stride); ok {
		t.Error("3 frames accepted, want at least 4")
	}
}

func TestSpecNetValidate(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(n *SpecNet)
	}{
		{"kernel even", func(n *SpecNet) { n.Layers[0].K = 4 }},
		{"channels do not chain", func(n *SpecNet) { n.Layers[2].In = 3 }},
		{"short weights", func(n *SpecNet) { n.Layers[2].W = n.Layers[2].W[1:] }},
		{"pool channels", func(n *SpecNet) { n.Layers[1].Out = 5 }},
		{"norm length", func(n *SpecNet) { n.Layers[3].Scale = n.Layers[3].Scale[1:] }},
		{"unknown kind", func(n *SpecNet) { n.Layers[1].Kind = "avg" }},
		{"head size", func(n *SpecNet) { n.W1 = n.W1[1:] }},
		{"non-finite", func(n *SpecNet) { n.W2[0] = float32(math.NaN()) }},
		{"pooled away", func(n *SpecNet) { n.Bins = 3 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := loadSpecNetRef(t)
			tc.break_(n)
			if err := n.Validate(); err == nil {
				t.Error("Validate accepted a broken network")
			}
		})
	}
}

// specLoss runs the batch forward in training mode and returns the summed cross-entropy and its
// derivatives by the logits.
func specLoss(st *specTrain, xs []specAct, ys []float64) (float64, []float64) {
	cs := make([]*specCache, len(xs))
	for b := range cs {
		cs[b] = &specCache{}
	}
	st.forward(xs, cs, nil)
	loss, dz := 0.0, make([]float64, len(xs))
	for b, c := range cs {
		l, d := exampleLoss(c.z, ys[b], st.oneClass)
		loss += l
		dz[b] = d
	}
	return loss, dz
}

// specCM is synthCM's countermeasure with n as its spectrum network on a 16-bin front end, a
// 1 % threshold and fixed fusion weights.
func specCM(t *testing.T, n *SpecNet) *Countermeasure {
	t.Helper()
	cm, _ := synthCM(t, 1)
	cm.FARThresholds = []FARPoint{{FAR: 0.01, LLR: 1}}
	cm.Spec, cm.SpecFrontEnd, cm.SpecSeconds = n, json.RawMessage(`{"bins":16}`), 6
	cm.Fusion = &SpoofFusion{SpecWeight: 0.75, SpecMean: 1, SpecStd: 2, BaseMean: -1, BaseStd: 0.5}
	return cm
}

// roundTrip writes b, checks the format version it is written as, and reads it back.
func roundTrip(t *testing.T, b *Bundle, version uint32) *Bundle {
	t.Helper()
	data := encode(t, b)
	if v := binary.LittleEndian.Uint32(data[4:]); v != version {
		t.Errorf("format version %d, want %d", v, version)
	}
	got, err := ReadBundle(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSpecNetGradient compares the backward pass with central differences of the loss, for
// every kind of tensor (convolutions of each size, norms' scales and shifts, the head), with
// batch normalisation on the batch's statistics, for the linear and the one-class head.
func TestSpecNetGradient(t *testing.T) {
	for _, oneClass := range []bool{false, true} {
		t.Run(fmt.Sprintf("oneClass=%v", oneClass), func(t *testing.T) {
			cfg := SpecNetConfig{Bins: 16, Hidden: 3, Dropout: -1, Seed: 3, OneClass: oneClass, Layers: []SpecLayer{
				{Kind: SpecConv, K: 5, Out: 4}, {Kind: SpecPool}, {Kind: SpecConv, K: 1, Out: 4}, {Kind: SpecNorm},
				{Kind: SpecConv, K: 3, Out: 6}, {Kind: SpecPool}, {Kind: SpecNorm}}}
			cfg.defaults()
			rng := rand.New(rand.NewPCG(1, 2))
			st, err := newSpecTrain(cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			st.training, st.dropout = true, 0
			xs := make([]specAct, 4)
			ys := []float64{0, 1, 0, 1}
			for b := range xs {
				xs[b] = specAct{t: 12, f: 16, c: 1, x: make([]float32, 12*16)}
				for i := range xs[b].x {
					xs[b].x[i] = float32(rng.NormFloat64())
				}
			}
			cs := make([]*specCache, len(xs))
			for b := range cs {
				cs[b] = &specCache{}
			}
			st.forward(xs, cs, nil)
			_, dz := specLoss(st, xs, ys)
			st.forward(xs, cs, nil)
			st.backward(cs, dz)
			checked, bad := 0, 0
			for k, p := range st.params {
				for j := range min(len(p), 12) {
					i := j * len(p) / min(len(p), 12)
					orig := p[i]
					const h = 3e-4
					p[i] = orig + h
					lp, _ := specLoss(st, xs, ys)
					p[i] = orig - h
					lm, _ := specLoss(st, xs, ys)
					p[i] = orig
					num, got := (lp-lm)/(2*h), float64(st.grads[k][i])
					checked++
					if math.Abs(num-got) > 2e-3+0.03*math.Abs(num) {
						bad++
						t.Logf("tensor %d [%d]: backward %.6g, differences %.6g", k, i, got, num)
						// The output layer's weights switch no max: each must match.
						if k == st.pW2 || k == st.pB2 {
							t.Errorf("output tensor %d [%d]: backward %.6g, differences %.6g", k, i, got, num)
						}
					}
				}
			}
			// A max (feature map or pool) may switch inside ±h for an entry or two; a wrong
			// backward pass misses most of them.
			if bad > checked/20 {
				t.Errorf("%d of %d gradients off", bad, checked)
			}
		})
	}
}

// TestSpoofBundleSpecNet round-trips a countermeasure carrying a spectrum network through the
// bundle: the network's logits are unchanged, FuseSpec weighs it as stated, and a truncated or
// inconsistent section is malformed.
func TestSpoofBundleSpecNet(t *testing.T) {
	n, ref := loadSpecNetRef(t)
	cm, _ := synthCM(t, 1)
	cm.FARThresholds = []FARPoint{{FAR: 0.01, LLR: 1}}
	cm.BaseFARThresholds = []FARPoint{{FAR: 0.01, LLR: 3}}
	if cm.Validate() == nil {
		t.Error("base thresholds without a spectrum network validated")
	}
	cm.BaseFARThresholds = nil
	cm.Spec, cm.SpecFrontEnd, cm.SpecSeconds = n, json.RawMessage(`{"bins":16}`), 6
	if cm.Validate() == nil {
		t.Error("spectrum network without a fusion validated")
	}
	cm.Fusion = &SpoofFusion{SpecWeight: 0.75, SpecMean: 1, SpecStd: 2, BaseMean: -1, BaseStd: 0.5}
	cm.BaseFARThresholds = []FARPoint{{FAR: 0.01, LLR: 3}, {FAR: 0.005, LLR: 4}}
	if cm.Validate() == nil {
		t.Error("base thresholds in descending FAR validated")
	}
	cm.BaseFARThresholds = []FARPoint{{FAR: 0.005, LLR: 4}, {FAR: 0.01, LLR: 3}}
	// Version 11: older readers refuse it by version.
	g := roundTrip(t, &Bundle{Spoof: cm}, 11).Spoof
	if g.Spec == nil || g.SpecSeconds != 6 || string(g.SpecFrontEnd) != `{"bins":16}` {
		t.Fatalf("spectrum network lost: %+v", g)
	}
	for _, tc := range []struct{ far, base, full float64 }{{0.01, 3, 1}, {0.007, 4, 1}, {0.001, 4, 1}} {
		b, okb := g.BaseThreshold(tc.far)
		f, okf := g.Threshold(tc.far)
		if !okb || !okf || b != tc.base || f != tc.full {
			t.Errorf("at %g: base threshold %v (%v), full %v (%v); want %v and %v", tc.far, b, okb, f, okf, tc.base, tc.full)
		}
	}
	for _, c := range ref.Cases {
		a, _ := n.Logit(c.Spec, c.T, c.Stride)
		b, _ := g.Spec.Logit(c.Spec, c.T, c.Stride)
		if a != b {
			t.Errorf("T=%d: logit %v after the round trip, %v before", c.T, b, a)
		}
	}
	// (1−0.75)·(0 − (−1))/0.5 + 0.75·(3 − 1)/2 = 0.5 + 0.75
	if got := g.Fusion.FuseSpec(0, 3); math.Abs(got-1.25) > 1e-12 {
		t.Errorf("FuseSpec = %v, want 1.25", got)
	}
	only := SpoofFusion{SpecWeight: 1, SpecMean: 1, SpecStd: 2}
	if got := only.FuseSpec(math.NaN(), 3); got != 1 {
		t.Errorf("FuseSpec with weight 1 = %v, want 1 (the base ignored)", got)
	}
	p, _ := marshalSpoof(cm)
	if _, err := parseSpoof(&reader{b: p[:len(p)-4], tag: "SPOF"}); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated spectrum network: %v", err)
	}
	cm.Spec.Layers[2].In = 5 // the shapes no longer chain
	js, _ := json.Marshal(cm)
	bad := append(binary.LittleEndian.AppendUint32(nil, uint32(len(js))), js...)
	bad = append(bad, p[4+binary.LittleEndian.Uint32(p):]...)
	if _, err := parseSpoof(&reader{b: bad, tag: "SPOF"}); !errors.Is(err, ErrMalformed) {
		t.Errorf("inconsistent spectrum network: %v", err)
	}
}

// BenchmarkSpecNetLogit scores 6 s of speech (600 frames of 128 bins) with the default
// architecture: the spectrum network's work per call.
func BenchmarkSpecNetLogit(b *testing.B) {
	for _, bc := range []struct {
		name    string
		T, bins int
	}{
		{"32ms", 600, 128},    // the shipped front end: 6 s of 32 ms frames every 10 ms
		{"8ms/2ms", 3000, 32}, // train-spoof --spec-view 64/16/32: 6 s of 8 ms frames every 2 ms
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := SpecNetConfig{Bins: bc.bins}
			c.defaults()
			st, err := newSpecTrain(c, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				b.Fatal(err)
			}
			n := st.export()
			r := rand.New(rand.NewPCG(2, 2))
			x := make([]float32, bc.T*bc.bins)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			b.ResetTimer()
			for range b.N {
				if _, ok := n.Logit(x, bc.T, bc.bins); !ok {
					b.Fatal("not scored")
				}
			}
		})
	}
}

// BenchmarkSpecNetTrainStep is one training step of the default architecture and batch (32
// crops of 150 frames of each class): forward, backward and Adam.
func BenchmarkSpecNetTrainStep(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	rec := func() SpecRecording {
		x := make([]float32, 300*128)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return SpecRecording{X: x, T: 300, Stride: 128}
	}
	bona, spoof := []SpecRecording{rec(), rec()}, []SpecRecording{rec(), rec()}
	b.ResetTimer()
	for range b.N {
		if _, err := TrainSpecNet([][]SpecRecording{bona}, [][]SpecRecording{spoof}, SpecNetConfig{Steps: 2}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(2*b.N), "ms/step")
}

// TestIm2col checks im2col against its definition, element by element, on shapes with edges on
// every side (inputs narrower than the kernel too) and stale values in dst to be overwritten.
func TestIm2col(t *testing.T) {
	for _, tc := range []struct{ t, f, c, k int }{
		{1, 1, 1, 3}, {2, 3, 1, 5}, {4, 7, 3, 3}, {5, 9, 16, 3}, {3, 4, 2, 5}, {6, 11, 1, 5}, {3, 5, 40, 3}, {2, 2, 4, 1},
	} {
		r := rand.New(rand.NewPCG(uint64(tc.f), uint64(tc.c)))
		a := specAct{t: tc.t, f: tc.f, c: tc.c, x: make([]float32, tc.t*tc.f*tc.c)}
		for i := range a.x {
			a.x[i] = float32(r.NormFloat64())
		}
		p, row := tc.k/2, tc.k*tc.k*tc.c
		dst := make([]float32, tc.t*tc.f*row)
		for i := range dst {
			dst[i] = float32(math.NaN())
		}
		im2col(dst, a, tc.k)
		for ti := range tc.t {
			for fi := range tc.f {
				for dt := -p; dt <= p; dt++ {
					for df := -p; df <= p; df++ {
						for c := range tc.c {
							want := float32(0)
							if tt, ff := ti+dt, fi+df; tt >= 0 && tt < tc.t && ff >= 0 && ff < tc.f {
								want = a.x[(tt*tc.f+ff)*tc.c+c]
							}
							got := dst[(ti*tc.f+fi)*row+((dt+p)*tc.k+df+p)*tc.c+c]
							if got != want {
								t.Fatalf("%+v: position (%d,%d) offset (%d,%d) channel %d: %v, want %v", tc, ti, fi, dt, df, c, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestSpecNetDirectConv: Logit's first layer by direct convolution gives the same logit, to the
// bit, as through the im2col matrix and the general product.
func TestSpecNetDirectConv(t *testing.T) {
	c := SpecNetConfig{}
	c.defaults()
	st, err := newSpecTrain(c, rand.New(rand.NewPCG(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	n := st.export()
	r := rand.New(rand.NewPCG(5, 5))
	for _, T := range []int{150, 301, 600} {
		x := make([]float32, T*128)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		direct, ok := n.Logit(x, T, 128)
		if !ok {
			t.Fatal("not scored")
		}
		specDirectConv = false
		viaGemm, _ := n.Logit(x, T, 128)
		specDirectConv = true
		if math.Float64bits(direct) != math.Float64bits(viaGemm) {
			t.Errorf("%d frames: direct %v, im2col %v", T, direct, viaGemm)
		}
	}
}

// TestSpecNetMembers checks an ensemble: its log-odds are the mean of its networks' (a member
// that differs only in its output bias by 1.5 moves the mean by 0.75; a member of other weights
// gives the mean of the two logits), it survives the bundle round trip as format version 12,
// and Validate and the reader refuse nested, mismatched or truncated members.
func TestSpecNetMembers(t *testing.T) {
	n, ref := loadSpecNetRef(t)
	shifted, _ := loadSpecNetRef(t)
	shifted.B2 += 1.5
	other, _ := loadSpecNetRef(t)
	for i := range other.W2 {
		other.W2[i] *= -0.5
	}
	single := make([]float64, len(ref.Cases))
	for i, c := range ref.Cases {
		single[i], _ = n.Logit(c.Spec, c.T, c.Stride)
	}
	n.Members = []*SpecNet{shifted}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, c := range ref.Cases {
		got, ok := n.Logit(c.Spec, c.T, c.Stride)
		if !ok || math.Abs(got-(single[i]+0.75)) > 1e-5 {
			t.Errorf("T=%d: ensemble with a shifted copy %v, want %v", c.T, got, single[i]+0.75)
		}
	}
	n.Members = []*SpecNet{other}
	for i, c := range ref.Cases {
		o, _ := other.Logit(c.Spec, c.T, c.Stride)
		got, _ := n.Logit(c.Spec, c.T, c.Stride)
		if math.Abs(got-(single[i]+o)/2) > 1e-9 || o == single[i] {
			t.Errorf("T=%d: ensemble %v, want the mean of %v and %v", c.T, got, single[i], o)
		}
	}
	if _, ok := n.Logit(ref.Cases[0].Spec, 3, ref.Cases[0].Stride); ok {
		t.Error("3 frames accepted by the ensemble, want at least 4")
	}

	cm := specCM(t, n)
	got := roundTrip(t, &Bundle{Spoof: cm}, 12)
	if g := got.Spoof.Spec; g == nil || len(g.Members) != 1 {
		t.Fatalf("members lost: %+v", g)
	}
	for _, c := range ref.Cases {
		a, _ := n.Logit(c.Spec, c.T, c.Stride)
		b, _ := got.Spoof.Spec.Logit(c.Spec, c.T, c.Stride)
		if a != b {
			t.Errorf("T=%d: ensemble logit %v after the round trip, %v before", c.T, b, a)
		}
	}
	p, _ := marshalSpoof(cm)
	if _, err := parseSpoof(&reader{b: p[:len(p)-4], tag: "SPOF"}); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated member: %v", err)
	}

	for _, tc := range []struct {
		name   string
		break_ func(n *SpecNet)
	}{
		{"nil member", func(n *SpecNet) { n.Members = []*SpecNet{nil} }},
		{"nested", func(n *SpecNet) { o, _ := loadSpecNetRef(t); o.Members = []*SpecNet{other}; n.Members = []*SpecNet{o} }},
		{"other bins", func(n *SpecNet) { o, _ := loadSpecNetRef(t); o.Bins *= 2; n.Members = []*SpecNet{o} }},
		{"broken member", func(n *SpecNet) { o, _ := loadSpecNetRef(t); o.W1 = o.W1[1:]; n.Members = []*SpecNet{o} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := loadSpecNetRef(t)
			tc.break_(b)
			if err := b.Validate(); err == nil {
				t.Error("Validate accepted a broken ensemble")
			}
		})
	}
}

// viewCM is specCM on the reference network n with a view: n again with its output bias raised
// by 3, on the front end {"bins":16,"frame_shift":16}.
func viewCM(t *testing.T) (*SpecNet, *specNetRef, *Countermeasure) {
	t.Helper()
	n, ref := loadSpecNetRef(t)
	view, _ := loadSpecNetRef(t)
	view.B2 += 3
	cm := specCM(t, n)
	cm.SpecViews = []SpecView{{Net: view, FrontEnd: json.RawMessage(`{"bins":16,"frame_shift":16}`)}}
	return n, ref, cm
}

// TestSpecViews checks spectrum networks on further front ends (Countermeasure.SpecViews): the
// countermeasure's log-odds are the mean of Spec's on the first spectrum and each view's on its
// own (hand-worked: a view that is Spec with its output bias raised by 3, on the same input,
// moves the mean by 1.5); a missing or too short spectrum gives no score; the views survive the
// bundle round trip as format version 13; Validate and the reader refuse broken views.
func TestSpecViews(t *testing.T) {
	n, ref, cm := viewCM(t)
	if err := cm.Validate(); err != nil {
		t.Fatal(err)
	}
	if fes := cm.SpecFrontEnds(); len(fes) != 2 || string(fes[1]) != `{"bins":16,"frame_shift":16}` {
		t.Fatalf("front ends %s", fes)
	}
	for _, c := range ref.Cases {
		r := SpecRecording{X: c.Spec, T: c.T, Stride: c.Stride}
		single, _ := n.Logit(c.Spec, c.T, c.Stride)
		got, ok := cm.SpecLogit([]SpecRecording{r, r})
		if !ok || math.Abs(got-(single+1.5)) > 1e-5 {
			t.Errorf("T=%d: two views %v, want %v", c.T, got, single+1.5)
		}
		if _, ok := cm.SpecLogit([]SpecRecording{r}); ok {
			t.Errorf("T=%d: scored without the view's spectrum", c.T)
		}
		if _, ok := cm.SpecLogit([]SpecRecording{r, {X: c.Spec, T: 3, Stride: c.Stride}}); ok {
			t.Errorf("T=%d: scored with the view's spectrum 3 frames long", c.T)
		}
	}
	got := roundTrip(t, &Bundle{Spoof: cm}, 13)
	if len(got.Spoof.SpecViews) != 1 || string(got.Spoof.SpecViews[0].FrontEnd) != `{"bins":16,"frame_shift":16}` {
		t.Fatalf("views after the round trip: %+v", got.Spoof.SpecViews)
	}
	for _, c := range ref.Cases {
		r := SpecRecording{X: c.Spec, T: c.T, Stride: c.Stride}
		a, _ := cm.SpecLogit([]SpecRecording{r, r})
		b, _ := got.Spoof.SpecLogit([]SpecRecording{r, r})
		if a != b {
			t.Errorf("T=%d: logit %v after the round trip, %v before", c.T, b, a)
		}
	}
	p, _ := marshalSpoof(cm)
	if _, err := parseSpoof(&reader{b: p[:len(p)-4], tag: "SPOF"}); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated view: %v", err)
	}

	for _, tc := range []struct {
		name   string
		break_ func(cm *Countermeasure)
	}{
		{"no network", func(cm *Countermeasure) { cm.SpecViews[0].Net = nil }},
		{"no front end", func(cm *Countermeasure) { cm.SpecViews[0].FrontEnd = nil }},
		{"broken network", func(cm *Countermeasure) { o, _ := loadSpecNetRef(t); o.W1 = o.W1[1:]; cm.SpecViews[0].Net = o }},
		{"views without Spec", func(cm *Countermeasure) { cm.Spec = nil }},
		{"too many", func(cm *Countermeasure) {
			for range maxSpecViews {
				cm.SpecViews = append(cm.SpecViews, cm.SpecViews[0])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := *cm
			c.SpecViews = append([]SpecView(nil), cm.SpecViews...)
			tc.break_(&c)
			if err := c.Validate(); err == nil {
				t.Error("Validate accepted broken views")
			}
		})
	}
}

// TestSpecPrimary checks the first spectrum network's own operating point for a recording
// whose views were not run (Countermeasure.SpecPrimary): PrimaryLogit is Spec's log-odds alone,
// FusePrimary the fusion with SpecPrimary's standardisation in place of Fusion's (hand-worked:
// weight 0.8, base (5 − 1)/4, spectrum (2.5 − 0.5)/2, so 0.8·1 + 0.2·1 = 1), PrimaryThreshold
// reads its own points; it survives the bundle round trip as format version 13 (older readers
// ignore it and judge by the views as before); Validate refuses it broken or without views.
// PrimaryOnly and BaseOnly rewrite copies as the first network alone and as no network judge.
func TestSpecPrimary(t *testing.T) {
	n, ref, cm := viewCM(t)
	cm.Fusion.SpecWeight, cm.Fusion.BaseMean, cm.Fusion.BaseStd, cm.Fusion.SpecMean, cm.Fusion.SpecStd = 0.8, 1, 4, 7, 9
	if _, ok := cm.PrimaryThreshold(0.01); ok {
		t.Error("a primary threshold without SpecPrimary")
	}
	if _, err := cm.PrimaryOnly(); err == nil {
		t.Error("PrimaryOnly without SpecPrimary")
	}
	cm.SpecPrimary = &SpecPrimary{Mean: 0.5, Std: 2, FARThresholds: []FARPoint{{FAR: 0.01, LLR: 3}, {FAR: 0.05, LLR: 2}}}
	if err := cm.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := cm.FusePrimary(5, 2.5); math.Abs(got-1) > 1e-12 {
		t.Errorf("FusePrimary(5, 2.5) = %v, want 1", got)
	}
	if cm.Fusion.SpecMean != 7 || cm.Fusion.SpecStd != 9 {
		t.Error("FusePrimary changed the fusion")
	}
	for _, tc := range []struct{ far, want float64 }{{0.001, 3}, {0.01, 3}, {0.02, 3}, {0.05, 2}, {0.5, 2}} {
		if got, ok := cm.PrimaryThreshold(tc.far); !ok || got != tc.want {
			t.Errorf("PrimaryThreshold(%v) = %v, %v; want %v", tc.far, got, ok, tc.want)
		}
	}
	for _, c := range ref.Cases {
		r := SpecRecording{X: c.Spec, T: c.T, Stride: c.Stride}
		want, wok := n.Logit(c.Spec, c.T, c.Stride)
		if got, ok := cm.PrimaryLogit(r); ok != wok || got != want {
			t.Errorf("T=%d: PrimaryLogit %v, %v; want Spec's %v, %v", c.T, got, ok, want, wok)
		}
	}
	po, err := cm.PrimaryOnly()
	if err != nil {
		t.Fatal(err)
	}
	if len(po.SpecViews) != 0 || po.SpecPrimary != nil || po.Fusion.SpecMean != 0.5 || po.Fusion.SpecStd != 2 || po.Fusion.BaseStd != 4 ||
		len(po.FARThresholds) != 2 || po.FARThresholds[0].LLR != 3 || cm.Fusion.SpecMean != 7 || len(cm.SpecViews) != 1 {
		t.Errorf("PrimaryOnly: %+v, fusion %+v (the original's %+v)", po, po.Fusion, cm.Fusion)
	}
	if _, err := cm.BaseOnly(); err == nil {
		t.Error("BaseOnly without base thresholds")
	}
	cm.BaseFARThresholds = []FARPoint{{FAR: 0.01, LLR: 1.5}}
	bo, err := cm.BaseOnly()
	if err != nil {
		t.Fatal(err)
	}
	if bo.Spec != nil || len(bo.SpecViews) != 0 || bo.SpecPrimary != nil || len(bo.BaseFARThresholds) != 0 ||
		len(bo.FARThresholds) != 1 || bo.FARThresholds[0].LLR != 1.5 || cm.Spec == nil || cm.FARThresholds[0].LLR == 1.5 {
		t.Errorf("BaseOnly: %+v (the original %+v)", bo, cm)
	}
	got := roundTrip(t, &Bundle{Spoof: cm}, 13)
	if p := got.Spoof.SpecPrimary; p == nil || p.Mean != 0.5 || p.Std != 2 || len(p.FARThresholds) != 2 || p.FARThresholds[1] != (FARPoint{FAR: 0.05, LLR: 2}) {
		t.Fatalf("SpecPrimary after the round trip: %+v", p)
	}
	for _, tc := range []struct {
		name   string
		break_ func(cm *Countermeasure)
	}{
		{"without views", func(cm *Countermeasure) { cm.SpecViews = nil }},
		{"zero spread", func(cm *Countermeasure) { cm.SpecPrimary.Std = 0 }},
		{"infinite spread", func(cm *Countermeasure) { cm.SpecPrimary.Std = math.Inf(1) }},
		{"NaN mean", func(cm *Countermeasure) { cm.SpecPrimary.Mean = math.NaN() }},
		{"no operating points", func(cm *Countermeasure) { cm.SpecPrimary.FARThresholds = nil }},
		{"descending points", func(cm *Countermeasure) {
			cm.SpecPrimary.FARThresholds = []FARPoint{{FAR: 0.05, LLR: 2}, {FAR: 0.01, LLR: 3}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := *cm
			p := *cm.SpecPrimary
			c.SpecPrimary = &p
			tc.break_(&c)
			if err := c.Validate(); err == nil {
				t.Error("Validate accepted a broken SpecPrimary")
			}
		})
	}
}

// TestEncodeSpecNet checks the spectrum network's checkpoint encoding: a network with a member
// comes back bit for bit (the same log-odds), and a flipped byte, a cut, or another file's
// bytes are refused.
func TestEncodeSpecNet(t *testing.T) {
	n, ref := loadSpecNetRef(t)
	m, _ := loadSpecNetRef(t)
	m.B2 -= 0.5
	n.Members = []*SpecNet{m}
	b, err := EncodeSpecNet(n)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSpecNet(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Members) != 1 {
		t.Fatalf("%d members after the round trip, want 1", len(got.Members))
	}
	for _, c := range ref.Cases {
		a, _ := n.Logit(c.Spec, c.T, c.Stride)
		g, _ := got.Logit(c.Spec, c.T, c.Stride)
		if a != g {
			t.Errorf("T=%d: logit %v after the round trip, %v before", c.T, g, a)
		}
	}
	flip := append([]byte(nil), b...)
	flip[len(flip)/2] ^= 1
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"flipped":   {flip, ErrChecksum},
		"truncated": {b[:len(b)-9], ErrChecksum},
		"short":     {b[:6], ErrMalformed},
		"bundle":    {append([]byte("VXGB"), b[4:]...), ErrMalformed},
	} {
		if _, err := DecodeSpecNet(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, err := EncodeSpecNet(&SpecNet{}); err == nil {
		t.Error("an empty network encoded")
	}
}

// TestMFMBackward checks max-feature-map's backward pass by hand: each output's gradient goes to
// the larger input (the first channel on a tie), the other gets 0, and the biases gather them
// over positions.
func TestMFMBackward(t *testing.T) {
	// Two positions of two output channels: inputs (c0, c1 | c2, c3), c0 vs c2 and c1 vs c3.
	pre := []float32{3, 1, 2, 5, 4, -1, 4, -2}
	dOut := []float32{0.5, -2, 1.5, 0.25}
	dPre := make([]float32, 8)
	dBias := []float32{10, 20, 30, 40}
	mfmBackward(pre, dOut, dPre, dBias, 2, 2)
	want := []float32{0.5, 0, 0, -2, 1.5, 0.25, 0, 0} // position 1: a tie (4, 4), the first wins
	wantBias := []float32{10 + 0.5 + 1.5, 20 + 0.25, 30, 40 - 2}
	if !slices.Equal(dPre, want) || !slices.Equal(dBias, wantBias) {
		t.Errorf("dPre %v, want %v; dBias %v, want %v", dPre, want, dBias, wantBias)
	}
}

// TestPool2Arg checks the training pass's 2×2 max pooling by hand: the largest of the four
// inputs and the index of the first of them (scanning (0,0), (0,1), (1,0), (1,1)), and NaN in,
// NaN out, as inference's vec.Max4.
func TestPool2Arg(t *testing.T) {
	nan := float32(math.NaN())
	// One 2×2 window of three channels, index (t·2 + f)·3 + c.
	a := specAct{t: 2, f: 2, c: 3, x: []float32{
		1, -4, 0, // (0,0)
		3, -2, nan, // (0,1)
		3, -3, 1, // (1,0)
		2, -1, 2, // (1,1)
	}}
	arg := make([]int32, 3)
	o := pool2(a, arg, nil)
	if o.x[0] != 3 || o.x[1] != -1 || !math.IsNaN(float64(o.x[2])) {
		t.Errorf("pooled %v, want [3 -1 NaN]", o.x)
	}
	if arg[0] != 3 || arg[1] != 10 { // channel 0: the tie (0,1) = (1,0) goes to (0,1); channel 1: (1,1)
		t.Errorf("argmax %v, want 3 and 10", arg[:2])
	}
}

// TestSpecNetOneClass checks the one-class head: its log-odds are CosineScale·(CosineCentre −
// cos(W2, e)), with the hidden layer e read back through the linear head (W2 one-hot, no
// bias); Validate refuses a malformed head; a bundle carrying one, on the network, a member or
// a view, is format version 14 and round-trips; a checkpoint with a field this build does not
// know is refused; and a small network trained with OneClass separates its two classes.
func TestSpecNetOneClass(t *testing.T) {
	n, ref := loadSpecNetRef(t)
	oc, _ := loadSpecNetRef(t)
	oc.B2, oc.CosineScale, oc.CosineCentre = 0, 20, 0.55
	if err := oc.Validate(); err != nil {
		t.Fatal(err)
	}
	probe, _ := loadSpecNetRef(t)
	probe.B2 = 0
	for _, c := range ref.Cases {
		e := make([]float64, n.Hidden)
		for j := range e {
			clear(probe.W2)
			probe.W2[j] = 1
			e[j], _ = probe.Logit(c.Spec, c.T, c.Stride)
		}
		var dot, ee, ww float64
		for j, w := range oc.W2 {
			dot += float64(w) * e[j]
			ee += e[j] * e[j]
			ww += float64(w) * float64(w)
		}
		want := 20 * (0.55 - dot/math.Sqrt(ee*ww))
		got, ok := oc.Logit(c.Spec, c.T, c.Stride)
		if !ok || math.Abs(got-want) > 1e-4 {
			t.Errorf("T=%d: one-class logit %v, want %v", c.T, got, want)
		}
	}

	for _, tc := range []struct {
		name   string
		break_ func(n *SpecNet)
	}{
		{"negative scale", func(n *SpecNet) { n.CosineScale = -1 }},
		{"NaN scale", func(n *SpecNet) { n.CosineScale = float32(math.NaN()) }},
		{"centre beyond 1", func(n *SpecNet) { n.CosineCentre = 1.5 }},
		{"centre without a scale", func(n *SpecNet) { n.CosineScale = 0 }},
		{"output bias", func(n *SpecNet) { n.B2 = 0.1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := loadSpecNetRef(t)
			b.B2, b.CosineScale, b.CosineCentre = 0, 20, 0.55
			tc.break_(b)
			if err := b.Validate(); err == nil {
				t.Error("Validate accepted a broken one-class head")
			}
		})
	}

	for _, tc := range []struct {
		name string
		set  func(cm *Countermeasure)
	}{
		{"network", func(cm *Countermeasure) { cm.Spec = oc }},
		{"member", func(cm *Countermeasure) { cm.Spec = n; n.Members = []*SpecNet{oc} }},
		{"view", func(cm *Countermeasure) {
			n.Members = nil
			cm.Spec = n
			cm.SpecViews = []SpecView{{Net: oc, FrontEnd: json.RawMessage(`{"bins":16,"view":1}`)}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cm := specCM(t, nil)
			tc.set(cm)
			got := roundTrip(t, &Bundle{Spoof: cm}, 14)
			for _, c := range ref.Cases {
				specs := []SpecRecording{{X: c.Spec, T: c.T, Stride: c.Stride}}
				if len(cm.SpecViews) > 0 {
					specs = append(specs, specs[0])
				}
				a, okA := cm.SpecLogit(specs)
				b, okB := got.Spoof.SpecLogit(specs)
				if !okA || !okB || a != b {
					t.Errorf("T=%d: logit %v (%v) after the round trip, %v (%v) before", c.T, b, okB, a, okA)
				}
			}
		})
	}
	n.Members = nil

	// A checkpoint whose JSON has a field this build does not know.
	b, err := EncodeSpecNet(oc)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeSpecNet(b); err != nil || got.CosineScale != 20 || got.CosineCentre != 0.55 {
		t.Fatalf("one-class checkpoint: %v, %+v", err, got)
	}
	m := binary.LittleEndian.Uint32(b[4:])
	js := append([]byte(`{"future_head":1,`), b[9:8+m]...)
	bad := append([]byte(specNetMagic), binary.LittleEndian.AppendUint32(nil, uint32(len(js)))...)
	bad = append(bad, js...)
	bad = append(bad, b[8+m:len(b)-4]...)
	bad = binary.LittleEndian.AppendUint32(bad, crc32.Checksum(bad, castagnoli))
	if _, err := DecodeSpecNet(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown field: %v, want ErrMalformed", err)
	}

	// Training: bona fide spectra are noise, spoofed ones noise with a band raised every other
	// frame (a steady one would go with the mean row the network removes).
	r := rand.New(rand.NewPCG(4, 5))
	rec := func(spoof bool) SpecRecording {
		x := make([]float32, 40*16)
		for i := range x {
			x[i] = float32(r.NormFloat64())
			if spoof && i%16 >= 5 && i%16 < 8 && (i/16)%2 == 0 {
				x[i] += 3
			}
		}
		return SpecRecording{X: x, T: 40, Stride: 16}
	}
	var bona, spoof []SpecRecording
	for range 8 {
		bona, spoof = append(bona, rec(false)), append(spoof, rec(true))
	}
	layers := []SpecLayer{{Kind: SpecConv, K: 3, Out: 4}, {Kind: SpecPool}, {Kind: SpecNorm}, {Kind: SpecConv, K: 3, Out: 4}, {Kind: SpecPool}}
	net, err := TrainSpecNet([][]SpecRecording{bona}, [][]SpecRecording{spoof},
		SpecNetConfig{Bins: 16, Hidden: 4, Crop: 32, Steps: 80, Batch: 4, LR: 1e-2, Seed: 1, Layers: layers, OneClass: true})
	if err != nil {
		t.Fatal(err)
	}
	if net.CosineScale != OneClassScale || net.CosineCentre != (OneClassBona+OneClassSpoof)/2 || net.B2 != 0 {
		t.Errorf("trained head: scale %v, centre %v, bias %v", net.CosineScale, net.CosineCentre, net.B2)
	}
	worstSpoof, bestBona := math.Inf(1), math.Inf(-1)
	for i := range bona {
		lb, _ := net.Logit(bona[i].X, bona[i].T, bona[i].Stride)
		ls, _ := net.Logit(spoof[i].X, spoof[i].T, spoof[i].Stride)
		bestBona, worstSpoof = max(bestBona, lb), min(worstSpoof, ls)
	}
	if !(worstSpoof > bestBona) {
		t.Errorf("trained one-class network: highest bona fide log-odds %v, lowest spoofed %v", bestBona, worstSpoof)
	}
}
