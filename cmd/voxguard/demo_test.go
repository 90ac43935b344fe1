package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxguard/voxguard/internal/devcorpora"
)

func demoArgs(t *testing.T, extra ...string) []string {
	dir := devcorpora.Dir(t)
	return append([]string{"demo", "--addr", "127.0.0.1:0", "--voices", filepath.Join(dir, "mini-librispeech"),
		"--synthetic", filepath.Join("..", "..", "testdata", "audio", "demo_en.wav")}, extra...)
}

// TestDemoCalls plays the demo's four calls and checks each gets the verdict it should, with
// personal data masked in everything printed.
func TestDemoCalls(t *testing.T) {
	var out, errb syncBuffer
	if code := run(demoArgs(t, "--no-serve"), &out, &errb); code != 0 {
		t.Fatalf("demo --no-serve exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	s := out.String()
	if n := strings.Count(s, "as expected"); n != 4 {
		t.Errorf("%d of 4 calls as expected:\n%s", n, s)
	}
	for _, want := range []string{"KNOWN FRAUDSTER", "SYNTHETIC VOICE", "VOICE MISMATCH", "FINAL", "/console/"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	for _, p := range append(demoCustomers, demoFraudster) {
		for _, pii := range []string{p.Name, p.Phone, p.Account} {
			if pii != "" && pii != demoFraudster.Name && strings.Contains(s+errb.String(), pii) {
				t.Errorf("output shows %q unmasked", pii)
			}
		}
	}
}

// TestDemoServesUntilInterrupted runs the demo as people do: after the calls the console stays
// served until the interrupt, and a kept data directory is reused by a second run.
func TestDemoServesUntilInterrupted(t *testing.T) {
	data := filepath.Join(t.TempDir(), "demo-data")
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		oldCtx, oldListen := serveContext, serveListening
		serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
		addr := make(chan string, 1)
		serveListening = func(a string) { addr <- a }
		var out, errb syncBuffer
		done := make(chan int, 1)
		go func() { done <- run(demoArgs(t, "--pace", "0", "--data", data), &out, &errb) }()
		a := <-addr
		for !strings.Contains(out.String(), "Press Ctrl-C") {
			select {
			case code := <-done:
				t.Fatalf("round %d: demo exited %d before serving\n%s\n%s", round, code, out.String(), errb.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
		resp, err := http.Get("http://" + a + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("round %d: server not serving after the calls: %v", round, err)
		}
		resp.Body.Close()
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("round %d: exit %d after the interrupt\n%s", round, code, errb.String())
		}
		serveContext, serveListening = oldCtx, oldListen
		if round == 1 && !strings.Contains(out.String(), "voiceprint already enrolled") {
			t.Errorf("second run did not reuse the kept data directory:\n%s", out.String())
		}
		if strings.Count(out.String(), "as expected") != 4 {
			t.Errorf("round %d: not every call as expected:\n%s", round, out.String())
		}
	}
	// The keys printed on the terminal do not outlive the run.
	sf := storeFlags{data: data}
	st, err := sf.open()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := st.ListAPIKeys()
	if err != nil || len(keys) != 6 {
		t.Fatalf("%d keys (%v), want 3 per run", len(keys), err)
	}
	for _, k := range keys {
		if k.Active() {
			t.Errorf("demo key %s (%s) still active after the demo", k.ID, k.Role)
		}
	}
}

func TestDemoUsage(t *testing.T) {
	empty := t.TempDir()
	small := t.TempDir()
	for _, spk := range []string{"a", "b", "c", "d"} {
		os.Mkdir(filepath.Join(small, spk), 0o755)
		writeToneWAV(t, filepath.Join(small, spk, "1.wav"), 10)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"demo", "--pace", "-1"}, 2, "--pace"},
		{[]string{"demo", "--voices", filepath.Join(empty, "nope")}, 2, "is not a folder"},
		{[]string{"demo", "--voices", empty}, 1, "four speaker folders"},
		{[]string{"demo", "--voices", small}, 1, "four speaker folders"},
		{[]string{"demo", "extra"}, 2, "unexpected argument"},
		{[]string{"demo", "--voices", small, "--synthetic", filepath.Join(empty, "none.wav")}, 2, "--synthetic"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}

// TestCastVoices checks the split of each speaker's recordings: enrollment from the first
// files, the call from the last, never the same file in both; named speakers first, then
// others in order.
func TestCastVoices(t *testing.T) {
	dir := t.TempDir()
	// Speaker "118" (a named customer) and four others, each with ten 10 s files; "zz" too short.
	for _, spk := range []string{"118", "s1", "s2", "s3", "zz"} {
		os.Mkdir(filepath.Join(dir, spk), 0o755)
		n := 10
		if spk == "zz" {
			n = 2
		}
		for i := range n {
			writeToneWAV(t, filepath.Join(dir, spk, string(rune('a'+i))+".wav"), 10)
		}
	}
	c, err := castVoices(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.customers[0].Speaker, c.customers[1].Speaker, c.fraudster.Speaker, c.impostor.Speaker}
	if want := []string{"s1", "118", "s2", "s3"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("cast %v, want %v", got, want)
	}
	for _, spk := range got {
		e, k := c.enroll[spk], c.call[spk]
		if len(e) != 5 || len(k) != 3 { // 5 x 10 s >= 45 s; 3 x 10 s >= 25 s
			t.Errorf("%s: %d enrollment and %d call files, want 5 and 3", spk, len(e), len(k))
		}
		for _, f := range k {
			for _, g := range e {
				if f == g {
					t.Errorf("%s: %s both enrolls and calls", spk, f)
				}
			}
		}
	}
}

// writeToneWAV writes secs seconds of a quiet 8 kHz sawtooth as 16-bit PCM WAV.
func writeToneWAV(t *testing.T, path string, secs int) {
	t.Helper()
	n := secs * 8000
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le([]uint16{1, 1})
	le([]uint32{8000, 16000})
	le([]uint16{2, 16})
	b.WriteString("data")
	le(uint32(2 * n))
	for i := range n {
		le(int16(3000 * (i % 40) / 40))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
