package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/store"
)

// eventTypes decodes a subscription's buffered events as "type call_id[/seq]" strings.
func eventTypes(t *testing.T, s *Subscription) []string {
	t.Helper()
	var out []string
	for {
		select {
		case b, ok := <-s.C:
			if !ok {
				return out
			}
			out = append(out, eventLabel(t, b))
		default:
			return out
		}
	}
}

func eventLabel(t *testing.T, b []byte) string {
	t.Helper()
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("invalid event %s", b)
	}
	if e.Type == "assessment" {
		return "assessment " + e.Assessment.CallID + "/" + strconv.Itoa(e.Assessment.Seq)
	}
	return e.Type + " " + e.CallID
}

// The hub's lifecycle: plain subscribers see assessments only; lifecycle subscribers see every
// event, and a late one starts with a snapshot of the recent and live calls (latest assessment
// only), then live events without gaps or repeats.
func TestHubLifecycleSnapshot(t *testing.T) {
	h := NewHub()
	plain := h.Subscribe("", 16)
	early := h.SubscribeCalls("", 16)
	ev := func(typ, id string) Event { return Event{Type: typ, CallID: id, Platform: "stream"} }
	as := func(id string, seq int) Event {
		return Event{Type: "assessment", CallID: id, Assessment: engine.Assessment{CallID: id, Seq: seq}}
	}
	a := h.callStarted(ev("call_started", "a"))
	b := h.callStarted(ev("call_started", "b"))
	h.callAssessed(a, as("a", 1))
	h.callAssessed(a, as("a", 2))
	h.callUpdated(b, ev("call_started", "b"), ev("call_updated", "b"))
	h.callEnded(a, ev("call_ended", "a"))
	c := h.callStarted(ev("call_started", "c"))
	h.callAssessed(c, as("c", 1))
	if n := h.Live(); n != 2 {
		t.Errorf("%d live calls, want 2", n)
	}

	for _, tc := range []struct {
		name string
		sub  *Subscription
		want []string
	}{
		{"plain", plain, []string{"assessment a/1", "assessment a/2", "assessment c/1"}},
		{"early lifecycle", early, []string{"call_started a", "call_started b", "assessment a/1", "assessment a/2",
			"call_updated b", "call_ended a", "call_started c", "assessment c/1"}},
		{"late lifecycle", h.SubscribeCalls("", 4), []string{"call_started a", "assessment a/2", "call_ended a",
			"call_started b", "call_started c", "assessment c/1"}},
		{"late, one call", h.SubscribeCalls("c", 4), []string{"call_started c", "assessment c/1"}},
	} {
		if got := eventTypes(t, tc.sub); strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
			t.Errorf("%s: got\n\t%v\nwant\n\t%v", tc.name, got, tc.want)
		}
	}

	late := h.SubscribeCalls("", 4)
	eventTypes(t, late) // the snapshot
	h.callEnded(c, ev("call_ended", "c"))
	if got := eventTypes(t, late); len(got) != 1 || got[0] != "call_ended c" {
		t.Errorf("after the snapshot: %v, want [call_ended c]", got)
	}
	// The recent calls are capped.
	for range hubRecent + 5 {
		h.callEnded(h.callStarted(ev("call_started", "x")), ev("call_ended", "x"))
	}
	if len(h.recent) != hubRecent || h.Live() != 1 {
		t.Errorf("%d recent and %d live calls, want %d and 1", len(h.recent), h.Live(), hubRecent)
	}
}

// The console's files: GET / redirects; the page, script, style and icon are served with a
// strict CSP, nosniff and revalidation; unknown files are 404.
func TestConsoleAssets(t *testing.T) {
	env := newEnv(t, Config{})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path, ctype string
		status      int
		contains    string
	}{
		{"/", "", http.StatusFound, ""},
		{"/console/", "text/html; charset=utf-8", 200, `<script src="console.js" defer></script>`},
		{"/console/console.js", "text/javascript; charset=utf-8", 200, "/v1/events?lifecycle=1"},
		{"/console/console.css", "text/css; charset=utf-8", 200, "--high"},
		{"/console/icon.svg", "image/svg+xml", 200, "<svg"},
		{"/console/nope.js", "", 404, ""},
		{"/console/index.html", "", 404, ""}, // served as /console/ only
		{"/nope", "", 404, ""},
	} {
		res, err := noRedirect.Get(env.http.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, res.StatusCode, tc.status)
			continue
		}
		if tc.status == http.StatusFound && res.Header.Get("Location") != "/console/" {
			t.Errorf("%s: redirects to %q", tc.path, res.Header.Get("Location"))
		}
		if tc.status != 200 {
			continue
		}
		h := res.Header
		host := strings.TrimPrefix(env.http.URL, "http://")
		wantCSP := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ws://" + host +
			" wss://" + host + "; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
		if h.Get("Content-Type") != tc.ctype || h.Get("Content-Security-Policy") != wantCSP ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-cache" || h.Get("ETag") == "" {
			t.Errorf("%s: headers %v", tc.path, h)
		}
		if !strings.Contains(string(body), tc.contains) {
			t.Errorf("%s: body lacks %q", tc.path, tc.contains)
		}
		for _, ext := range []string{"http://", "https://", "//fonts.", "cdn"} {
			if tc.path != "/console/icon.svg" && strings.Contains(string(body), ext) {
				t.Errorf("%s refers to %q: the console must load nothing from elsewhere", tc.path, ext)
			}
		}
		// Revalidation answers 304 for the same file.
		req, _ := http.NewRequest("GET", env.http.URL+tc.path, nil)
		req.Header.Set("If-None-Match", h.Get("ETag"))
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidated: %d, want 304", tc.path, res.StatusCode)
		}
	}
}

func TestConsoleCSPHost(t *testing.T) {
	for host, want := range map[string]string{
		"example.com:8080":   "connect-src 'self' ws://example.com:8080 wss://example.com:8080;",
		"[::1]:80":           "connect-src 'self' ws://[::1]:80 wss://[::1]:80;",
		"evil; script-src *": "connect-src 'self';",
		"":                   "connect-src 'self';",
	} {
		if got := consoleCSP(host); !strings.Contains(got, want) {
			t.Errorf("consoleCSP(%q) = %q, want it to contain %q", host, got, want)
		}
	}
}

// GET /console/session tells the page whether its key may watch calls.
func TestConsoleSession(t *testing.T) {
	env := newEnv(t, Config{})
	for _, tc := range []struct {
		token  string
		status int
	}{
		{"", 401}, {"wrong", 401}, {ingestToken, 403}, {agentToken, 200},
	} {
		req, _ := http.NewRequest("GET", env.http.URL+"/console/session", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got consoleSession
		json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("token %q: %d, want %d", tc.token, res.StatusCode, tc.status)
		}
		if tc.status == 200 && (got.KeyID != "k-agent" || got.Role != RoleAgent || got.Calls) {
			t.Errorf("session %+v, want k-agent, agent, no stored calls", got)
		}
	}
}

// A call streamed over /v1/stream, watched on /v1/events?lifecycle=1: call_started, one
// call_updated for the claim with the masked customer, the assessments (carrying the customer),
// call_ended last. A console connecting mid-call gets the live call's start and latest
// assessment at once; one connecting after the end gets the call among the recent ones.
func TestEventsLifecycle(t *testing.T) {
	env := newEnv(t, Config{})
	ev, _, err := env.dial(t, "/v1/events?lifecycle=1", bearer(agentToken))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	plain, _, err := env.dial(t, "/v1/events", bearer(agentToken))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	time.Sleep(20 * time.Millisecond) // let the subscriptions register

	c, _, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatal(err)
	}
	b := mulaw(speech(t, aliceCall))
	c.WriteJSON(map[string]any{"type": "start", "call_id": "c-life", "ani": "+1-555-555-1234", "subject_id": "alice",
		"encoding": "mulaw", "sample_rate": 8000, "channels": 1})
	half := len(b) / 2 / 160 * 160
	for p := 0; p < half; p += 160 {
		c.WriteMessage(websocket.BinaryMessage, b[p:p+160])
	}
	// Mid-call: a console connecting now sees the live call at once.
	var mid []Event
	for try := 0; len(mid) == 0 || mid[len(mid)-1].Type != "assessment"; try++ {
		if try == 500 {
			t.Fatalf("no assessment in the mid-call snapshot: %+v", mid)
		}
		time.Sleep(20 * time.Millisecond)
		mid = nil
		late, _, err := env.dial(t, "/v1/events?lifecycle=1", bearer(agentToken))
		if err != nil {
			t.Fatal(err)
		}
		late.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		for {
			_, m, err := late.ReadMessage()
			if err != nil {
				break
			}
			var e Event
			json.Unmarshal(m, &e)
			mid = append(mid, e)
		}
		late.Close()
	}
	// The snapshot (start, latest assessment), then any live assessments, without gaps or repeats.
	if len(mid) < 2 || mid[0].Type != "call_started" || mid[0].Customer != "*lice" || mid[0].ANI != "*********34" {
		t.Errorf("mid-call snapshot %+v, want call_started (customer *lice) and the latest assessment", mid)
	}
	for i := 2; i < len(mid); i++ {
		if mid[i].Type != "assessment" || mid[i].Assessment.Seq != mid[i-1].Assessment.Seq+1 {
			t.Errorf("mid-call event %d after the snapshot: %+v", i, mid[i])
		}
	}
	for p := half; p < len(b); p += 160 {
		c.WriteMessage(websocket.BinaryMessage, b[p:min(p+160, len(b))])
	}
	c.WriteJSON(map[string]any{"type": "stop"})
	if _, err := readAllUntilFinal(t, c); err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))

	var got []Event
	ev.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) == 0 || got[len(got)-1].Type != "call_ended" {
		_, m, err := ev.ReadMessage()
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		var e Event
		if err := json.Unmarshal(m, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) < 5 || got[0].Type != "call_started" || got[0].Customer != "" || got[1].Type != "call_updated" ||
		got[1].Customer != "*lice" || !got[len(got)-2].Assessment.Final {
		t.Fatalf("lifecycle events %+v", got)
	}
	for i, e := range got {
		if e.CallID != "c-life" || e.Platform != "stream" || e.ANI != "*********34" {
			t.Errorf("event %d: %+v", i, e)
		}
		if e.Type == "assessment" && e.Customer != "*lice" {
			t.Errorf("assessment %d without the customer: %+v", i, e)
		}
		if e.Type == "call_ended" && (e.Ended.IsZero() || e.Started.IsZero() || e.Ended.Before(e.Started)) {
			t.Errorf("call_ended times %v - %v", e.Started, e.Ended)
		}
	}
	// The plain feed carries the same assessments and nothing else.
	plain.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range len(got) - 3 {
		_, m, err := plain.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var e Event
		json.Unmarshal(m, &e)
		if e.Type != "assessment" || e.Assessment.Seq != i+1 {
			t.Errorf("plain event %d: %s", i, m)
		}
	}
	// After the end: the call is among the recent ones.
	after, _, err := env.dial(t, "/v1/events?lifecycle=1&call_id=c-life", bearer(agentToken))
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	after.SetReadDeadline(time.Now().Add(5 * time.Second))
	var types []string
	for range 3 {
		_, m, err := after.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, eventLabel(t, m))
	}
	if types[0] != "call_started c-life" || !strings.HasPrefix(types[1], "assessment c-life/") || types[2] != "call_ended c-life" {
		t.Errorf("snapshot after the end: %v", types)
	}
}

// The customer agents see: looked up in the store once per claim and masked.
func TestCustomerFor(t *testing.T) {
	env := newAPIEnv(t)
	named, _ := env.st.CreateSubject("test", store.Subject{Name: "John Smith", AccountRef: "12345678"})
	account, _ := env.st.CreateSubject("test", store.Subject{AccountRef: "87654321"})
	bare, _ := env.st.CreateSubject("test", store.Subject{ID: "sub_bare0001"})
	for _, tc := range []struct{ subject, want string }{
		{named.ID, "J*** S****"},
		{account.ID, "****4321"},
		{bare.ID, "***_****0001"},
		{"acct-99887766", "****-****7766"}, // no such subject: the id, masked
	} {
		if got := env.srv.customerFor(tc.subject); got != tc.want {
			t.Errorf("customerFor(%q) = %q, want %q", tc.subject, got, tc.want)
		}
	}
	// Without a store: the masked subject id.
	if got := newEnv(t, Config{}).srv.customerFor("alice"); got != "*lice" {
		t.Errorf("without a store: %q, want *lice", got)
	}
}

// The per-assessment cost of publishing through the hub with call tracking (callAssessed)
// against the untracked Publish: tracking keeps the encoded event and adds no allocation.
func BenchmarkHubPublish(b *testing.B) {
	a := engine.Assessment{CallID: "c-bench", Seq: 7, SpeechSeconds: 12.5, Verification: engine.Verification{SubjectID: "sub_0123456789", LLR: 3.2, Decision: engine.Match},
		Watchlist: []engine.WatchlistHit{}, Spoof: engine.Spoof{LLR: -1.5, Decision: engine.BonaFide}, Band: engine.BandLow, Reasons: []engine.Reason{}}
	e := Event{Type: "assessment", CallID: a.CallID, Platform: "stream", ANI: "*********34", Customer: "J*** S****", Assessment: a}
	for _, tc := range []struct {
		name    string
		publish func(h *Hub, lc *liveCall)
	}{
		{"Publish", func(h *Hub, _ *liveCall) { h.Publish(e) }},
		{"callAssessed", func(h *Hub, lc *liveCall) { h.callAssessed(lc, e) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := NewHub()
			sub := h.SubscribeCalls("", 1)
			defer h.Unsubscribe(sub)
			lc := h.callStarted(Event{Type: "call_started", CallID: a.CallID})
			<-sub.C
			b.ReportAllocs()
			for b.Loop() {
				tc.publish(h, lc)
				<-sub.C
			}
		})
	}
}
