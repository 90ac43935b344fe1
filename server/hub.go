package server

import (
	"cmp"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/voxguard/voxguard/engine"
)

// Event is one message of /v1/events, personal data masked. Its Type is one of:
//
//   - "assessment": an assessment of a live call (Assessment set). Every subscriber receives
//     these. The call's final assessment has Assessment.Final set.
//   - "call_started": a call began (Started set; Customer when already known).
//   - "call_updated": the call's claimed customer changed (Customer), sent once per new claim.
//   - "call_ended": the call ended (Started and Ended set), always after its final assessment
//     when it had one. Every call_started is followed by exactly one call_ended, also for a
//     call whose final assessment failed, so a console needs nothing else to retire a call.
//
// The three call_* events go only to lifecycle subscribers (Hub.SubscribeCalls,
// /v1/events?lifecycle=1); plain subscribers see assessments only, as before. CallID, Platform,
// ANI and Customer are set on every event the server publishes.
type Event struct {
	Type     string `json:"type"`              // see above
	CallID   string `json:"call_id,omitempty"` // platform call id
	Platform string `json:"platform"`          // stream, twilio, audiohook, fork
	ANI      string `json:"ani,omitempty"`     // caller's number, masked (MaskANI)
	// Customer is the claimed customer for display, masked and looked up once per claim: the
	// store subject's masked name (store.MaskName), else its masked account reference, else
	// the masked subject id (store.MaskAccount). Empty while nobody is claimed.
	Customer   string            `json:"customer,omitempty"`
	Started    time.Time         `json:"started,omitzero"` // UTC; call_* events
	Ended      time.Time         `json:"ended,omitzero"`   // UTC; call_ended only
	Assessment engine.Assessment `json:"assessment,omitzero"`
}

// callID returns the call the event is about.
func (e *Event) callID() string {
	if e.CallID != "" {
		return e.CallID
	}
	return e.Assessment.CallID
}

// MaskANI masks a phone number for display and logs, keeping only its last two digits:
// "+1-555-555-1234" becomes "*********34".
func MaskANI(ani string) string {
	digits := 0
	for _, c := range ani {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits == 0 {
		return ""
	}
	out := make([]byte, 0, digits)
	keep := 2
	if digits <= 4 {
		keep = 0
	}
	for _, c := range ani {
		if c < '0' || c > '9' {
			continue
		}
		if digits <= keep {
			out = append(out, byte(c))
		} else {
			out = append(out, '*')
		}
		digits--
	}
	return string(out)
}

// hubRecent is how many ended calls the hub keeps for lifecycle subscribers' snapshots.
const hubRecent = 50

// Hub fans events out to subscribers. A subscriber that falls behind by more than its buffer is
// dropped (its channel closed), so a slow agent console never slows a call down.
//
// The hub also tracks call lifecycles (see Event): the live calls, each with its start event and
// latest assessment event as already-encoded JSON, and the last 50 ended calls, so that a
// lifecycle subscriber (SubscribeCalls) starts with a snapshot of them. Tracking costs nothing
// per assessment beyond keeping the encoded event the hub marshals anyway.
type Hub struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	live   map[*liveCall]struct{}
	recent []*liveCall // ended calls, oldest first, at most hubRecent
	order  uint64      // start counter, orders snapshots
}

// liveCall is the hub's record of one call: its events as sent to subscribers.
type liveCall struct {
	callID  string
	order   uint64
	started []byte // JSON of its call_started event (with the latest customer)
	last    []byte // JSON of its latest assessment event; nil before the first
	ended   []byte // JSON of its call_ended event; nil while live
}

// Subscription receives the JSON encoding of events on C, for one call or all calls.
type Subscription struct {
	C <-chan []byte
	// Dropped is closed when the hub drops the subscription for falling a buffer behind (C is
	// closed then too), so that a writer blocked on a slow client can give up at once.
	Dropped   <-chan struct{}
	dropped   chan struct{}
	c         chan []byte
	callID    string // "" = every call
	lifecycle bool   // also call_started, call_updated and call_ended events
	closed    bool
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[*Subscription]struct{}{}, live: map[*liveCall]struct{}{}}
}

// Subscribe returns a subscription to the assessment events of callID ("" for all calls) with a
// buffer of n events.
func (h *Hub) Subscribe(callID string, n int) *Subscription {
	c, d := make(chan []byte, n), make(chan struct{})
	s := &Subscription{C: c, c: c, Dropped: d, dropped: d, callID: callID}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// SubscribeCalls returns a subscription to every event of callID ("" for all calls), lifecycle
// events included, with a buffer of n events beyond its snapshot. The snapshot comes first on
// C: for each of the recently ended calls (oldest first) its call_started, latest assessment
// and call_ended events, then for each live call (in start order) its call_started event (with
// the current customer) and its latest assessment event, if any. Live events follow, none
// missed and none repeated.
func (h *Hub) SubscribeCalls(callID string, n int) *Subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	var snap [][]byte
	add := func(lc *liveCall) {
		if callID != "" && lc.callID != callID {
			return
		}
		for _, b := range [][]byte{lc.started, lc.last, lc.ended} {
			if b != nil {
				snap = append(snap, b)
			}
		}
	}
	for _, lc := range h.recent {
		add(lc)
	}
	live := make([]*liveCall, 0, len(h.live))
	for lc := range h.live {
		live = append(live, lc)
	}
	slices.SortFunc(live, func(a, b *liveCall) int { return cmp.Compare(a.order, b.order) })
	for _, lc := range live {
		add(lc)
	}
	c := make(chan []byte, n+len(snap))
	for _, b := range snap {
		c <- b
	}
	d := make(chan struct{})
	s := &Subscription{C: c, c: c, Dropped: d, dropped: d, callID: callID, lifecycle: true}
	h.subs[s] = struct{}{}
	return s
}

// Unsubscribe ends s (closing its channel if still open).
func (h *Hub) Unsubscribe(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	if !s.closed {
		s.closed = true
		close(s.c)
	}
}

// Publish sends e to every matching subscriber without blocking. It does not track calls:
// the server's calls publish through the hub's lifecycle methods.
func (h *Hub) Publish(e Event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fanOut(b, e.callID(), e.Type != "assessment")
}

// fanOut sends b to the subscribers of callID (lifecycle subscribers only for a lifecycle
// event), dropping those whose buffer is full. h.mu must be held.
func (h *Hub) fanOut(b []byte, callID string, lifecycle bool) {
	for s := range h.subs {
		if s.callID != "" && s.callID != callID || lifecycle && !s.lifecycle {
			continue
		}
		select {
		case s.c <- b:
		default: // too slow: drop the subscriber rather than the call
			delete(h.subs, s)
			s.closed = true
			close(s.c)
			close(s.dropped)
		}
	}
}

// callStarted registers a live call from its call_started event and publishes the event.
func (h *Hub) callStarted(e Event) *liveCall {
	b, _ := json.Marshal(e) // an Event always encodes
	h.mu.Lock()
	defer h.mu.Unlock()
	h.order++
	lc := &liveCall{callID: e.CallID, order: h.order, started: b}
	h.live[lc] = struct{}{}
	h.fanOut(b, e.CallID, true)
	return lc
}

// callUpdated replaces lc's call_started event (the claimed customer changed) and publishes e,
// a call_updated event.
func (h *Hub) callUpdated(lc *liveCall, started, e Event) {
	bs, _ := json.Marshal(started)
	b, _ := json.Marshal(e)
	h.mu.Lock()
	defer h.mu.Unlock()
	lc.started = bs
	h.fanOut(b, lc.callID, true)
}

// callAssessed publishes an assessment event of lc and keeps it as the call's latest.
func (h *Hub) callAssessed(lc *liveCall, e Event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	lc.last = b
	h.fanOut(b, lc.callID, false)
}

// callEnded publishes lc's call_ended event and moves it from the live calls to the recent ones.
func (h *Hub) callEnded(lc *liveCall, e Event) {
	b, _ := json.Marshal(e)
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.live, lc)
	lc.ended = b
	if len(h.recent) == hubRecent {
		copy(h.recent, h.recent[1:])
		h.recent = h.recent[:hubRecent-1]
	}
	h.recent = append(h.recent, lc)
	h.fanOut(b, lc.callID, true)
}

// Live returns the number of live calls the hub tracks.
func (h *Hub) Live() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.live)
}
