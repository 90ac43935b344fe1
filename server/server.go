package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/store"
)

// Config is the server's I/O policy. Zero values take defaults.
type Config struct {
	// MaxMessageBytes caps one WebSocket message (default 64 KiB; a 200 ms frame of 16 kHz
	// stereo L16 is 12.8 KB, and base64 text frames grow by a third).
	MaxMessageBytes int64
	// IdleTimeout closes a stream that sends nothing for this long (default 30 s).
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to a client (default 5 s): a client that never reads is
	// disconnected instead of stalling its call.
	WriteTimeout time.Duration
	// TwilioAuthToken, if set, makes /v1/twilio require a valid X-Twilio-Signature.
	TwilioAuthToken string
	// PublicURL is the scheme and host platforms use to reach the server, e.g.
	// "wss://voxguard.example.com", needed to check Twilio signatures behind a proxy; empty:
	// "ws://" or "wss://" plus the request's Host.
	PublicURL string
	// SignatureSkew is the clock skew tolerated on AudioHook signature times (default 30 s).
	SignatureSkew time.Duration
	// Now is the clock (default time.Now); tests fix it to check captured signatures.
	Now func() time.Time
	// Logger receives structured logs (default: discard). Personal data is masked before logging.
	Logger *slog.Logger
	// Enroll is the enrollment policy of the REST API (zero: engine.DefaultEnrollPolicy).
	Enroll engine.EnrollPolicy
	// MaxCallsPerKey caps the concurrent calls one API key may stream (0: no cap).
	MaxCallsPerKey int
	// MaxCalls caps the concurrent calls of the whole server (0: no cap); a call beyond it is
	// refused with 503 and Retry-After before its upgrade.
	MaxCalls int
	// ShedDelay, if positive, sheds load: while the Go scheduler's queueing delay (the 99th
	// percentile over the last two seconds of how long runnable goroutines wait for a processor)
	// exceeds it, and while the live calls are at the cap that delay has set since (overload.go),
	// new calls are refused with 503 and Retry-After and /readyz answers 503, so that the calls
	// already in progress keep their latency instead of every call losing it.
	ShedDelay time.Duration
	// FusionShedDelay, if positive, sheds the bundle's second speaker system (engine.Config.
	// SecondSystem) before any call: while the scheduling delay that ShedDelay watches exceeds
	// it, about half of the live calls that feed the second system stop at their next audio
	// message (engine.Session.Shed: the first system alone scores the rest of the call), and
	// half again every second while it stays above; new calls start without it in the same
	// proportion, which grows back while the delay is under half of FusionShedDelay
	// (overload.go, fusionLevel). The second system costs about a third of a call's processing
	// while it is fed, so a server short of processor time sheds that before it sheds calls or
	// misses latency. The countermeasure's spectrum network, which scores each call once when
	// its first seconds are in, is shed with it (engine.SpoofStream.DropSpec: the other
	// countermeasure systems judge alone, at their own thresholds) unless SpecShedDelay is set.
	// Set it below ShedDelay. No effect on an engine with neither.
	FusionShedDelay time.Duration
	// SpecShedDelay, if positive, sheds the countermeasure's spectrum network apart from the
	// second speaker system: by its own share of the calls, kept as FusionShedDelay keeps the
	// second system's (fusionLevel) but on this delay, with the same rank per call. The network
	// scores a call once (~7 CPU ms per network on one core) where the second system costs
	// about a third of every second of audio, so shedding the second system alone often frees
	// enough. Set it between FusionShedDelay and ShedDelay (serve's default: twice
	// FusionShedDelay). Zero: the network goes with the second system (FusionShedDelay).
	SpecShedDelay time.Duration
	// SpecViewShedDelay, if positive (and SpecShedDelay too), sheds the spectrum network's views
	// (a bundle's networks on further front ends, models.Countermeasure.SpecViews) before the
	// network itself: by their own share of the calls, kept as SpecShedDelay keeps the
	// network's but on this delay, with the same rank per call; the first network then scores
	// the call alone, at its own thresholds (engine.Session.DropSpecViews; only for bundles that
	// carry those, models.Countermeasure.SpecPrimary). c48's short-window view costs about
	// twice its first network. Set it at or below SpecShedDelay (serve's default:
	// FusionShedDelay). Zero: the views go only with the network.
	SpecViewShedDelay time.Duration
	// EventOrigins are the browser origins (scheme://host[:port]) allowed on /v1/events
	// besides the server's own host.
	EventOrigins []string
}

// Server serves the streaming endpoints of one engine.
type Server struct {
	eng *engine.Engine
	// rec scores recordings sent whole (the REST API's one-shot verify and identify); eng
	// unless SetRecordingEngine says otherwise.
	rec  *engine.Engine
	auth Authenticator
	hub  *Hub
	cfg  Config
	log  *slog.Logger
	up   websocket.Upgrader

	metrics struct {
		calls, assessments, rejected atomic.Int64
	}

	sv     *engine.StoreVoices // nil: no store (no REST API, no call records)
	st     *store.Store
	recent *recentCalls
	prom   *promMetrics

	sched  *schedDelay // the scheduler's queueing delay, for ShedDelay and FusionShedDelay
	fusion fusionLevel // the share of calls that may feed the second speaker system (FusionShedDelay)
	spec   fusionLevel // the share of calls the spectrum network may score (SpecShedDelay)
	views  fusionLevel // the share of calls its views may score (SpecViewShedDelay)
	limit  callLimit   // the adaptive cap on live calls that ShedDelay keeps

	mu       sync.Mutex
	perKey   map[string]int                // live calls per API key id
	live     map[*websocket.Conn]*liveConn // open WebSockets
	handlers sync.WaitGroup                // running WebSocket handlers
	closing  bool
}

// New returns a server for eng, authenticating with auth.
func New(eng *engine.Engine, auth Authenticator, cfg Config) *Server {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 64 << 10
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.SignatureSkew <= 0 {
		cfg.SignatureSkew = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	s := &Server{eng: eng, rec: eng, auth: auth, hub: NewHub(), cfg: cfg, log: cfg.Logger, live: map[*websocket.Conn]*liveConn{}, perKey: map[string]int{}, sched: newSchedDelay()}
	s.prom = newPromMetrics(s)
	s.up = websocket.Upgrader{
		ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10,
		// Platforms are not browsers; /v1/events checks its origin itself.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return s
}

// SetRecordingEngine makes the REST API's one-shot verify and identify score their uploads with
// e instead of the live calls' engine: with the bundle's second speaker system off for live calls
// (engine.Config.SecondSystem, for the cost of a call's first seconds), the engine with it on
// (engine.Engine.WithSecondSystem on engine.StoreVoices.Fused), since an upload has no live
// latency to keep. e must be on the same bundle and store as the server's engine.
func (s *Server) SetRecordingEngine(e *engine.Engine) { s.rec = e }

// Hub returns the server's event hub (every assessment of every call is published there).
func (s *Server) Hub() *Hub { return s.hub }

// Handler returns the HTTP handler serving every endpoint.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/stream", s.limited(s.serveNative))
	mux.HandleFunc("GET /v1/twilio", s.limited(s.serveTwilio))
	mux.HandleFunc("GET /v1/audiohook", s.limited(s.serveAudioHook))
	mux.HandleFunc("GET /v1/fork", s.limited(s.serveFork))
	mux.HandleFunc("GET /v1/events", s.serveEvents)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", s.prom.handler())
	s.registerConsole(mux)
	if s.st != nil {
		s.registerAPI(mux)
	} else {
		mux.HandleFunc("GET /v1/openapi.json", s.serveOpenAPI)
	}
	return mux
}

// problem writes an RFC 9457 application/problem+json error.
func (s *Server) problem(w http.ResponseWriter, status int, detail string) {
	s.metrics.rejected.Add(1)
	s.prom.refused.WithLabelValues(strconv.Itoa(status)).Inc()
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
}

// authorize checks the request's API key for role want before an upgrade; on failure it writes
// 401 (no or unknown key) or 403 (wrong role) and returns false.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, token string, want Role) (Key, bool) {
	if token == "" {
		s.problem(w, http.StatusUnauthorized, "missing API key")
		return Key{}, false
	}
	k, ok := s.auth.Authenticate(token)
	if !ok {
		s.problem(w, http.StatusUnauthorized, "unknown API key")
		return Key{}, false
	}
	if !allows(k.Role, want) {
		s.problem(w, http.StatusForbidden, "this key's role may not use this endpoint")
		return Key{}, false
	}
	if want == RoleIngest {
		if why := s.overloaded(); why != "" {
			s.shedOverload(w, why)
			return Key{}, false
		}
		if !s.slot(w, r, k) {
			return Key{}, false
		}
	}
	return k, true
}

// slot takes a call slot for key k on request r (takeSlot), or writes why not — 429 when the
// key is at MaxCallsPerKey, 503 with Retry-After when the server is at MaxCalls — and returns
// false.
func (s *Server) slot(w http.ResponseWriter, r *http.Request, k Key) bool {
	switch s.takeSlot(r, k) {
	case slotPerKey:
		s.problem(w, http.StatusTooManyRequests, fmt.Sprintf("this key already streams its limit of %d concurrent calls", s.cfg.MaxCallsPerKey))
		return false
	case slotServer:
		s.prom.shed.WithLabelValues("capacity").Inc()
		w.Header().Set("Retry-After", "2")
		s.problem(w, http.StatusServiceUnavailable, fmt.Sprintf("the server is at its limit of %d concurrent calls; retry later", s.cfg.MaxCalls))
		return false
	}
	return true
}

// shedOverload refuses a new call while the server sheds load: 503 with Retry-After.
func (s *Server) shedOverload(w http.ResponseWriter, why string) {
	s.prom.shed.WithLabelValues("overload").Inc()
	w.Header().Set("Retry-After", "2")
	s.problem(w, http.StatusServiceUnavailable, why)
}

// upgrade upgrades to a WebSocket and registers it for Shutdown; the handler must call done
// (with the connection) when it returns.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		s.problem(w, http.StatusServiceUnavailable, "server shutting down")
		return nil, errors.New("shutting down")
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	c, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		s.handlers.Done()
		return nil, err
	}
	s.mu.Lock()
	if s.closing { // Shutdown began during the handshake and did not see c
		s.mu.Unlock()
		s.closeWith(c, websocket.CloseGoingAway, "server shutting down")
		s.handlers.Done()
		return nil, errors.New("shutting down")
	}
	s.live[c] = &liveConn{done: make(chan struct{})}
	s.mu.Unlock()
	return c, nil
}

// liveConn is what Shutdown knows of an open WebSocket.
type liveConn struct {
	// shutdown, if set, asks the connection's handler to end the session itself (AudioHook's
	// disconnect and close transaction); if it reports that it will, Shutdown waits for done up
	// to shutdownGrace before closing the socket.
	shutdown func() bool
	done     chan struct{} // closed when the handler returns
}

// shutdownGrace bounds how long Shutdown lets a handler end its session itself.
const shutdownGrace = disconnectGrace + time.Second

// onShutdown registers c's handler's shutdown hook (see liveConn).
func (s *Server) onShutdown(c *websocket.Conn, f func() bool) {
	s.mu.Lock()
	if l := s.live[c]; l != nil {
		l.shutdown = f
	}
	s.mu.Unlock()
}

// done unregisters a connection whose handler is returning.
func (s *Server) done(c *websocket.Conn) {
	s.mu.Lock()
	if l := s.live[c]; l != nil {
		close(l.done)
	}
	delete(s.live, c)
	s.mu.Unlock()
	s.handlers.Done()
}

// Shutdown closes every open WebSocket with 1001 ("server shutting down"), so that each live
// call ends with its final assessment published to the agents, and waits for the handlers to
// finish or ctx to end. AudioHook sessions are first asked to end the protocol's way (disconnect,
// then the client's close answered with the final assessment and closed) for up to
// shutdownGrace. Call it after http.Server.Shutdown, which does not see WebSockets.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make(map[*websocket.Conn]*liveConn, len(s.live))
	for c, l := range s.live {
		conns[c] = l
	}
	s.mu.Unlock()
	// Side by side and without the lock: a close frame to a client that does not read waits
	// up to a second for its socket, which must not hold up the others (nor done and upgrade).
	var closers sync.WaitGroup
	for c, l := range conns {
		closers.Go(func() {
			s.mu.Lock()
			hook := l.shutdown
			s.mu.Unlock()
			if hook != nil && hook() {
				select {
				case <-l.done:
					return
				case <-time.After(shutdownGrace):
				case <-ctx.Done():
				}
			}
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
			c.Close()
		})
	}
	finished := make(chan struct{})
	go func() { closers.Wait(); s.handlers.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeJSON sends v as a text message within the write timeout.
func (s *Server) writeJSON(c *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	return c.WriteMessage(websocket.TextMessage, b)
}

// closeWith sends a close frame with code and reason (truncated to the 123 bytes a control
// frame allows) and closes the connection.
func (s *Server) closeWith(c *websocket.Conn, code int, reason string) {
	if len(reason) > 123 {
		reason = reason[:123]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.Close()
}

// closeFor closes c as err demands: a protocolError's code and reason; a read-limit breach 1009;
// a peer's close or a dropped connection silently; anything else 1011.
func (s *Server) closeFor(c *websocket.Conn, err error) {
	var pe *protocolError
	switch {
	case err == nil:
		s.closeWith(c, websocket.CloseNormalClosure, "")
	case errors.As(err, &pe):
		s.closeWith(c, pe.Code, pe.Reason)
	case isTimeout(err):
		s.closeWith(c, websocket.CloseGoingAway, "idle timeout")
	case errors.Is(err, websocket.ErrReadLimit):
		s.closeWith(c, websocket.CloseMessageTooBig, "message too big")
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived):
		c.Close()
	default:
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			c.Close()
			return
		}
		if errors.Is(err, engine.ErrStopped) {
			s.closeWith(c, websocket.CloseProtocolError, "call already stopped")
			return
		}
		c.Close() // network error or timeout: nobody to tell
	}
}

// read reads the next message into *buf (reused), extending the idle deadline. A message over
// MaxMessageBytes is refused with close 1009 and a reason, without reading the rest of it.
func (s *Server) read(c *websocket.Conn, buf *[]byte) (int, []byte, error) {
	return s.readBy(c, buf, time.Now().Add(s.cfg.IdleTimeout))
}

// readBy is read with a deadline of its caller's choosing.
func (s *Server) readBy(c *websocket.Conn, buf *[]byte, deadline time.Time) (int, []byte, error) {
	c.SetReadDeadline(deadline)
	mt, r, err := c.NextReader()
	if err != nil {
		return 0, nil, err
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			if int64(len(b)) > s.cfg.MaxMessageBytes {
				return 0, nil, &protocolError{Code: websocket.CloseMessageTooBig, Reason: fmt.Sprintf("message over %d bytes", s.cfg.MaxMessageBytes)}
			}
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, err
		}
	}
	*buf = b
	if int64(len(b)) > s.cfg.MaxMessageBytes {
		return 0, nil, &protocolError{Code: websocket.CloseMessageTooBig, Reason: fmt.Sprintf("message over %d bytes", s.cfg.MaxMessageBytes)}
	}
	return mt, b, nil
}

// isTimeout reports whether err is a network timeout (the idle deadline passed).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
