package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
)

// acceptBatched returns both ends of a loopback TCP connection accepted through a BatchListener
// of batch.
func acceptBatched(t *testing.T, batch time.Duration) (*batchConn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bl := BatchListener(l, batch)
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := bl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	bc, ok := c.(*batchConn)
	if !ok {
		t.Fatalf("accepted %T, want *batchConn", c)
	}
	return bc, client
}

func rcvLowat(t *testing.T, c *net.TCPConn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	rc.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

// The threshold is a batch of the stream's audio: 40 ms of 8 kHz mu-law is 320 bytes.
func TestBatchConnThreshold(t *testing.T) {
	for _, tc := range []struct {
		batch       time.Duration
		rate        float64
		lowat       int
		wantBatched bool
	}{
		{40 * time.Millisecond, 8000, 320, true},
		{100 * time.Millisecond, 16000 * 2 * 2, 6400, true},
		{40 * time.Millisecond, 8000 * 4 / 3.0, 426, true}, // Twilio's base64
		{time.Millisecond, 1000, 0, false},                 // under 2 bytes: not worth it, left at the default
	} {
		bc, _ := acceptBatched(t, tc.batch)
		if got := rcvLowat(t, bc.TCPConn); got > 1 {
			t.Errorf("before batching: SO_RCVLOWAT %d, want the default (0 or 1)", got)
		}
		bc.startBatching(tc.rate, nil)
		if got := rcvLowat(t, bc.TCPConn); got != tc.lowat && !(tc.lowat == 0 && got <= 1) {
			t.Errorf("batch %v at %g B/s: SO_RCVLOWAT %d, want %d", tc.batch, tc.rate, got, tc.lowat)
		}
		if got := bc.wait > 0; got != tc.wantBatched {
			t.Errorf("batch %v at %g B/s: batched %v, want %v", tc.batch, tc.rate, got, tc.wantBatched)
		}
	}
}

// Less than a batch is still read (a stop or claim message after the last audio), whole
// batches are read as they come, and the caller's deadline still ends a read with a timeout.
func TestBatchConnReads(t *testing.T) {
	bc, client := acceptBatched(t, 20*time.Millisecond)
	bc.startBatching(50000, nil) // 1,000-byte batches
	if _, err := client.Write([]byte("stop")); err != nil {
		t.Fatal(err)
	}
	bc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := bc.Read(buf)
	if err != nil || string(buf[:n]) != "stop" {
		t.Fatalf("short message: read %q, %v; want \"stop\"", buf[:n], err)
	}

	big := make([]byte, 3000)
	for i := range big {
		big[i] = byte(i)
	}
	go client.Write(big)
	got := make([]byte, len(big))
	if _, err := io.ReadFull(bc, got); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != big[i] {
			t.Fatalf("byte %d: %d, want %d", i, got[i], big[i])
		}
	}

	// Nothing comes: the caller's deadline (past several batch waits) ends the read.
	bc.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	n, err = bc.Read(buf)
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("idle read: %d bytes, %v; want a deadline error", n, err)
	}
	// A deadline cleared: the connection reads again.
	bc.SetReadDeadline(time.Time{})
	client.Write([]byte("claim"))
	n, err = bc.Read(buf)
	if err != nil || string(buf[:n]) != "claim" {
		t.Fatalf("after the deadline: read %q, %v; want \"claim\"", buf[:n], err)
	}
	// The peer closing ends the read with EOF, not a wait.
	client.Close()
	if n, err = bc.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("after close: %d bytes, %v; want EOF", n, err)
	}
}

// Before each read the threshold comes down to what the next assessment can need, never below
// one byte, and goes back up to a whole batch after it.
func TestBatchConnThresholdFollowsAssessments(t *testing.T) {
	bc, client := acceptBatched(t, 40*time.Millisecond)
	var until int64
	bc.startBatching(8000, func() int64 { return until }) // 320-byte batches
	buf := make([]byte, 64)
	for _, tc := range []struct{ until, want int64 }{
		{1 << 40, 320}, {100, 100}, {0, 1}, {-5, 1}, {319, 319}, {320, 320}, {5000, 320},
	} {
		until = tc.until
		client.Write([]byte("x"))
		if _, err := bc.Read(buf); err != nil {
			t.Fatal(err)
		}
		if got := rcvLowat(t, bc.TCPConn); int64(got) != tc.want || int64(bc.lowat) != tc.want {
			t.Errorf("until %d: SO_RCVLOWAT %d (recorded %d), want %d", tc.until, got, bc.lowat, tc.want)
		}
	}
}

// recordingListener remembers the connections it accepts.
type recordingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// Under TLS (tls.NewListener over the BatchListener, as serve --tls-cert does) a native call is
// batched too — its socket's SO_RCVLOWAT is raised once the call starts — and streams to its
// final assessment.
func TestBatchedCallOverTLS(t *testing.T) {
	env := newEnv(t, Config{}) // for its server; this test serves it again over TLS
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingListener{Listener: BatchListener(l, 40*time.Millisecond)}
	hs := httptest.NewUnstartedServer(env.srv.Handler())
	hs.Listener = rec
	hs.StartTLS()
	defer hs.Close()
	d := websocket.Dialer{TLSClientConfig: hs.Client().Transport.(*http.Transport).TLSClientConfig, HandshakeTimeout: 5 * time.Second}
	c, _, err := d.Dial("wss"+strings.TrimPrefix(hs.URL, "https")+"/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	x := speech(t, aliceCall)[:8000*8]
	c.WriteJSON(map[string]any{"type": "start", "call_id": "c-tls", "encoding": "mulaw", "sample_rate": 8000, "channels": 1, "caller_channel": 0})
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, b, err := c.ReadMessage(); err != nil || !strings.Contains(string(b), `"started"`) {
		t.Fatalf("start: %s, %v", b, err)
	}
	rec.mu.Lock()
	var batched int
	for _, nc := range rec.conns {
		if bc, ok := nc.(*batchConn); ok && rcvLowat(t, bc.TCPConn) > 1 {
			batched++
		}
	}
	rec.mu.Unlock()
	if batched != 1 {
		t.Errorf("%d batched sockets after the start, want 1", batched)
	}
	enc := mulaw(x)
	for p := 0; p < len(enc); p += 160 {
		c.WriteMessage(websocket.BinaryMessage, enc[p:min(p+160, len(enc))])
	}
	c.WriteJSON(map[string]any{"type": "stop"})
	msgs, err := readAllUntilFinal(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(msgs); n < 3 || msgs[n-1]["final"] != true {
		t.Fatalf("%d messages, the last %v; want progressive assessments and a final one", n, msgs[n-1])
	}
}

// A stream's payload rate counts the audio as it arrives: Twilio's base64 is 4/3 of the bytes.
func TestPayloadRate(t *testing.T) {
	for _, tc := range []struct {
		m    media
		want float64
	}{
		{media{enc: audio.StreamMulaw, rate: 8000, channels: 1}, 8000},
		{media{enc: audio.StreamMulaw, rate: 8000, channels: 1, base64: true}, 8000 * 4.0 / 3},
		{media{enc: audio.L16LE, rate: 16000, channels: 2}, 64000},
	} {
		if got := tc.m.payloadRate(); got != tc.want {
			t.Errorf("%+v: %g B/s, want %g", tc.m, got, tc.want)
		}
	}
}
