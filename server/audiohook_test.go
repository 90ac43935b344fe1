package server

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// protocolsDir is ../shared/protocols/audiohook, the Genesys reference client's transcripts.
func protocolsDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "shared", "protocols", "audiohook")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the AudioHook transcripts are missing at %s", dir)
		}
		t.Skipf("AudioHook transcripts not found at %s; skipping", dir)
	}
	return dir
}

// The example request of Genesys's AudioHook documentation (session walkthrough, "Establishing
// connection"), with its published signature.
func TestAudioHookSignaturePublishedVector(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://audiohook.example.com/api/v1/voicebiometrics/ws", nil)
	r.RequestURI = "/api/v1/voicebiometrics/ws"
	for k, v := range map[string]string{
		"Audiohook-Organization-Id": "d7934305-0972-4844-938e-9060eef73d05",
		"Audiohook-Correlation-Id":  "e160e428-53e2-487c-977d-96989bf5c99d",
		"Audiohook-Session-Id":      "30b0e395-84d3-4570-ac13-9a62d8f514c0",
		"X-API-KEY":                 ahAPIKey,
		"Signature":                 "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:",
		"Signature-Input": `sig1=("@request-target" "@authority" "audiohook-organization-id" "audiohook-session-id" "audiohook-correlation-id" "x-api-key");` +
			`keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";alg="hmac-sha256";created=1641013200;expires=3282026430`,
	} {
		r.Header.Set(k, v)
	}
	secret, _ := b64(ahSecretB64)
	now := time.Unix(1641013200, 0)
	if err := VerifyAudioHookSignature(r, secret, now, time.Second); err != nil {
		t.Fatalf("published vector: %v", err)
	}
	if err := VerifyAudioHookSignature(r, []byte("wrong"), now, time.Second); err == nil {
		t.Error("wrong secret accepted")
	}
	// As the reference server: a signature older than 10 s (plus the skew), a short nonce or one
	// not covering all six components is refused before the HMAC is even checked.
	for _, tc := range []struct {
		name, input string
		at          time.Time
		want        string
	}{
		{"stale", r.Header.Get("Signature-Input"), now.Add(12 * time.Second), "too long ago"},
		{"short nonce", strings.Replace(r.Header.Get("Signature-Input"), "VGhpc0lzQVVuaXF1ZU5vbmNl", "abc", 1), now, "nonce"},
		{"no nonce", strings.Replace(r.Header.Get("Signature-Input"), `nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";`, "", 1), now, "nonce"},
		{"four components", strings.Replace(r.Header.Get("Signature-Input"), `"audiohook-organization-id" `, "", 1), now, "does not cover audiohook-organization-id"},
	} {
		q := r.Clone(r.Context())
		q.Header.Set("Signature-Input", tc.input)
		if err := VerifyAudioHookSignature(q, secret, tc.at, time.Second); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.want)
		}
	}
	if err := VerifyAudioHookSignature(r, secret, now.Add(10*time.Second), time.Second); err != nil {
		t.Errorf("10 s after created: %v", err)
	}
	r.Header.Set("Audiohook-Session-Id", "e160e428-53e2-487c-977d-96989bf5c99d")
	if err := VerifyAudioHookSignature(r, secret, now, time.Second); err == nil {
		t.Error("altered header accepted")
	}
}

// The captured signed upgrade request of session (a) verifies with the example secret while its
// signature is fresh, and is refused before it was created, after it expired, or with another
// secret.
func TestAudioHookSignatureCaptured(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(protocolsDir(t), "01-normal-stereo-pcmu.upgrade-request.http"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := b64(ahSecretB64)
	created := time.Unix(1795566874, 0)
	for _, tc := range []struct {
		name   string
		now    time.Time
		secret []byte
		ok     bool
	}{
		{"fresh", created.Add(10 * time.Second), secret, true},
		{"expired", created.Add(10 * time.Minute), secret, false},
		{"not yet created", created.Add(-10 * time.Minute), secret, false},
		{"real clock", time.Now(), secret, false},
		{"other secret", created.Add(10 * time.Second), []byte("MySuperSecretKeyTellNo-1!2@3#4$6"), false},
	} {
		err := VerifyAudioHookSignature(r, tc.secret, tc.now, 5*time.Second)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// transcriptLine is one record of a transcript.
type transcriptLine struct {
	Dir         string          `json:"dir"`
	Type        string          `json:"type"`
	RequestLine string          `json:"request_line"`
	Headers     [][2]string     `json:"headers"`
	JSON        json.RawMessage `json:"json"`
	Bytes       int             `json:"bytes"`
	FirstHex    string          `json:"first_bytes_hex"`
	Code        int             `json:"code"`
}

func readTranscript(t *testing.T, path string) []transcriptLine {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []transcriptLine
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var x transcriptLine
		if err := json.Unmarshal(l, &x); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, x)
	}
	return out
}

// Every transcript's client side, replayed against the server (its audio rebuilt from the
// corpus files the captures were made from), gets replies of the same shape and sequence as the
// protocol demands and the reference client accepted: opened for open (the first usable offer),
// pong for each ping, updated for update, closed for close, nothing else but assessment events;
// seq counting 1, 2, 3, ...; clientseq the seq of the client's last message; each reply within
// 500 ms (the client gives up after 5 s for open and pong, 10 s for close).
func TestAudioHookTranscripts(t *testing.T) {
	dir := protocolsDir(t)
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	signed := newEnv(t, Config{Now: now})
	unsigned := newEnv(t, Config{}) // the same API key, without a client secret
	unsigned.srv.auth.(*MemoryAuth).Add(ahAPIKey, Key{ID: "k-genesys-nosecret", Role: RoleIngest})

	// call.wav: left = file A (the caller, "external"), right = file B; mono-l16.wav = file A.
	a := mulaw(speech(t, aliceCall))
	b := mulaw(speech(t, otherCall))
	stereo := interleave2(a, b, 1)

	paths, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(paths) < 14 {
		t.Fatalf("%d transcripts, want 14", len(paths))
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".jsonl")
		t.Run(name, func(t *testing.T) {
			lines := readTranscript(t, path)
			env := signed
			if strings.HasPrefix(name, "05-") {
				env = unsigned
				// Unsigned against a key that has a secret: refused before the upgrade.
				if _, resp, err := signed.dial(t, "/v1/audiohook", upgradeHeaders(lines[0])); err == nil || resp.StatusCode != 401 {
					t.Errorf("unsigned request for a key with a secret: %v %v", err, resp)
				}
			}
			h := upgradeHeaders(lines[0])
			if in := signatureCreated(h.Get("signature-input")); in > 0 {
				clock.Store(in + 1)
			}
			target := strings.Fields(lines[0].RequestLine)[1]
			c, resp, err := env.dial(t, target, h)
			if err != nil {
				t.Fatalf("upgrade: %v %v", err, resp)
			}
			defer c.Close()
			replayAudioHook(t, c, lines, stereo, a)
		})
	}
}

// upgradeHeaders returns a transcript's upgrade headers that a client sets (the WebSocket ones
// are the dialer's), Host included so that @authority matches the signature.
func upgradeHeaders(l transcriptLine) http.Header {
	h := http.Header{}
	for _, kv := range l.Headers {
		switch strings.ToLower(kv[0]) {
		case "sec-websocket-version", "sec-websocket-key", "connection", "upgrade", "sec-websocket-extensions":
		default:
			h.Add(kv[0], kv[1])
		}
	}
	return h
}

// signatureCreated returns the created parameter of a Signature-Input (0 if none).
func signatureCreated(in string) int64 {
	_, after, ok := strings.Cut(in, ";created=")
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(strings.Split(after, ";")[0], 10, 64)
	return n
}

// replayAudioHook sends the transcript's client messages and checks the server's replies.
func replayAudioHook(t *testing.T, c *websocket.Conn, lines []transcriptLine, stereo, mono []byte) {
	var sessionID string
	for _, kv := range lines[0].Headers {
		if strings.EqualFold(kv[0], "Audiohook-Session-Id") {
			sessionID = kv[1]
		}
	}
	var offers []ahMedia
	wantSeq, lastClient, lastEventCS, audioPos := 1, 0, 0, 0
	var capturedOpened json.RawMessage
	for _, l := range lines[1:] {
		if l.Dir == "out" && l.Type == "text" {
			var m ahMsg
			json.Unmarshal(l.JSON, &m)
			if m.Type == "opened" && capturedOpened == nil {
				capturedOpened = m.Parameters
			}
		}
	}
	expectReply := map[string]string{"open": "opened", "ping": "pong", "update": "updated", "close": "closed"}
	for _, l := range lines[1:] {
		if l.Dir != "in" {
			continue
		}
		switch l.Type {
		case "binary":
			src := stereo
			if len(offers) > 0 && len(offers[0].Channels) == 1 || !strings.Contains(string(capturedOpened), `"internal"`) {
				src = mono
			}
			frame := src[audioPos:min(audioPos+l.Bytes, len(src))]
			audioPos += l.Bytes
			if l.Bytes > 0 && audioPos == l.Bytes {
				if got := hex.EncodeToString(frame[:16]); got != l.FirstHex {
					t.Errorf("rebuilt first audio bytes %s, captured %s", got, l.FirstHex)
				}
			}
			if err := c.WriteMessage(websocket.BinaryMessage, frame); err != nil {
				t.Fatal(err)
			}
		case "text":
			var m ahMsg
			json.Unmarshal(l.JSON, &m)
			lastClient = m.Seq
			if m.Type == "open" {
				var p ahOpen
				json.Unmarshal(m.Parameters, &p)
				offers = p.Media
			}
			sent := time.Now()
			if err := c.WriteMessage(websocket.TextMessage, l.JSON); err != nil {
				t.Fatal(err)
			}
			want, ok := expectReply[m.Type]
			if !ok {
				continue
			}
			// Read replies up to the one answering m; events may come first.
			for {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, b, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("waiting for %s: %v", want, err)
				}
				var r ahMsg
				if err := json.Unmarshal(b, &r); err != nil {
					t.Fatalf("reply is not JSON: %q", b)
				}
				if r.Version != "2" || r.ID != sessionID || r.Seq != wantSeq || r.ClientSeq == nil || r.Parameters == nil {
					t.Fatalf("reply %s: want version 2, id %s, seq %d, clientseq, parameters", b, sessionID, wantSeq)
				}
				// A reply carries the seq of the message it answers; an event (sent while audio
				// is read) that of the last message the server had read.
				if cs := *r.ClientSeq; (r.Type != "event" && cs != lastClient) || cs > lastClient || cs < lastEventCS {
					t.Errorf("reply %s: clientseq %d, last client seq %d", b, cs, lastClient)
				}
				if r.Type == "event" {
					lastEventCS = *r.ClientSeq
				}
				wantSeq++
				if r.Type == "event" {
					if !bytes.Contains(b, []byte(`"voxguard.assessment"`)) {
						t.Errorf("event %s", b)
					}
					continue
				}
				if r.Type != want {
					t.Fatalf("reply %s to %s, want %s", b, m.Type, want)
				}
				if d := time.Since(sent); d > 500*time.Millisecond {
					t.Errorf("%s took %v", want, d)
				}
				if want == "opened" {
					var p struct{ Media []ahMedia }
					json.Unmarshal(r.Parameters, &p)
					var cp struct{ Media []ahMedia }
					json.Unmarshal(capturedOpened, &cp)
					usable := len(cp.Media) == 1 && cp.Media[0].Format == "PCMU"
					if len(p.Media) != 1 || (usable && !sameMedia(p.Media[0], cp.Media[0])) {
						t.Errorf("opened media %v, the accepted capture had %v", p.Media, cp.Media)
					}
				}
				break
			}
		case "ws-close":
			msg := websocket.FormatCloseMessage(l.Code, "")
			if l.Code == 1005 {
				msg = []byte{}
			}
			c.WriteMessage(websocket.CloseMessage, msg)
		}
	}
}

func sameMedia(a, b ahMedia) bool {
	return a.Type == b.Type && a.Format == b.Format && a.Rate == b.Rate && strings.Join(a.Channels, ",") == strings.Join(b.Channels, ",")
}

// An L16 offer (mono, external only) with the claim in inputVariables: the caller is decoded as
// little-endian 16-bit PCM and verified; the final assessment comes as an event before closed.
func TestAudioHookL16Claim(t *testing.T) {
	env := newEnv(t, Config{})
	a := dialAudioHook(t, env, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
	a.send("open", 1, `{"organizationId":"o","conversationId":"conv-l16","participant":{"id":"p","ani":"+15551234567","aniName":"Jane Roe"},`+
		`"media":[{"type":"audio","format":"L16","channels":["external"],"rate":8000}],"inputVariables":{"subject_id":"alice"}}`)
	x := pcm16(speech(t, aliceCall), false)
	for p := 0; p < len(x); p += 3200 {
		a.c.WriteMessage(websocket.BinaryMessage, x[p:min(p+3200, len(x))])
	}
	a.send("close", 2, `{"reason":"end"}`)
	var final map[string]any
	for r := a.next(); r.Type != "closed"; r = a.next() {
		if d := r.finalData(); d != nil {
			final = d
		}
	}
	if final == nil {
		t.Fatal("no final assessment before closed")
	}
	if v := final["verification"].(map[string]any); v["subject_id"] != "alice" || v["decision"] != "match" {
		t.Errorf("final %v, want alice matched", final)
	}
	if bytes.Contains(mustJSON(final), []byte("Jane")) {
		t.Error("the caller's name leaked into an assessment")
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// A client's protocol error mid-call is answered as Genesys's reference server does: disconnect
// with reason "error", then the client's close gets the final assessment and closed. Also: an
// open whose inputVariables hold a non-string value is accepted, and "supportedLanguages":true
// is answered with an (empty) list.
func TestAudioHookClientErrorDisconnect(t *testing.T) {
	env := newEnv(t, Config{})
	a := dialAudioHook(t, env, "aaaaaaaa-bbbb-cccc-dddd-ffffffffffff")
	a.send("open", 1, `{"organizationId":"o","conversationId":"conv-err","participant":{"id":"p","ani":"+15551234567"},`+
		`"media":[{"type":"audio","format":"PCMU","channels":["external","internal"],"rate":8000}],"inputVariables":{"subject_id":"alice","attempt":2},"supportedLanguages":true}`)
	if r := a.next(); r.Type != "opened" || r.Parameters["supportedLanguages"] == nil {
		t.Fatalf("reply to open: %+v", r)
	}
	x := mulaw(speech(t, aliceCall)[:8000*6])
	stereo := interleave2(x, make([]byte, len(x)), 1)
	for p := 0; p < len(stereo); p += 1600 {
		a.c.WriteMessage(websocket.BinaryMessage, stereo[p:min(p+1600, len(stereo))])
	}
	a.send("ping", 5, `{}`) // seq 2 expected
	var disc ahReply
	for disc.Type != "disconnect" {
		if disc = a.next(); disc.Type != "event" && disc.Type != "disconnect" {
			t.Fatalf("after a skipped seq: %+v", disc)
		}
	}
	if disc.Parameters["reason"] != "error" || !strings.Contains(disc.Parameters["info"].(string), "seq") {
		t.Errorf("disconnect %+v", disc.Parameters)
	}
	a.send("close", 6, `{"reason":"disconnect"}`)
	var final map[string]any
	for r := a.next(); r.Type != "closed"; r = a.next() {
		if d := r.finalData(); d != nil {
			final = d
		}
	}
	if final == nil || final["verification"].(map[string]any)["subject_id"] != "alice" {
		t.Errorf("final assessment %v", final)
	}
}

// ahTestClient is a hand-driven AudioHook client for tests: msg builds a client message of the
// session, next reads the server's next message.
type ahTestClient struct {
	t  *testing.T
	c  *websocket.Conn
	id string
}

type ahReply struct {
	Type       string
	Parameters map[string]any
}

// dialAudioHook opens an unsigned AudioHook session id with the ingest key.
func dialAudioHook(t *testing.T, env *testEnv, id string) *ahTestClient {
	t.Helper()
	c, _, err := env.dial(t, "/v1/audiohook", http.Header{"X-API-KEY": {ingestToken}, "Audiohook-Session-Id": {id}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &ahTestClient{t: t, c: c, id: id}
}

func (a *ahTestClient) msg(typ string, seq int, params string) []byte {
	return []byte(`{"version":"2","type":"` + typ + `","id":"` + a.id + `","seq":` + strconv.Itoa(seq) + `,"serverseq":0,"position":"PT0S","parameters":` + params + `}`)
}

func (a *ahTestClient) send(typ string, seq int, params string) {
	a.c.WriteMessage(websocket.TextMessage, a.msg(typ, seq, params))
}

func (a *ahTestClient) next() ahReply {
	a.t.Helper()
	a.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, b, err := a.c.ReadMessage()
	if err != nil {
		a.t.Fatal(err)
	}
	var r ahReply
	json.Unmarshal(b, &r)
	return r
}

// finalData returns the assessment of an event message if it is the final one, else nil.
func (r ahReply) finalData() map[string]any {
	if r.Type != "event" {
		return nil
	}
	d := r.Parameters["entities"].([]any)[0].(map[string]any)["data"].(map[string]any)
	if d["final"] != true {
		return nil
	}
	return d
}
