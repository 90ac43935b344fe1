package server

import (
	"encoding/json"
	"sync"

	"github.com/voxguard/voxguard/engine"
)

// Event is what agents receive on /v1/events for every assessment of every live call: the
// assessment with the call's context, personal data masked.
type Event struct {
	Type       string            `json:"type"`          // "assessment"
	Platform   string            `json:"platform"`      // stream, twilio, audiohook, fork
	ANI        string            `json:"ani,omitempty"` // caller's number, masked (MaskANI)
	Assessment engine.Assessment `json:"assessment"`
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

// Hub fans events out to subscribers. A subscriber that falls behind by more than its buffer is
// dropped (its channel closed), so a slow agent console never slows a call down.
type Hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription receives the JSON encoding of events on C, for one call or all calls.
type Subscription struct {
	C      <-chan []byte
	c      chan []byte
	callID string // "" = every call
	closed bool
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*Subscription]struct{}{}} }

// Subscribe returns a subscription to events of callID ("" for all calls) with a buffer of n.
func (h *Hub) Subscribe(callID string, n int) *Subscription {
	c := make(chan []byte, n)
	s := &Subscription{C: c, c: c, callID: callID}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
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

// Publish sends e to every matching subscriber without blocking.
func (h *Hub) Publish(e Event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.callID != "" && s.callID != e.Assessment.CallID {
			continue
		}
		select {
		case s.c <- b:
		default: // too slow: drop the subscriber rather than the call
			delete(h.subs, s)
			s.closed = true
			close(s.c)
		}
	}
}
