package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/engine"
)

// stuckReadBuffer is the TCP receive buffer of a client that never reads: small, so that the
// server's writes to it block after a few KB rather than after the megabytes Linux's
// autotuning would otherwise accept on loopback.
const stuckReadBuffer = 4 << 10

// smallSendBuffers is a listener whose connections have a TCP send buffer of n bytes.
type smallSendBuffers struct {
	net.Listener
	n int
}

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		err = c.(*net.TCPConn).SetWriteBuffer(l.n)
	}
	return c, err
}

// newStuckEnv is newEnv whose WebSocket URL (env.ws) leads to a listener with small send
// buffers, so that a client that never reads blocks the server's writes after a few KB instead
// of the megabytes Linux grows a loopback send buffer to. The guarantee under test does not
// depend on the size; the test just gets there sooner.
func newStuckEnv(t *testing.T, cfg Config) *testEnv {
	env := newEnv(t, cfg)
	hs := httptest.NewUnstartedServer(env.http.Config.Handler)
	hs.Listener = smallSendBuffers{hs.Listener, 4 << 10}
	hs.Start()
	t.Cleanup(hs.Close)
	env.ws = "ws" + strings.TrimPrefix(hs.URL, "http")
	return env
}

// dialStuck opens a WebSocket to url whose client side has a receive buffer of
// stuckReadBuffer bytes; the test never reads from it.
func dialStuck(t *testing.T, url string, h http.Header) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		ReadBufferSize:   256,
		// The buffer is set before connecting, so that the window the client advertises
		// matches it: shrunk afterwards, the client would drop data the server may send and
		// ignore the server's window updates, and the two sides would deadlock in TCP.
		NetDial: (&net.Dialer{Control: setReadBuffer(stuckReadBuffer)}).Dial,
	}
	c, res, err := d.Dial(url, h)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", url, err, res)
	}
	return c
}

// stream writes the messages of next (i = 0, 1, ...) to c from a goroutine until a write fails
// (the server went away), next says stop, or quit is closed. It never reads. The returned
// channel yields the first write error (nil if it stopped for another reason).
func stream(c *websocket.Conn, quit <-chan struct{}, next func(i int) (mt int, b []byte, ok bool)) <-chan error {
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			mt, b, ok := next(i)
			if !ok {
				done <- nil
				return
			}
			select {
			case <-quit:
				done <- nil
				return
			default:
			}
			// A safety net only: the server must drop the connection long before.
			c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if err := c.WriteMessage(mt, b); err != nil {
				done <- err
				return
			}
		}
	}()
	return done
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noLeaks waits for the number of goroutines to fall back to before, and otherwise fails
// with their stacks.
func noLeaks(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// idle reports whether s has no open WebSocket, no live call and no call slot taken.
func (s *Server) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live) == 0 && len(s.perKey) == 0 && s.prom.liveCalls.Load() == 0
}

// subscribers counts the hub's subscriptions.
func (h *Hub) subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// queued is the number of events waiting in the hub's subscriptions.
func (h *Hub) queued() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.subs {
		n += len(s.c)
	}
	return n
}

// assertDropped reads what the server managed to send to the never-reading c before it gave
// up, and checks that the stream then ends because the server closed the connection, not
// because the read timed out, and not with a close frame other than want (0: none, as the
// server cannot send one while its writes are blocked; a dropped connection reads as 1006).
func assertDropped(t *testing.T, c *websocket.Conn, want int) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		if isTimeout(err) {
			t.Errorf("the server never closed the connection of a client that does not read")
		} else if code := closeCode(err); code != 0 && code != websocket.CloseAbnormalClosure && code != want {
			t.Errorf("the server closed with %v, want it dropped for not reading", err)
		}
		return
	}
}

// goodCall runs a complete, well-behaved native call of alice claiming to be alice and checks
// its assessments: consecutive seqs, a final low-risk match.
func goodCall(t *testing.T, env *testEnv, callID string) {
	t.Helper()
	c, _, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "start", "call_id": callID, "subject_id": "alice", "encoding": "mulaw", "sample_rate": 8000, "channels": 1})
	x := mulaw(speech(t, aliceCall))
	for p := 0; p < len(x); p += 1600 {
		c.WriteMessage(websocket.BinaryMessage, x[p:min(p+1600, len(x))])
	}
	c.WriteJSON(map[string]any{"type": "stop"})
	msgs, err := readAllUntilFinal(t, c)
	if err != nil {
		t.Fatalf("well-behaved call: %v after %d messages", err, len(msgs))
	}
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	if msgs[0]["type"] != "started" || len(msgs) < 4 {
		t.Fatalf("well-behaved call got %v", msgs)
	}
	for i, a := range msgs[1:] {
		if a["type"] != "assessment" || a["seq"] != float64(i+1) {
			t.Errorf("well-behaved call, assessment %d: %v", i, a)
		}
	}
	last := msgs[len(msgs)-1]
	if v := last["verification"].(map[string]any); v["subject_id"] != "alice" || v["decision"] != "match" || last["band"] != "low" {
		t.Errorf("well-behaved call ended with %v, want a low-risk match", last)
	}
}

// A stream client that never reads (while it keeps streaming audio and messages that each get
// a reply) is disconnected once a write to it has waited WriteTimeout: its call ends with a
// final assessment, its slot, live count and goroutines are freed, and a well-behaved call
// streaming at the same time is assessed normally.
func TestStreamClientThatNeverReads(t *testing.T) {
	x := speech(t, aliceCall)
	mu, l16 := mulaw(x), pcm16(x, false)
	// chunk returns the i-th 200 ms of the caller's audio in enc, looping over the recording.
	chunk := func(enc []byte, bytesPerSample, i int) []byte {
		n := 1600 * bytesPerSample
		p := i * n % (len(enc) / n * n)
		return enc[p : p+n]
	}
	const maxMessages = 50000 // the server must give up long before
	cases := []struct {
		name, path string
		hdr        http.Header
		// next is the i-th message the client streams; callID names its call.
		next   func(callID string) func(i int) (int, []byte, bool)
		callID string
	}{
		{
			// Audio, and every fifth message a claim, which is assessed (and answered) at once.
			name: "native", path: "/v1/stream", hdr: bearer(ingestToken), callID: "c-stuck-native",
			next: func(id string) func(int) (int, []byte, bool) {
				return func(i int) (int, []byte, bool) {
					switch {
					case i == 0:
						return websocket.TextMessage, mustJSON(map[string]any{"type": "start", "call_id": id, "encoding": "mulaw", "sample_rate": 8000, "channels": 1}), true
					case i%5 == 0:
						return websocket.TextMessage, []byte(`{"type":"claim","subject_id":"alice"}`), i < maxMessages
					}
					return websocket.BinaryMessage, chunk(mu, 1, i), i < maxMessages
				}
			},
		},
		{
			// Audio, and every other message a ping, which is answered with a pong.
			name: "audiohook", path: "/v1/audiohook", callID: "c-stuck-audiohook",
			hdr: http.Header{"X-API-KEY": {ingestToken}, "Audiohook-Session-Id": {ahSessionID}},
			next: func(id string) func(int) (int, []byte, bool) {
				seq := 0
				msg := func(typ, params string) []byte {
					seq++
					return []byte(`{"version":"2","type":"` + typ + `","id":"` + ahSessionID + `","seq":` + strconv.Itoa(seq) + `,"serverseq":0,"position":"PT0S","parameters":` + params + `}`)
				}
				return func(i int) (int, []byte, bool) {
					switch {
					case i == 0:
						return websocket.TextMessage, msg("open", `{"organizationId":"o","conversationId":"`+id+`","participant":{"id":"p","ani":"+15551234567"},`+
							`"media":[{"type":"audio","format":"PCMU","channels":["external"],"rate":8000}],"inputVariables":{"subject_id":"alice"}}`), true
					case i%2 == 0:
						return websocket.TextMessage, msg("ping", "{}"), i < maxMessages
					}
					return websocket.BinaryMessage, chunk(mu, 1, i), i < maxMessages
				}
			},
		},
		{
			// L16 audio, and every fifth message a claim.
			name: "fork", path: "/v1/fork", hdr: bearer(ingestToken), callID: "c-stuck-fork",
			next: func(id string) func(int) (int, []byte, bool) {
				return func(i int) (int, []byte, bool) {
					switch {
					case i == 0:
						return websocket.TextMessage, mustJSON(map[string]any{"call_id": id, "sample_rate": 8000}), true
					case i%5 == 0:
						return websocket.TextMessage, []byte(`{"type":"claim","subject_id":"alice"}`), i < maxMessages
					}
					return websocket.BinaryMessage, chunk(l16, 2, i), i < maxMessages
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newStuckEnv(t, Config{WriteTimeout: 200 * time.Millisecond})
			speech(t, aliceCall)
			before := runtime.NumGoroutine()
			sub := env.srv.Hub().Subscribe(tc.callID, 1<<16)
			defer env.srv.Hub().Unsubscribe(sub)

			stuck := dialStuck(t, env.ws+tc.path, tc.hdr)
			defer stuck.Close()
			quit := make(chan struct{})
			defer close(quit)
			werr := stream(stuck, quit, tc.next(tc.callID))
			// Once the stuck call is under way, a well-behaved call runs beside it.
			waitFor(t, "the stuck call's first assessment", func() bool { return len(sub.C) > 0 })
			goodCall(t, env, "c-good-"+tc.name)

			select {
			case err := <-werr:
				if err == nil {
					t.Fatalf("the client streamed %d messages without the server dropping it", maxMessages)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the client's writes still block: the server neither reads nor drops it")
			}
			waitFor(t, "the stuck call to be freed", env.srv.idle)
			if n := env.srv.metrics.calls.Load(); n != 2 {
				t.Errorf("%d calls counted, want 2", n)
			}
			assertDropped(t, stuck, 0)
			final, n := false, 0
			for len(sub.C) > 0 {
				var e Event
				json.Unmarshal(<-sub.C, &e)
				final = final || e.Assessment.Final
				n++
			}
			if !final {
				t.Error("the dropped call ended without a final assessment")
			}
			t.Logf("the stuck call was dropped after %d assessments", n)
			stuck.Close()
			noLeaks(t, before)
		})
	}
}

// An agent console on /v1/events that never reads is dropped without slowing the calls: while
// its socket is full, a call streams and is assessed normally (publishing never blocks on the
// console), and the console is then disconnected once a write to it has waited WriteTimeout.
// With a WriteTimeout too long to matter, the hub still drops its subscription as soon as it is
// a buffer behind, so that it holds no more events; the connection itself then stays open until
// the blocked write times out or the server shuts down.
func TestEventsClientThatNeverReads(t *testing.T) {
	for _, tc := range []struct {
		name         string
		writeTimeout time.Duration
		close        int // a close code the console may get after what was sent before
	}{
		{"write timeout", 200 * time.Millisecond, 0},
		{"subscription buffer full", time.Hour, websocket.ClosePolicyViolation}, // "too slow", if it gets through
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newStuckEnv(t, Config{WriteTimeout: tc.writeTimeout})
			speech(t, aliceCall)
			before, subs := runtime.NumGoroutine(), env.srv.Hub().subscribers()

			console := dialStuck(t, env.ws+"/v1/events", bearer(agentToken))
			defer console.Close()
			waitFor(t, "the console's subscription", func() bool { return env.srv.Hub().subscribers() == subs+1 })
			// Half a subscription buffer of 4 KB events: far more than the sockets hold, so
			// the server's write to the console blocks, and the subscription stays behind.
			floodEvents(env.srv.Hub(), 128)
			goodCall(t, env, "c-good-events")
			if tc.writeTimeout == time.Hour {
				if env.srv.Hub().subscribers() != subs+1 {
					t.Fatal("the console was dropped before its subscription overflowed")
				}
				floodEvents(env.srv.Hub(), 256) // a full buffer more
				if env.srv.Hub().subscribers() != subs {
					t.Fatal("the hub kept the subscription of a console a buffer behind")
				}
				// Dropped by the hub, the console is disconnected at once: its blocked write
				// ends without waiting an hour for the write timeout.
			}
			waitFor(t, "the console to be dropped", func() bool {
				return env.srv.idle() && env.srv.Hub().subscribers() == subs
			})
			assertDropped(t, console, tc.close)
			console.Close()
			noLeaks(t, before)
		})
	}
}

// floodEvents publishes n events of 4 KB each.
func floodEvents(h *Hub, n int) {
	for i := range n {
		h.Publish(Event{Type: "assessment", Platform: "stream", ANI: strings.Repeat("*", 4<<10),
			Assessment: engine.Assessment{CallID: "c-flood", Seq: i + 1}})
	}
}

// Shutdown is not held up by clients that do not read: a close frame to one waits up to a
// second for the connection (here, for the write of a 1 MB event that will never finish), so
// the frames go out side by side rather than one after another, and Shutdown ends well within
// its context with every connection closed and every handler finished.
func TestShutdownWithClientsThatNeverRead(t *testing.T) {
	env := newStuckEnv(t, Config{WriteTimeout: time.Hour})
	before, subs := runtime.NumGoroutine(), env.srv.Hub().subscribers()
	const n = 6 // one after another, their close frames would take 6 s
	var consoles []*websocket.Conn
	for range n {
		c := dialStuck(t, env.ws+"/v1/events", bearer(agentToken))
		defer c.Close()
		consoles = append(consoles, c)
	}
	waitFor(t, "the consoles' subscriptions", func() bool { return env.srv.Hub().subscribers() == subs+n })
	env.srv.Hub().Publish(Event{Type: "assessment", ANI: strings.Repeat("*", 1<<20)})
	// Once every console's writer has taken the event, each holds its connection in a write
	// that cannot finish: a megabyte does not fit in the sockets.
	waitFor(t, "the consoles' writers to take the event", func() bool { return env.srv.Hub().queued() == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := env.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with %d clients that do not read: %v", n, err)
	}
	if !env.srv.idle() || env.srv.Hub().subscribers() != subs { // events hold no call slot
		t.Error("connections left open after shutdown")
	}
	for _, c := range consoles {
		assertDropped(t, c, websocket.CloseGoingAway) // sent if Shutdown got in before the event
		c.Close()
	}
	noLeaks(t, before)
}
