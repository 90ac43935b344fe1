package server

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/voxguard/voxguard/engine"
)

// promMetrics are the server's Prometheus metrics, in a registry of its own (so that several
// servers in one process, as in tests, do not collide).
type promMetrics struct {
	reg          *prometheus.Registry
	liveCalls    atomic.Int64
	calls        *prometheus.CounterVec
	audioSeconds prometheus.Counter
	latency      prometheus.Histogram
	assessments  *prometheus.CounterVec
	reasons      *prometheus.CounterVec
	api          *prometheus.CounterVec
	apiLatency   *prometheus.HistogramVec
	refused      *prometheus.CounterVec
	shed         *prometheus.CounterVec
	fusionShed   *prometheus.CounterVec
	specShed     *prometheus.CounterVec
	viewShed     *prometheus.CounterVec
}

func newPromMetrics(s *Server) *promMetrics {
	m := &promMetrics{reg: prometheus.NewRegistry()}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_calls_total", Help: "Calls started, by platform."}, []string{"platform"})
	m.audioSeconds = prometheus.NewCounter(prometheus.CounterOpts{Name: "voxguard_audio_seconds_total", Help: "Caller audio received, in seconds at the engine's rate."})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "voxguard_assessment_latency_seconds",
		Help:    "Time from receiving the audio (or claim, or stop) that made an assessment due to having it ready to send.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}})
	m.assessments = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_assessments_total", Help: "Assessments emitted, by verification decision and risk band."}, []string{"decision", "band"})
	m.reasons = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_decisions_by_reason_total", Help: "Final call assessments by reason (a call may count under several)."}, []string{"reason"})
	m.api = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_api_requests_total", Help: "REST API requests by route and status."}, []string{"method", "route", "status"})
	m.apiLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "voxguard_api_request_seconds", Help: "REST API request duration.",
		Buckets: prometheus.DefBuckets}, []string{"method", "route"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_refused_total", Help: "Requests refused before a call or API handler ran, by status."}, []string{"status"})
	m.shed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_calls_shed_total", Help: "Calls refused with 503 to protect the live ones: at MaxCalls (capacity) or above ShedDelay (overload)."}, []string{"reason"})
	m.fusionShed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_fusion_shed_total",
		Help: "Calls that stopped feeding the bundle's second speaker system (and, without SpecShedDelay, its countermeasure's spectrum network), or never started, because goroutines waited longer than FusionShedDelay for a processor: at the call's start (\"start\") or during it (\"during\")."}, []string{"when"})
	m.specShed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_spec_shed_total",
		Help: "Calls whose countermeasure spectrum network was dropped before it scored them, because goroutines waited longer than SpecShedDelay (without it: FusionShedDelay, with the second speaker system) for a processor: at the call's start (\"start\") or during it (\"during\")."}, []string{"when"})
	m.viewShed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voxguard_spec_view_shed_total",
		Help: "Calls whose countermeasure spectrum network was to score them with its views (networks on further front ends) and will score them with its first network alone, because goroutines waited longer than SpecViewShedDelay for a processor: at the call's start (\"start\") or during it (\"during\"). Such a call may still lose the network too (voxguard_spec_shed_total)."}, []string{"when"})
	sched := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "voxguard_sched_delay_p99_seconds",
		Help: "99th percentile over the last 2 s of how long runnable goroutines waited for a processor (0: too few events to tell); the load-shedding signal."},
		func() float64 { return s.sched.p99(time.Now()).Seconds() })
	live := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "voxguard_live_calls", Help: "Calls in progress."},
		func() float64 { return float64(m.liveCalls.Load()) })
	cached := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "voxguard_voiceprints_cached",
		Help: "Prepared voiceprints held in memory (serve --voiceprint-cache bounds them; 0 without a store)."},
		func() float64 {
			if sv := s.sv; sv != nil { // set once, before serving (SetStore)
				return float64(sv.CachedVoiceprints())
			}
			return 0
		})
	m.reg.MustRegister(m.calls, m.audioSeconds, m.latency, m.assessments, m.reasons, m.api, m.apiLatency, m.refused, m.shed, m.fusionShed, m.specShed, m.viewShed, sched, live, cached,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *promMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// observe records assessments that were ready d after their trigger arrived.
func (m *promMetrics) observe(as []engine.Assessment, d time.Duration) {
	for _, a := range as {
		m.latency.Observe(d.Seconds())
		m.assessments.WithLabelValues(string(a.Verification.Decision), string(a.Band)).Inc()
		if a.Final {
			for _, r := range a.Reasons {
				m.reasons.WithLabelValues(string(r)).Inc()
			}
			if len(a.Reasons) == 0 {
				m.reasons.WithLabelValues("NONE").Inc()
			}
		}
	}
}

// metricsAPI records one REST request.
func (s *Server) metricsAPI(rt apiRoute, status int, d time.Duration) {
	s.prom.api.WithLabelValues(rt.Method, rt.Path, strconv.Itoa(status)).Inc()
	s.prom.apiLatency.WithLabelValues(rt.Method, rt.Path).Observe(d.Seconds())
}

// serveReady answers /readyz: 200 when the server accepts calls and its store (if any)
// answers, 503 otherwise.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		s.problem(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	if why := s.overloaded(); why != "" {
		s.problem(w, http.StatusServiceUnavailable, why)
		return
	}
	if s.st != nil {
		if _, err := s.st.AuditHead(); err != nil {
			s.problem(w, http.StatusServiceUnavailable, "store unavailable")
			return
		}
	}
	w.Write([]byte("ready\n"))
}

// keyHolder carries, through a stream request's context, the API key id whose call slot
// authorize took, so that the handler's wrapper gives it back.
type keyHolder struct{ id string }

type keyHolderCtx struct{}

// limited wraps a stream endpoint so that a call slot taken by authorize is released when the
// handler returns.
func (s *Server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		kh := &keyHolder{}
		r = r.WithContext(context.WithValue(r.Context(), keyHolderCtx{}, kh))
		h(w, r)
		s.releaseSlot(r)
	}
}

// releaseSlot gives back the call slot authorize took for request r, if it holds one — when
// its handler returns, or earlier when the connection turns out not to be a call (an
// AudioHook connection probe).
func (s *Server) releaseSlot(r *http.Request) {
	kh, _ := r.Context().Value(keyHolderCtx{}).(*keyHolder)
	if kh == nil || kh.id == "" {
		return
	}
	s.mu.Lock()
	s.perKey[kh.id]--
	if s.perKey[kh.id] <= 0 {
		delete(s.perKey, kh.id)
	}
	s.mu.Unlock()
	kh.id = ""
	s.prom.liveCalls.Add(-1)
}

// slotResult is takeSlot's answer.
type slotResult int

const (
	slotTaken  slotResult = iota // the call may start
	slotPerKey                   // its key streams MaxCallsPerKey calls already
	slotServer                   // the server streams MaxCalls calls already
)

// takeSlot reserves a call slot for key k on request r, unless the key or the server is at its
// limit.
func (s *Server) takeSlot(r *http.Request, k Key) slotResult {
	kh, _ := r.Context().Value(keyHolderCtx{}).(*keyHolder)
	if kh == nil || kh.id != "" {
		return slotTaken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxCallsPerKey > 0 && s.perKey[k.ID] >= s.cfg.MaxCallsPerKey {
		return slotPerKey
	}
	if s.cfg.MaxCalls > 0 && s.prom.liveCalls.Load() >= int64(s.cfg.MaxCalls) {
		return slotServer
	}
	s.perKey[k.ID]++
	kh.id = k.ID
	s.prom.liveCalls.Add(1)
	return slotTaken
}
