package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// serveEvents runs /v1/events: the agents' live feed of assessments as Event text frames, for
// every call or, with ?call_id=, one call. With ?lifecycle=1 (what the agent console uses) the
// feed also carries the call_started, call_updated and call_ended events and begins with a
// snapshot of the live and recently ended calls (Hub.SubscribeCalls), so that a console
// connecting mid-call sees every live call at once. It needs an agent (or admin) key. Browsers
// may pass it as ?access_token=; their Origin must be the server's own host. A client that
// cannot keep up is disconnected (close 1008, "too slow", when the frame still gets through)
// as soon as the hub drops it, rather than slowing the calls.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || !(strings.EqualFold(u.Host, r.Host) || s.originAllowed(o)) {
			s.problem(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
	}
	if _, ok := s.authorize(w, r, tokenFrom(r), RoleAgent); !ok {
		return
	}
	c, err := s.upgrade(w, r)
	if err != nil {
		return
	}
	defer s.done(c)
	c.SetReadLimit(4096) // agents send nothing but control frames
	q := r.URL.Query()
	var sub *Subscription
	if lc, _ := strconv.ParseBool(q.Get("lifecycle")); lc {
		sub = s.hub.SubscribeCalls(q.Get("call_id"), 256)
	} else {
		sub = s.hub.Subscribe(q.Get("call_id"), 256)
	}
	defer s.hub.Unsubscribe(sub)
	// A console the hub drops is usually stuck in a write that its full socket will not take:
	// end that write now rather than at the write timeout.
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-sub.Dropped:
			c.UnderlyingConn().SetWriteDeadline(time.Now())
		case <-finished:
		}
	}()
	// Read (and discard) client frames so that pings, pongs and its close are handled.
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for {
		select {
		case b, ok := <-sub.C:
			if !ok {
				s.closeWith(c, websocket.ClosePolicyViolation, "too slow")
				return
			}
			c.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
			if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
				c.Close()
				return
			}
		case <-gone:
			c.Close()
			return
		}
	}
}

// originAllowed reports whether origin is one of Config.EventOrigins.
func (s *Server) originAllowed(origin string) bool {
	for _, o := range s.cfg.EventOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}
