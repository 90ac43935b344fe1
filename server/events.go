package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// serveEvents runs /v1/events: the agents' live feed of assessments as Event text frames, for
// every call or, with ?call_id=, one call. It needs an agent (or admin) key. Browsers may pass it
// as ?access_token=; their Origin must be the server's own host. A client that cannot keep up
// is disconnected (close 1008, "too slow") rather than slowing the calls.
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
	sub := s.hub.Subscribe(r.URL.Query().Get("call_id"), 256)
	defer s.hub.Unsubscribe(sub)
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
