package server

import (
	"crypto/tls"
	"net"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Batched socket reads. A telephony platform streams a call as one small WebSocket message
// every 20 ms; read one by one, each message costs the server a wake-up of its reading goroutine
// and two read system calls (one that finds the socket empty, one after the wake-up): 18 % of
// the server's CPU at 700 calls on the 2-core benchmark machine. With batching on, a call's socket wakes its
// reader only once it holds a whole batch of audio (SO_RCVLOWAT on Linux), so the messages of
// one batch are read together: fewer wake-ups and system calls. No assessment waits for a batch
// to fill: before each read the threshold comes down to the audio that the next progressive
// assessment could at the earliest need (engine.Session.SamplesUntilDue). A control message
// that does not fill a batch (stop, claim, ping) is read at the latest when the batch's wait
// (a batch and BatchSlack) runs out.

// BatchListener wraps a TCP listener so that the calls streamed over its connections are read
// in batches of about batch of audio (0 or less: not batched), waiting at most a batch and
// BatchSlack for one. Connections that are not audio streams (the REST API, agents' events) are
// read as they come. Batching needs Linux; elsewhere the listener is returned unchanged.
func BatchListener(ln net.Listener, batch time.Duration) net.Listener {
	if batch <= 0 || !rcvLowatSupported {
		return ln
	}
	return &batchListener{Listener: ln, batch: batch}
}

type batchListener struct {
	net.Listener
	batch time.Duration
}

func (l *batchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	return &batchConn{TCPConn: tc, batch: l.batch}, nil
}

// batchConn is an accepted TCP connection that can be switched to batched reads.
type batchConn struct {
	*net.TCPConn
	batch time.Duration // the audio one batch holds

	// wait, once positive, turns batching on: a Read waits for a batch's bytes (SO_RCVLOWAT)
	// but returns what has come after at most wait. Set once, by the connection's reader.
	wait  time.Duration
	full  int          // SO_RCVLOWAT of a whole batch, bytes
	lowat int          // SO_RCVLOWAT as set now
	until func() int64 // the stream's bytes before the next assessment can fall due (nil: no limit)
	// deadline is the caller's read deadline (UnixNano, 0: none), kept here because a batched
	// Read sets the socket's own deadline to the end of its wait.
	deadline atomic.Int64
}

// BatchSlack is how much longer than a batch of audio a batched read waits for the batch to fill:
// one 20 ms frame of network jitter. A batch that comes later is read in two parts; a stop that
// follows the call's last, partial batch is read at most a batch and this after the read began,
// so that the final assessment, like the progressive ones, comes within 250 ms at the default
// 200 ms batch (it was a quarter of a batch, 50 ms, until the thirty-third session: final
// assessments' p99 254-258 ms at 1,000 calls; bench/README.md, "Server load").
const BatchSlack = 20 * time.Millisecond

// maxLowat caps a batch (bytes) at half the WebSocket read buffer (Server.up), so that a batch
// is taken in one read.
const maxLowat = 8 << 10

// startBatching turns batched reads on for a stream of bytesPerSecond (audio payload only, so
// that a batch's framing overhead makes the threshold come early rather than late). until, if
// not nil, returns how many more bytes of the stream the next assessment can need at the least;
// it is called before each read, from the reading goroutine.
func (c *batchConn) startBatching(bytesPerSecond float64, until func() int64) {
	full := min(int(bytesPerSecond*c.batch.Seconds()), maxLowat)
	if full < 2 || c.wait > 0 {
		return
	}
	if setRcvLowat(c.TCPConn, full) != nil {
		return // the socket keeps reading message by message
	}
	c.full, c.lowat, c.until = full, full, until
	c.wait = c.batch + BatchSlack
}

// setThreshold brings SO_RCVLOWAT to a whole batch or to what the next assessment needs,
// whichever is less. A failure leaves it as it was: reads still return, at worst at the wait.
func (c *batchConn) setThreshold() {
	want := c.full
	if c.until != nil {
		if u := c.until(); u < int64(want) {
			want = int(max(u, 1))
		}
	}
	if want != c.lowat && setRcvLowat(c.TCPConn, want) == nil {
		c.lowat = want
	}
}

func (c *batchConn) SetReadDeadline(t time.Time) error {
	c.storeDeadline(t)
	if c.wait > 0 {
		return nil // Read sets the socket's deadline itself
	}
	return c.TCPConn.SetReadDeadline(t)
}

func (c *batchConn) SetDeadline(t time.Time) error {
	c.storeDeadline(t)
	if c.wait > 0 {
		return c.TCPConn.SetWriteDeadline(t)
	}
	return c.TCPConn.SetDeadline(t)
}

func (c *batchConn) storeDeadline(t time.Time) {
	if t.IsZero() {
		c.deadline.Store(0)
	} else {
		c.deadline.Store(t.UnixNano())
	}
}

// Read reads what the socket holds. Batched, it wakes when a batch has come or its wait has run
// out, whichever is first, and returns the caller's deadline error only once that has passed.
func (c *batchConn) Read(p []byte) (int, error) {
	if c.wait <= 0 {
		return c.TCPConn.Read(p)
	}
	c.setThreshold()
	for {
		until := time.Now().Add(c.wait)
		final := false
		if d := c.deadline.Load(); d != 0 && d <= until.UnixNano() {
			until, final = time.Unix(0, d), true
		}
		c.TCPConn.SetReadDeadline(until)
		n, err := c.TCPConn.Read(p)
		if n > 0 || err == nil || final || !isTimeout(err) {
			return n, err
		}
		// The wait ran out with less than a batch: the next read returns whatever has come
		// (a non-blocking read returns below the threshold) or waits again.
	}
}

// batchReads turns batched reads on for the call streamed over c, at bytesPerSecond of audio
// payload (until as for startBatching), when c came through a BatchListener; otherwise it does
// nothing.
func batchReads(c *websocket.Conn, bytesPerSecond float64, until func() int64) {
	nc := c.NetConn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	if bc, ok := nc.(*batchConn); ok {
		bc.startBatching(bytesPerSecond, until)
	}
}

// payloadRate is the audio payload of a stream of m, in bytes per second as it arrives (base64
// counted, framing and JSON around it not).
func (m media) payloadRate() float64 {
	r := float64(m.rate * m.channels * m.enc.BytesPerSample())
	if m.base64 {
		r *= 4.0 / 3
	}
	return r
}
