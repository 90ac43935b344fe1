package main

import (
	"bytes"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/server"
	"github.com/voxguard/voxguard/store"
)

// remoteEnv is a real server in the test process, on a temporary store, with one API key of
// every role, for driving the remote subcommands through run.
type remoteEnv struct {
	url  string
	st   *store.Store
	srv  *server.Server
	keys map[string]string // role -> ID.SECRET
	logs *syncBuffer       // the server's log
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// corpus returns the path of a Mini LibriSpeech recording of the development corpora.
func corpus(t *testing.T, rel string) string {
	return filepath.Join(testkit.CorporaDir(t), "mini-librispeech", rel)
}

// testAudio returns the path of a file in testdata/audio.
func testAudio(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "audio", name)
}

// testEnrollPolicy relaxes the enrollment gates to the few seconds of speech of the espeak
// test sentences (the tiny bundle has no spoof countermeasure).
var testEnrollPolicy = engine.EnrollPolicy{MinSpeech: 2 * time.Second, MinSampleSpeech: time.Second}

func newRemoteEnv(t *testing.T) *remoteEnv {
	t.Helper()
	b := testkit.TinyBundle(t)
	st := testkit.Store(t)
	sv, err := engine.NewStoreVoices(st, b, false)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(b, engine.Options{Voiceprints: sv, Watchlist: sv})
	if err != nil {
		t.Fatal(err)
	}
	env := &remoteEnv{st: st, keys: map[string]string{}, logs: &syncBuffer{}}
	for _, r := range []store.Role{store.RoleIngest, store.RoleAgent, store.RoleAnalyst, store.RoleAuditor, store.RoleAdmin} {
		k, err := server.CreateKey(st, "test", r, "test "+string(r))
		if err != nil {
			t.Fatal(err)
		}
		env.keys[string(r)] = k.Key
	}
	env.srv = server.New(e, server.StoreAuth{S: st}, server.Config{Enroll: testEnrollPolicy, Logger: server.NewLogger(env.logs)})
	env.srv.SetStore(sv)
	hs := httptest.NewServer(env.srv.Handler())
	t.Cleanup(hs.Close)
	env.url = hs.URL
	t.Setenv(serverEnv, "")
	t.Setenv(tokenEnv, "")
	return env
}

// as runs a voxguard subcommand against the server with role's key (from $VOXGUARD_TOKEN; ""
// for none) and --server.
func (e *remoteEnv) as(t *testing.T, role string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv(tokenEnv, e.keys[role])
	defer t.Setenv(tokenEnv, "")
	return runCLI(append(args, "--server", e.url)...)
}
