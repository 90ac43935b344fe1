package dsp

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// PNCC's suppression works on a stationary background: after a few seconds of noise, a burst of
// a tone at the same level keeps its weight (close to 1 on its filters) while the noise-only
// filters are pushed towards their floor. Streaming in any chunking equals batch (it is causal).
func TestPNCCSuppression(t *testing.T) {
	const nb = 23
	s := newPNCCState(PNCC{Exponent: 1.0 / 15, Suppress: true}, nb)
	r := rand.New(rand.NewPCG(1, 2))
	frame := func(tone bool) []float64 {
		e := make([]float64, nb)
		for i := range e {
			e[i] = 1e4 * (0.5 + r.Float64()) // noise, every filter
		}
		if tone {
			e[10] += 1e6
		}
		return e
	}
	for range 300 { // 3 s of noise
		e := frame(false)
		s.apply(e)
	}
	e := frame(true)
	raw := append([]float64(nil), e...)
	// The tone's filter must stand out from the noise-only ones more than the power law of the
	// raw energies alone would make it.
	s.apply(e)
	mean := 0.0
	for _, v := range raw {
		mean += v
	}
	mean /= nb
	rawTone := math.Pow(raw[10]/mean, 1.0/15)
	rawNoise := math.Pow(raw[0]/mean, 1.0/15)
	if !(e[10]/e[0] > rawTone/rawNoise) {
		t.Errorf("tone/noise after suppression %.3f, without %.3f: the noise was not suppressed", e[10]/e[0], rawTone/rawNoise)
	}
	for i, v := range e {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			t.Fatalf("filter %d: %v", i, v)
		}
	}
}

// The power law alone is level-independent: scaling every energy leaves the output unchanged.
func TestPNCCPowerLevelInvariant(t *testing.T) {
	a := newPNCCState(PNCC{Exponent: 1.0 / 15}, 5)
	b := newPNCCState(PNCC{Exponent: 1.0 / 15}, 5)
	x := []float64{1, 4, 9, 16, 0}
	y := []float64{100, 400, 900, 1600, 0}
	a.apply(x)
	b.apply(y)
	for i := range x {
		if math.Abs(x[i]-y[i]) > 1e-12 {
			t.Errorf("filter %d: %v at one level, %v at 100 times it", i, x[i], y[i])
		}
	}
	// By hand: mean 6, (1/6)^(1/15).
	if want := math.Pow(1.0/6, 1.0/15); math.Abs(x[0]-want) > 1e-12 {
		t.Errorf("first filter %v, want %v", x[0], want)
	}
	z := []float64{0, 0, 0, 0, 0}
	a.apply(z)
	if z[0] != 1 {
		t.Errorf("silent frame gives %v, want 1", z)
	}
}

// A bundle's front-end configuration with a field this build does not know is refused (a later
// front-end option must not be silently dropped); a known one round-trips.
func TestParseFrontendConfig(t *testing.T) {
	cfg := TelephoneFrontend()
	cfg.MFCC.PNCC = TelephonePNCC()
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseFrontendConfig(data)
	if err != nil || !reflect.DeepEqual(got, cfg) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{
		`{"mfcc":{"sample_rate":8000,"frame_length_ms":25,"frame_shift_ms":10,"num_mel_bins":23,"high_freq":3700,"num_ceps":20,"window_type":"povey","future_option":1},"norm":"none"}`,
		`{"mfcc":{}, "norm":"cmn", "norm_window":300}`,
		`not json`,
	} {
		if _, err := ParseFrontendConfig([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestPNCCPowerLawMatchesPow checks the power law's exp(a·ln r) against math.Pow(r, a) on
// energies spread over 30 decades, zeros included (which stay exactly zero).
func TestPNCCPowerLawMatchesPow(t *testing.T) {
	a := TelephonePNCC().Exponent
	s := newPNCCState(PNCC{Exponent: a}, 30)
	e := make([]float64, 30)
	for i := range e {
		e[i] = math.Pow(10, float64(i)-15) * (1 + 0.37*float64(i%3))
	}
	e[7] = 0
	want := make([]float64, len(e))
	mean := 0.0
	for _, v := range e {
		mean += v
	}
	mean /= float64(len(e))
	for i, v := range e {
		want[i] = math.Pow(v/mean, a)
	}
	s.apply(e)
	for i := range e {
		if d := math.Abs(e[i] - want[i]); d > 1e-9*want[i] || (want[i] == 0) != (e[i] == 0) {
			t.Errorf("value %d: %g, math.Pow gives %g", i, e[i], want[i])
		}
	}
}
