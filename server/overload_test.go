package server

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
)

// TestHistQuantile checks the bucket quantile on hand-worked histograms: the upper edge of the
// bucket holding the rank, the lower edge for the open last bucket, 0 below the event minimum.
func TestHistQuantile(t *testing.T) {
	inf := math.Inf(1)
	bounds := []float64{math.Inf(-1), 0.001, 0.01, 0.1, inf}
	for _, tc := range []struct {
		name   string
		counts []uint64
		q      float64
		min    uint64
		want   float64
	}{
		{"empty", []uint64{0, 0, 0, 0}, 0.99, 0, 0},
		{"too few events", []uint64{0, 5, 5, 5}, 0.99, 100, 0},
		{"all in the first finite bucket", []uint64{0, 100, 0, 0}, 0.99, 0, 0.01},
		{"rank 99 of 100 in the second bucket", []uint64{0, 98, 1, 1}, 0.99, 0, 0.1},
		{"rank 99 of 100 in the first bucket", []uint64{0, 99, 0, 1}, 0.99, 0, 0.01},
		{"the open last bucket gives its lower edge", []uint64{0, 0, 0, 100}, 0.99, 0, 0.1},
		{"the bucket below zero gives 0", []uint64{100, 0, 0, 0}, 0.5, 0, 0.001},
		{"median", []uint64{0, 50, 50, 0}, 0.5, 0, 0.01},
		{"just past the median", []uint64{0, 49, 51, 0}, 0.5, 0, 0.1},
	} {
		if got := histQuantile(bounds, tc.counts, tc.q, tc.min); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSchedDelayWindow checks that the delay is taken over the reads of the last two seconds
// only, and that the runtime's own histogram reads as something sane.
func TestSchedDelayWindow(t *testing.T) {
	now := time.Now()
	d := &schedDelay{bounds: []float64{0, 0.001, 0.5, math.Inf(1)}, last: now,
		history: []schedDelta{
			{at: now.Add(-5 * time.Second), counts: []uint64{0, 0, 1000}}, // old and slow: outside
			{at: now.Add(-time.Second), counts: []uint64{500, 0, 0}},
			{at: now, counts: []uint64{500, 0, 0}},
		}}
	if got := d.p99(now); got != time.Millisecond {
		t.Errorf("p99 over the window = %v, want 1ms (the slow read is older than the window)", got)
	}
	d.history[1].counts = []uint64{0, 500, 0}
	if got := d.p99(now); got != 500*time.Millisecond {
		t.Errorf("p99 with half the window slow = %v, want 500ms", got)
	}
	live := newSchedDelay()
	live.p99(time.Now())
	time.Sleep(10 * time.Millisecond)
	if got := live.p99(time.Now().Add(schedStep)); got < 0 || got > time.Minute {
		t.Errorf("the runtime's scheduling delay reads %v", got)
	}
}

// A server at MaxCalls refuses one more call with 503, Retry-After and a problem document, and
// takes it once a call ends; shedding load (here forced: a slow scheduler history and a 1 ms
// limit) refuses new calls on every stream endpoint and fails /readyz, while a call already in
// progress carries on.
func TestMaxCallsAndShedding(t *testing.T) {
	env := newEnv(t, Config{MaxCalls: 1})
	c1, _, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	checkShed(t, "second call at MaxCalls 1", res, err, "concurrent calls")
	// A Twilio stream that authenticates in its start message is refused after the upgrade,
	// with 1013 (try again later).
	tw, _, err := env.dial(t, "/v1/twilio", nil)
	if err != nil {
		t.Fatal(err)
	}
	twilioCallShort(tw, ingestToken)
	if _, err := readAll(t, tw); closeCode(err) != 1013 {
		t.Errorf("Twilio stream at MaxCalls 1: %v, want close 1013", err)
	}
	tw.Close()
	c1.Close()
	env.redial(t, "/v1/stream", bearer(ingestToken))

	env = newEnv(t, Config{ShedDelay: time.Millisecond})
	live, _, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := live.WriteJSON(map[string]any{"type": "start", "call_id": "c-live", "encoding": "pcm16le", "sample_rate": 8000, "channels": 1}); err != nil {
		t.Fatal(err)
	}
	slow := env.srv.sched
	slow.mu.Lock()
	slow.bounds = []float64{0, 0.001, 0.5, math.Inf(1)}
	slow.last = time.Now().Add(time.Hour) // no read of the runtime's counters before then
	slow.history = []schedDelta{{at: time.Now().Add(time.Hour), counts: []uint64{0, 0, 1000}}}
	slow.mu.Unlock()
	for _, path := range []string{"/v1/stream", "/v1/fork", "/v1/twilio"} {
		_, res, err := env.dial(t, path, bearer(ingestToken))
		checkShed(t, path+" while shedding", res, err, "overloaded")
	}
	res, err = http.Get(env.http.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while shedding: %d, want 503", res.StatusCode)
	}
	// With the delay back down, a cap the delay has set still holds new calls back.
	slow.mu.Lock()
	slow.history = []schedDelta{{at: time.Now().Add(time.Hour), counts: []uint64{1000, 0, 0}}}
	slow.mu.Unlock()
	env.srv.limit.mu.Lock()
	env.srv.limit.limit, env.srv.limit.step, env.srv.limit.cut = 1, time.Now().Add(time.Hour), time.Now().Add(time.Hour)
	env.srv.limit.mu.Unlock()
	_, res, err = env.dial(t, "/v1/stream", bearer(ingestToken))
	checkShed(t, "a call at the adaptive cap", res, err, "can serve in time")
	// The call admitted before goes on: its audio is taken and it stops with a final assessment.
	if err := live.WriteMessage(2, make([]byte, 3200)); err != nil {
		t.Fatal(err)
	}
	if err := live.WriteJSON(map[string]any{"type": "stop"}); err != nil {
		t.Fatal(err)
	}
	live.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var a map[string]any
		if err := live.ReadJSON(&a); err != nil {
			t.Fatalf("live call while shedding: %v", err)
		}
		if a["final"] == true {
			break
		}
	}
}

// checkShed checks a refused upgrade: 503, Retry-After, a problem document whose detail says why.
func checkShed(t *testing.T, what string, res *http.Response, err error, detail string) {
	t.Helper()
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("%s: %v %v, want 503", what, res, err)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Errorf("%s: no Retry-After", what)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: content type %q", what, ct)
	}
	b, _ := io.ReadAll(res.Body)
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(b, &p) != nil || p.Status != 503 || !strings.Contains(p.Detail, detail) {
		t.Errorf("%s: problem %s, want status 503 and %q in the detail", what, b, detail)
	}
}

// TestCallLimit walks the adaptive cap through a hand-worked sequence: none at first; a high
// delay cuts it to 90% of the live calls, once per window; a low delay raises it by 0.3% per
// step while it binds, and lifts it once the live calls fall far below it.
func TestCallLimit(t *testing.T) {
	var l callLimit
	t0 := time.Unix(1000, 0)
	shed := 100 * time.Millisecond
	steps := []struct {
		at    time.Duration // after t0
		delay time.Duration
		live  int64
		want  float64
	}{
		{0, 10 * time.Millisecond, 500, math.Inf(1)},                // quiet: no cap
		{time.Second, 150 * time.Millisecond, 1000, 900},            // overload: 90% of live
		{1500 * time.Millisecond, 300 * time.Millisecond, 950, 900}, // within the window: no second cut
		{3100 * time.Millisecond, 300 * time.Millisecond, 950, 855}, // a window later: 90% of 950
		{3200 * time.Millisecond, 80 * time.Millisecond, 850, 855},  // between half and the limit: hold
		{3400 * time.Millisecond, 20 * time.Millisecond, 850, 855 * 1.003},
		{3500 * time.Millisecond, 20 * time.Millisecond, 850, 855 * 1.003}, // under a step since: hold
		{3700 * time.Millisecond, 20 * time.Millisecond, 700, 855 * 1.003}, // not binding: hold
		{4000 * time.Millisecond, 20 * time.Millisecond, 400, math.Inf(1)}, // far below: lifted
	}
	for i, st := range steps {
		got := l.update(t0.Add(st.at), st.delay, shed, st.live)
		if math.Abs(got-st.want) > 1e-9*math.Max(1, st.want) && !(math.IsInf(got, 1) && math.IsInf(st.want, 1)) {
			t.Fatalf("step %d (%v, delay %v, %d live): cap %v, want %v", i, st.at, st.delay, st.live, got, st.want)
		}
	}
}

// TestFusionLevel walks the share of calls that may feed the second speaker system through a
// hand-worked sequence: all at first; a high delay halves it, at most once per second; between half the
// limit and the limit it holds; under half it grows by 0.02 per step, up to all.
func TestFusionLevel(t *testing.T) {
	var f fusionLevel
	t0 := time.Unix(1000, 0)
	lim := 50 * time.Millisecond
	steps := []struct {
		at    time.Duration // after t0
		delay time.Duration
		want  float64
	}{
		{0, 10 * time.Millisecond, 1},                            // quiet: every call
		{time.Second, 60 * time.Millisecond, 0.5},                // overload: half (50/60 would keep more)
		{1500 * time.Millisecond, 200 * time.Millisecond, 0.5},   // within fusionCutEvery: no second cut
		{2000 * time.Millisecond, 200 * time.Millisecond, 0.125}, // fusionCutEvery later: by 50/200
		{2900 * time.Millisecond, 200 * time.Millisecond, 0.125},
		{3100 * time.Millisecond, 200 * time.Millisecond, 0.03125},
		{3200 * time.Millisecond, 40 * time.Millisecond, 0.03125}, // between half and the limit: hold
		{3500 * time.Millisecond, 10 * time.Millisecond, 0.05125}, // under half: +0.02
		{3600 * time.Millisecond, 10 * time.Millisecond, 0.05125}, // under a step since: hold
		{3800 * time.Millisecond, 10 * time.Millisecond, 0.07125},
	}
	for i, st := range steps {
		f.update(t0.Add(st.at), st.delay, lim)
		if got := f.level(); math.Abs(got-st.want) > 1e-12 {
			t.Fatalf("step %d (%v, delay %v): level %v, want %v", i, st.at, st.delay, got, st.want)
		}
	}
	f.set(0.995)
	f.update(t0.Add(time.Minute), 0, lim)
	if f.level() != 1 {
		t.Errorf("level %v past 1", f.level())
	}
	// Far over the limit the cut is deeper: to lim/d, a tenth at most.
	for i, c := range []struct {
		delay time.Duration
		want  float64
	}{{200 * time.Millisecond, 0.25}, {time.Second, 0.1}} {
		f.set(1)
		f.update(t0.Add(time.Duration(i+2)*time.Minute), c.delay, lim)
		if math.Abs(f.level()-c.want) > 1e-12 {
			t.Errorf("delay %v: level %v, want %v", c.delay, f.level(), c.want)
		}
	}
}

// TestCallShedsFusion checks that calls on a fusing engine give up the second speaker system by
// the fusion level (Config.FusionShedDelay): a call starting while the level is 0 never fuses,
// one starting at 1 fuses until the level falls, then drops it at its next audio message; each
// is counted in voxguard_fusion_shed_total; and without FusionShedDelay nothing is shed.
func TestCallShedsFusion(t *testing.T) {
	e, err := engine.New(fusedTestBundle(t), engine.Options{Config: engine.Config{SecondSystem: true}, Thresholder: farScale(4)})
	if err != nil {
		t.Fatal(err)
	}
	m, frame := media{enc: audio.L16LE, rate: 8000, channels: 1, caller: 0}, testFrame()
	s := New(e, NewMemoryAuth(), Config{FusionShedDelay: 50 * time.Millisecond})
	holdLevel(&s.fusion, 0)
	shed, err := s.newCall(nil, "test", "c-shed", "", m)
	if err != nil {
		t.Fatal(err)
	}
	if shed.sess.Fusing() {
		t.Error("a call starting at level 0 fuses")
	}
	holdLevel(&s.fusion, 1)
	c, err := s.newCall(nil, "test", "c-fused", "", m)
	if err != nil {
		t.Fatal(err)
	}
	c.push(frame)
	if !c.sess.Fusing() {
		t.Fatal("a call at level 1 does not fuse")
	}
	holdLevel(&s.fusion, 0)
	c.push(frame)
	if c.sess.Fusing() {
		t.Error("a fusing call kept the second system after the level fell to 0")
	}
	for when, want := range map[string]float64{"start": 1, "during": 1} {
		var dm dto.Metric
		if err := s.prom.fusionShed.WithLabelValues(when).Write(&dm); err != nil {
			t.Fatal(err)
		}
		if got := dm.GetCounter().GetValue(); got != want {
			t.Errorf("voxguard_fusion_shed_total{when=%q} %v, want %v", when, got, want)
		}
	}
	never := New(e, NewMemoryAuth(), Config{})
	holdLevel(&never.fusion, 0)
	if c, _ := never.newCall(nil, "test", "c-never", "", m); !c.sess.Fusing() {
		t.Error("a call shed the second system without FusionShedDelay")
	}
}

// holdLevel sets a shedding level and holds it (no update from the scheduling delay for an hour).
func holdLevel(f *fusionLevel, level float64) {
	f.set(level)
	f.at.Store(time.Now().Add(time.Hour).UnixNano())
}

// testFrame is 20 ms of 16-bit 8 kHz audio (a sawtooth of bytes).
func testFrame() []byte {
	frame := make([]byte, 8000/50*2)
	for i := range frame {
		frame[i] = byte(i * 37)
	}
	return frame
}

// shedCount is a shed counter's expected value for one label (checkShedCounts).
type shedCount struct {
	vec  *prometheus.CounterVec
	name string // voxguard_<name>_shed_total
	when string
	want float64
}

// checkShedCounts checks each counter's value for its label.
func checkShedCounts(t *testing.T, counts []shedCount) {
	t.Helper()
	for _, tc := range counts {
		var dm dto.Metric
		if err := tc.vec.WithLabelValues(tc.when).Write(&dm); err != nil {
			t.Fatal(err)
		}
		if got := dm.GetCounter().GetValue(); got != tc.want {
			t.Errorf("voxguard_%s_shed_total{when=%q} %v, want %v", tc.name, tc.when, got, tc.want)
		}
	}
}

// TestCallShedsSpecApart checks Config.SpecShedDelay: the countermeasure's spectrum network is
// shed by its own level, apart from the second speaker system (a call at fusion level 0 and
// network level 1 keeps the network; at network level 0 it drops it at its next audio message,
// counted in voxguard_spec_shed_total); without SpecShedDelay a call shed at the fusion level
// loses both, its network counted too.
func TestCallShedsSpecApart(t *testing.T) {
	e, err := engine.New(testkit.SpecFusedTinyBundle(t), engine.Options{Config: engine.Config{SecondSystem: true}, Thresholder: farScale(4)})
	if err != nil {
		t.Fatal(err)
	}
	m, frame := media{enc: audio.L16LE, rate: 8000, channels: 1, caller: 0}, testFrame()
	s := New(e, NewMemoryAuth(), Config{FusionShedDelay: 50 * time.Millisecond, SpecShedDelay: 80 * time.Millisecond})
	holdLevel(&s.fusion, 0)
	holdLevel(&s.spec, 1)
	c, err := s.newCall(nil, "test", "c-apart", "", m)
	if err != nil {
		t.Fatal(err)
	}
	c.push(frame)
	if c.sess.Fusing() || !c.sess.SpecPending() {
		t.Fatalf("fusion level 0, network level 1: fusing %v, network pending %v; want false, true", c.sess.Fusing(), c.sess.SpecPending())
	}
	holdLevel(&s.spec, 0)
	c.push(frame)
	if c.sess.SpecPending() {
		t.Error("the network still pending after its level fell to 0")
	}
	checkShedCounts(t, []shedCount{{s.prom.fusionShed, "fusion", "start", 1}, {s.prom.fusionShed, "fusion", "during", 0},
		{s.prom.specShed, "spec", "start", 0}, {s.prom.specShed, "spec", "during", 1}})
	together := New(e, NewMemoryAuth(), Config{FusionShedDelay: 50 * time.Millisecond})
	holdLevel(&together.fusion, 0)
	holdLevel(&together.spec, 1) // unused without SpecShedDelay
	c, err = together.newCall(nil, "test", "c-together", "", m)
	if err != nil {
		t.Fatal(err)
	}
	if c.sess.Fusing() || c.sess.SpecPending() {
		t.Errorf("without SpecShedDelay at fusion level 0: fusing %v, network pending %v; want both dropped", c.sess.Fusing(), c.sess.SpecPending())
	}
	var dm dto.Metric
	if err := together.prom.specShed.WithLabelValues("start").Write(&dm); err != nil || dm.GetCounter().GetValue() != 1 {
		t.Errorf("without SpecShedDelay: voxguard_spec_shed_total{when=\"start\"} %v (%v), want 1", dm.GetCounter().GetValue(), err)
	}
	fresh := New(e, NewMemoryAuth(), Config{})
	if c, _ := fresh.newCall(nil, "test", "c-fresh", "", m); !c.sess.Fusing() || !c.sess.SpecPending() {
		t.Error("a call on a server that sheds nothing lacks the second system or the network")
	}
}

// TestCallShedsSpecViews checks Config.SpecViewShedDelay: the spectrum network's views are shed
// by their own level before the network (a call started at view level 0 and network level 1
// keeps the network without its views; one started at view level 1 drops them at its next
// audio message once the level falls; each counted in voxguard_spec_view_shed_total), never
// without SpecViewShedDelay, and never on a bundle without views.
func TestCallShedsSpecViews(t *testing.T) {
	newEngine := func(b *models.Bundle) *engine.Engine {
		t.Helper()
		e, err := engine.New(b, engine.Options{Config: engine.Config{SecondSystem: true}, Thresholder: farScale(4)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := newEngine(testkit.SpecViewsTinyBundle(t))
	m, frame := media{enc: audio.L16LE, rate: 8000, channels: 1, caller: 0}, testFrame()
	cfg := Config{FusionShedDelay: 50 * time.Millisecond, SpecShedDelay: 80 * time.Millisecond, SpecViewShedDelay: 60 * time.Millisecond}
	s := New(e, NewMemoryAuth(), cfg)
	holdLevel(&s.fusion, 1)
	holdLevel(&s.spec, 1)
	holdLevel(&s.views, 0)
	c, err := s.newCall(nil, "test", "c-start", "", m)
	if err != nil {
		t.Fatal(err)
	}
	if !c.sess.SpecPending() || c.sess.SpecViewsPending() {
		t.Errorf("view level 0, network level 1: network pending %v, views pending %v; want true, false", c.sess.SpecPending(), c.sess.SpecViewsPending())
	}
	holdLevel(&s.views, 1)
	c, err = s.newCall(nil, "test", "c-during", "", m)
	if err != nil {
		t.Fatal(err)
	}
	c.push(frame)
	if !c.sess.SpecViewsPending() {
		t.Fatal("view level 1: the views not pending")
	}
	holdLevel(&s.views, 0)
	c.push(frame)
	if !c.sess.SpecPending() || c.sess.SpecViewsPending() {
		t.Errorf("after the view level fell to 0: network pending %v, views pending %v; want true, false", c.sess.SpecPending(), c.sess.SpecViewsPending())
	}
	checkShedCounts(t, []shedCount{{s.prom.viewShed, "spec_view", "start", 1}, {s.prom.viewShed, "spec_view", "during", 1},
		{s.prom.specShed, "spec", "start", 0}, {s.prom.specShed, "spec", "during", 0}})
	for _, tc := range []struct {
		name string
		e    *engine.Engine
		cfg  Config
	}{{"without SpecViewShedDelay", e, Config{FusionShedDelay: cfg.FusionShedDelay, SpecShedDelay: cfg.SpecShedDelay}},
		{"a bundle without views", newEngine(testkit.SpecFusedTinyBundle(t)), cfg}} {
		s := New(tc.e, NewMemoryAuth(), tc.cfg)
		holdLevel(&s.views, 0)
		c, err := s.newCall(nil, "test", "c-other", "", m)
		if err != nil {
			t.Fatal(err)
		}
		c.push(frame)
		var dm dto.Metric
		if err := s.prom.viewShed.WithLabelValues("start").Write(&dm); err != nil || dm.GetCounter().GetValue() != 0 || !c.sess.SpecPending() {
			t.Errorf("%s: views shed %v (%v), network pending %v", tc.name, dm.GetCounter().GetValue(), err, c.sess.SpecPending())
		}
	}
}
