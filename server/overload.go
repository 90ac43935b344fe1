package server

import (
	"fmt"
	"math"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// schedDelay estimates how long runnable goroutines wait for a processor — the Go runtime's
// "/sched/latencies:seconds" histogram — as its 99th percentile over the last schedWindow. Every
// call's audio is read, decoded and pushed through the engine by its own goroutine, so when the
// machine cannot keep up with its calls this queueing delay is the first thing to grow, and it
// grows for every call at once: it is the signal to stop admitting new calls before the calls
// already admitted miss their latency. It reads the runtime's counters lazily, at most once per
// schedStep, when asked; no goroutine of its own.
type schedDelay struct {
	mu      sync.Mutex
	sample  []metrics.Sample
	prev    []uint64 // cumulative bucket counts at the last read
	bounds  []float64
	last    time.Time
	history []schedDelta // the reads of the last schedWindow, oldest first
	sum     []uint64     // scratch: the window's bucket counts
}

// schedDelta is the scheduling events one read found since the previous one, per bucket.
type schedDelta struct {
	at     time.Time
	counts []uint64
}

const (
	// schedWindow is the span over which the delay's percentile is taken.
	schedWindow = 2 * time.Second
	// schedStep is the least time between two reads of the runtime's counters.
	schedStep = 250 * time.Millisecond
	// schedMinEvents is the fewest scheduling events the window must hold for a percentile: an
	// idle server reports no delay rather than the tail of a handful of wake-ups.
	schedMinEvents = 200
)

func newSchedDelay() *schedDelay {
	return &schedDelay{sample: []metrics.Sample{{Name: "/sched/latencies:seconds"}}}
}

// p99 returns the 99th percentile of the scheduling delay over the window ending at now (the
// upper edge of the runtime histogram's bucket that holds it), 0 with too few events to tell.
func (d *schedDelay) p99(now time.Time) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last.IsZero() || now.Sub(d.last) >= schedStep {
		d.read(now)
	}
	if len(d.history) == 0 {
		return 0
	}
	sum := d.sum[:0]
	for range d.history[0].counts {
		sum = append(sum, 0)
	}
	for _, h := range d.history {
		if now.Sub(h.at) > schedWindow {
			continue
		}
		for i, c := range h.counts {
			sum[i] += c
		}
	}
	d.sum = sum
	q := histQuantile(d.bounds, sum, 0.99, schedMinEvents)
	return time.Duration(q * float64(time.Second))
}

// read takes the runtime's cumulative histogram and appends what changed since the last read.
func (d *schedDelay) read(now time.Time) {
	metrics.Read(d.sample)
	if d.sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return // not provided by this runtime: never shed
	}
	h := d.sample[0].Value.Float64Histogram()
	if d.prev != nil && len(d.prev) == len(h.Counts) {
		delta := schedDelta{at: now, counts: make([]uint64, len(h.Counts))}
		for i, c := range h.Counts {
			delta.counts[i] = c - d.prev[i]
		}
		d.history = append(d.history, delta)
	}
	d.prev = append(d.prev[:0], h.Counts...)
	d.bounds = append(d.bounds[:0], h.Buckets...)
	d.last = now
	for len(d.history) > 0 && now.Sub(d.history[0].at) > schedWindow {
		d.history = d.history[1:]
	}
}

// histQuantile returns the q-quantile of a histogram (bounds[i] ≤ x < bounds[i+1] counted in
// counts[i]) as the upper bound of the bucket holding it — an overestimate by at most the
// bucket's width — or its lower bound where the upper one is +Inf; 0 when the histogram holds
// fewer than minEvents events.
func histQuantile(bounds []float64, counts []uint64, q float64, minEvents uint64) float64 {
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 || total < minEvents {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var cum uint64
	for i, c := range counts {
		cum += c
		if cum >= rank {
			if hi := bounds[i+1]; !math.IsInf(hi, 1) {
				return hi
			}
			return max(0, bounds[i])
		}
	}
	return max(0, bounds[len(bounds)-2])
}

// callLimit is the adaptive cap on live calls that load shedding keeps (AIMD, as TCP's window):
// while the scheduling delay is above ShedDelay it falls to 90% of the calls then live (at most
// once per schedWindow, so that the window sees the effect of one cut before the next); while
// the delay is under half of ShedDelay and the cap is what holds calls back, it rises by 1% per
// schedStep; once it stands far above the live calls it is lifted. Refusing only while the
// delay is high would let the calls that arrive as soon as it falls in all at once — the next
// overload — and would take new calls while those in progress still exceed the machine.
type callLimit struct {
	mu    sync.Mutex
	limit float64 // +Inf: none
	cut   time.Time
	step  time.Time
}

// update adjusts the cap for the delay d measured at now with live calls and returns it.
func (l *callLimit) update(now time.Time, d, shedAt time.Duration, live int64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit == 0 {
		l.limit = math.Inf(1)
	}
	switch {
	case d > shedAt:
		if now.Sub(l.cut) >= schedWindow {
			l.limit = min(l.limit, 0.9*float64(live))
			l.cut, l.step = now, now
		}
	case d < shedAt/2 && !math.IsInf(l.limit, 1) && now.Sub(l.step) >= schedStep:
		l.step = now
		if float64(live) >= 0.95*l.limit {
			l.limit *= 1.003
		} else if float64(live) < 0.5*l.limit {
			l.limit = math.Inf(1)
		}
	}
	return l.limit
}

// overloaded says whether new calls are being shed: "" if not, else why (for a 503 and
// /readyz). With ShedDelay set it sheds while the scheduling delay's 99th percentile over the
// last two seconds exceeds it, and while the live calls are at the adaptive cap (callLimit)
// that the delay has set.
func (s *Server) overloaded() string {
	lim := s.cfg.ShedDelay
	if lim <= 0 {
		return ""
	}
	now := time.Now()
	d := s.sched.p99(now)
	live := s.prom.liveCalls.Load()
	ceiling := s.limit.update(now, d, lim, live)
	if d > lim {
		return "the server is overloaded (goroutines wait " + d.Round(time.Millisecond).String() +
			" for a processor at the 99th percentile, above the " + lim.String() + " limit); retry later"
	}
	if float64(live) >= ceiling {
		return fmt.Sprintf("the server is at the %d calls it has found it can serve in time; retry later", int(ceiling))
	}
	return ""
}

// fusionLevel is the share of calls that may feed the bundle's second speaker system
// (Config.FusionShedDelay), kept AIMD on the scheduling delay as callLimit keeps the cap on
// calls: while the delay d is above FusionShedDelay it is cut, by half, or to FusionShedDelay/d of
// itself when that is less (a delay ten times the limit or more: to a tenth), at most once per
// fusionCutEvery (half the delay's window: the window sees half of a cut's effect before the next, so a cut
// may be one too many, which costs some calls the fusion, where waiting a whole window costs
// every call latency); while it is under half of that, it grows back by 2 % of the calls per
// schedStep (from none to all in ~12 s). Each call draws a rank in [0, 1) when it starts and
// feeds the second system while its rank is under the level: a cut stops about half of the
// fusing calls, not all of them at once, and a call that stopped never resumes (its second
// statistics would miss the frames between).
type fusionLevel struct {
	mu   sync.Mutex // serialises updates
	cut  time.Time
	step time.Time
	// shed is math.Float64bits of the share of calls shed, 1 − the level: the zero value sheds
	// none. Read without the lock.
	shed atomic.Uint64
	at   atomic.Int64 // Unix ns of the last update
}

// fusionCutEvery is the least time between two cuts of the fusion level.
const fusionCutEvery = schedWindow / 2

// level returns the share of calls that may fuse.
func (f *fusionLevel) level() float64 { return 1 - math.Float64frombits(f.shed.Load()) }

// set sets the level.
func (f *fusionLevel) set(level float64) { f.shed.Store(math.Float64bits(1 - level)) }

// get returns the level at now, updating it from the scheduling delay (read by sched) at most
// once per schedStep; the other callers take the last level with one atomic load.
func (f *fusionLevel) get(now time.Time, sched *schedDelay, lim time.Duration) float64 {
	last, t := f.at.Load(), now.UnixNano()
	if t-last >= int64(schedStep) && f.at.CompareAndSwap(last, t) {
		f.update(now, sched.p99(now), lim)
	}
	return f.level()
}

// update adjusts the level for the delay d measured at now.
func (f *fusionLevel) update(now time.Time, d, lim time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	level := f.level()
	switch {
	case d > lim:
		if now.Sub(f.cut) >= fusionCutEvery {
			// Half at least, in proportion to the overload beyond that (lim/d), a tenth at most.
			f.set(level * max(0.1, min(0.5, float64(lim)/float64(d))))
			f.cut, f.step = now, now
		}
	case d < lim/2 && level < 1 && now.Sub(f.step) >= schedStep:
		f.step = now
		f.set(min(1, level+0.02))
	}
}

// shedFusion says whether a call of the given rank (drawn in [0, 1) at its start) should not
// feed the bundle's second speaker system now (fusionLevel); never without FusionShedDelay.
func (s *Server) shedFusion(now time.Time, rank float64) bool {
	lim := s.cfg.FusionShedDelay
	if lim <= 0 {
		return false
	}
	return rank >= s.fusion.get(now, s.sched, lim)
}

// shedSpec says whether a call of the given rank should not have the countermeasure's spectrum
// network score it (its own fusionLevel on SpecShedDelay); never without SpecShedDelay.
func (s *Server) shedSpec(now time.Time, rank float64) bool {
	lim := s.cfg.SpecShedDelay
	if lim <= 0 {
		return false
	}
	return rank >= s.spec.get(now, s.sched, lim)
}

// shedViews says whether a call of the given rank should have the spectrum network score it
// without its views (its own fusionLevel on SpecViewShedDelay); never without SpecViewShedDelay.
func (s *Server) shedViews(now time.Time, rank float64) bool {
	lim := s.cfg.SpecViewShedDelay
	if lim <= 0 {
		return false
	}
	return rank >= s.views.get(now, s.sched, lim)
}

// shedOptional drops the call's optional work the server is short of processor time for, at
// its start or during it (when, the metrics' label): the second speaker system and the
// spectrum network together by the fusion level, or apart when SpecShedDelay is set (and then
// the network's views before it, when SpecViewShedDelay is).
func (c *call) shedOptional(now time.Time, when string) {
	s := c.srv
	if s.cfg.SpecShedDelay <= 0 {
		if c.sess.Sheddable() && s.shedFusion(now, c.rank) {
			if c.sess.SpecPending() {
				s.prom.specShed.WithLabelValues(when).Inc()
			}
			c.sess.Shed()
			s.prom.fusionShed.WithLabelValues(when).Inc()
		}
		return
	}
	if c.sess.Fusing() && s.shedFusion(now, c.rank) {
		c.sess.DropSecondSystem()
		s.prom.fusionShed.WithLabelValues(when).Inc()
	}
	if c.sess.SpecViewsPending() && s.shedViews(now, c.rank) {
		c.sess.DropSpecViews()
		s.prom.viewShed.WithLabelValues(when).Inc()
	}
	if c.sess.SpecPending() && s.shedSpec(now, c.rank) {
		c.sess.DropSpec()
		s.prom.specShed.WithLabelValues(when).Inc()
	}
}
