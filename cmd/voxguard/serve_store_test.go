package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/store"
)

// TestServeWithStore runs `voxguard serve --data` on a store bootstrapped with `keys create`:
// the REST API answers with the store's keys (401 without, 403 for the wrong role), a streamed
// call is assessed, and after shutdown its call record is in the store.
func TestServeWithStore(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	wav := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "audio", "voice_us_male.wav")
	a, err := audio.ReadWAVFile(wav)
	if err != nil {
		t.Skipf("test audio: %v", err)
	}
	x, _ := a.Channel(0)
	if a.Info.SampleRate != 8000 {
		x, _ = audio.Resample(x, a.Info.SampleRate, 8000)
	}
	dir := t.TempDir() + "/data"
	t.Setenv(store.KeyEnv, strings.Repeat("cd", 32))
	keyRe := regexp.MustCompile(`key:\s+(vk_\S+)`)
	keys := map[string]string{}
	for _, role := range []string{"analyst", "ingest"} {
		var out, errb bytes.Buffer
		if code := run([]string{"keys", "create", "--data", dir, "--role", role}, &out, &errb); code != 0 {
			t.Fatalf("keys create: %s", errb.String())
		}
		keys[role] = keyRe.FindStringSubmatch(out.String())[1]
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	origCtx := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	serveListening = func(a string) { addrc <- a }
	defer func() { serveContext, serveListening = origCtx, nil }()
	var errb bytes.Buffer
	done := make(chan int)
	go func() { done <- run([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, &bytes.Buffer{}, &errb) }()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, errb.String())
	}
	base := "http://" + addr
	get := func(path, key string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if c := get("/v1/watchlist", ""); c != 401 {
		t.Errorf("no key: %d", c)
	}
	if c := get("/v1/watchlist", keys["ingest"]); c != 403 {
		t.Errorf("ingest key on the REST API: %d", c)
	}
	if c := get("/v1/watchlist", keys["analyst"]); c != 200 {
		t.Errorf("analyst key: %d", c)
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/stream", http.Header{"Authorization": {"Bearer " + keys["ingest"]}})
	if err != nil {
		t.Fatal(err)
	}
	c.WriteJSON(map[string]any{"type": "start", "call_id": "cli-call", "encoding": "mulaw", "sample_rate": 8000, "channels": 1})
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = audio.MulawEncode(int16(max(-32768, min(32767, v*32768))))
	}
	for p := 0; p < len(b); p += 1600 {
		c.WriteMessage(websocket.BinaryMessage, b[p:min(p+1600, len(b))])
	}
	c.WriteJSON(map[string]any{"type": "stop"})
	final := false
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for !final {
		_, m, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("reading assessments: %v", err)
		}
		var v struct{ Final bool }
		json.Unmarshal(m, &v)
		final = v.Final
	}
	c.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if bytes.Contains(errb.Bytes(), []byte(keys["analyst"])) {
		t.Error("serve logged an API key")
	}
	st, err := store.Open(store.Options{Dir: dir, Key: bytes.Repeat([]byte{0xcd}, 32), MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, err := st.GetCall("cli-call")
	if err != nil || len(rec.Assessments) == 0 {
		t.Errorf("call record: %+v, %v", rec, err)
	}
}
