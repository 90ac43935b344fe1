package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
)

const (
	ingestToken = "ingest-token-0123456789"
	agentToken  = "agent-token-0123456789"
	// The public example AudioHook API key and client secret of Genesys's documentation.
	ahAPIKey    = "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
	ahSecretB64 = "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
)

// fakeStore is an in-memory engine.Voiceprints and engine.Watchlist.
type fakeStore struct {
	probes map[string]*models.Probe
	watch  []engine.WatchlistEntry
}

func (f *fakeStore) Voiceprint(id string) (*models.Probe, error) {
	if p, ok := f.probes[id]; ok {
		return p, nil
	}
	return nil, engine.ErrNoVoiceprint
}

func (f *fakeStore) Entries() []engine.WatchlistEntry { return f.watch }

// fusedTestBundle is the test bundle with a second speaker system: a copy of its own speaker
// models (the same front end), fused 0.7 / 0.4 / 0.1.
func fusedTestBundle(t testing.TB) *models.Bundle { return testkit.FusedTinyBundle(t) }

// farScale stands in for the bundle's recorded non-target scores (see engine's tests).
type farScale float64

func (f farScale) ThresholdAtFAR(far float64) (float64, error) { return -ln(far) / float64(f), nil }

var pcmCache sync.Map

// speech returns a corpus recording at 8 kHz.
func speech(t testing.TB, rel string) []float32 {
	t.Helper()
	if v, ok := pcmCache.Load(rel); ok {
		return v.([]float32)
	}
	a, err := audio.ReadWAVFile(filepath.Join(corporaDir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := a.Channel(0)
	pcmCache.Store(rel, x)
	return x
}

const (
	aliceEnroll = "mini-librispeech/1088/1088-134315-0001.wav"
	aliceCall   = "mini-librispeech/1088/1088-134315-0000.wav"
	otherCall   = "mini-librispeech/118/118-47824-0000.wav"
)

// envReadBatch is the batched reads of newEnv's listener (serve's --read-batch): every protocol
// test runs with them, as the server does by default.
var envReadBatch = 40 * time.Millisecond

type testEnv struct {
	srv   *Server
	http  *httptest.Server
	ws    string // ws://host
	store *fakeStore
}

// newEnv starts a server with an ingest key, an agent key, the AudioHook example key (ingest,
// with its client secret) and a voiceprint for "alice".
func newEnv(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	b := testBundle(t)
	st := &fakeStore{probes: map[string]*models.Probe{}}
	e, err := engine.New(b, engine.Options{Voiceprints: st, Watchlist: st, Thresholder: farScale(4)})
	if err != nil {
		t.Fatal(err)
	}
	es, _ := e.Stats(speech(t, aliceEnroll))
	st.probes["alice"], _ = e.Prepare(es)
	auth := NewMemoryAuth()
	auth.Add(ingestToken, Key{ID: "k-ingest", Role: RoleIngest})
	auth.Add(agentToken, Key{ID: "k-agent", Role: RoleAgent})
	secret, _ := b64(ahSecretB64)
	auth.Add(ahAPIKey, Key{ID: "k-genesys", Role: RoleIngest, Secret: secret})
	s := New(e, auth, cfg)
	// The AudioHook transcripts were captured at /api/v2/audiohook, and the path is signed.
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler())
	mux.HandleFunc("GET /api/v2/audiohook", s.serveAudioHook)
	hs := httptest.NewUnstartedServer(mux)
	hs.Listener = BatchListener(hs.Listener, envReadBatch) // as voxguard serve does
	hs.Start()
	t.Cleanup(hs.Close)
	return &testEnv{srv: s, http: hs, ws: "ws" + strings.TrimPrefix(hs.URL, "http"), store: st}
}

// redial dials path until the upgrade succeeds (a call slot released by a call that just ended
// comes back once its handler returns), failing after 5 s; it closes the connection.
func (e *testEnv) redial(t testing.TB, path string, h http.Header) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, _, err := e.dial(t, path, h)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not released: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dial opens a WebSocket to path with headers; on a refused upgrade it returns the response.
func (e *testEnv) dial(t testing.TB, path string, h http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	return d.Dial(e.ws+path, h)
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// readAll reads text messages until the connection closes, returning them and the close error.
func readAll(t testing.TB, c *websocket.Conn) ([]map[string]any, error) {
	t.Helper()
	var out []map[string]any
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		mt, b, err := c.ReadMessage()
		if err != nil {
			return out, err
		}
		if mt != websocket.TextMessage {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("server sent invalid JSON %q", b)
		}
		out = append(out, m)
	}
}

// closeCode returns the close code of err (0 if it is no close error).
func closeCode(err error) int {
	if ce, ok := err.(*websocket.CloseError); ok {
		return ce.Code
	}
	return 0
}

// mulaw encodes samples as G.711 mu-law.
func mulaw(x []float32) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = audio.MulawEncode(int16(max(-32768, min(32767, v*32768))))
	}
	return b
}

// pcm16 encodes samples as 16-bit PCM in the given byte order, interleaving ch copies of
// silence after (or before, with callerSecond) the caller's channel.
func pcm16(x []float32, bigEndian bool) []byte {
	b := make([]byte, 2*len(x))
	for i, v := range x {
		s := uint16(int16(max(-32768, min(32767, v*32768))))
		if bigEndian {
			b[2*i], b[2*i+1] = byte(s>>8), byte(s)
		} else {
			b[2*i], b[2*i+1] = byte(s), byte(s>>8)
		}
	}
	return b
}

// interleave2 makes a two-channel byte stream of a and b (bps bytes per sample each).
func interleave2(a, b []byte, bps int) []byte {
	n := min(len(a), len(b)) / bps
	out := make([]byte, 0, 2*n*bps)
	for i := range n {
		out = append(out, a[i*bps:(i+1)*bps]...)
		out = append(out, b[i*bps:(i+1)*bps]...)
	}
	return out
}
