package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A stream whose upgrade is under way when Shutdown begins is closed with 1001 as well, rather
// than missed by Shutdown and left running after it (serve closes the store next).
func TestShutdownDuringUpgrade(t *testing.T) {
	env := newEnv(t, Config{})
	closing := func() bool {
		env.srv.mu.Lock()
		defer env.srv.mu.Unlock()
		return env.srv.closing
	}
	inUpgrade := make(chan struct{})
	// CheckOrigin runs inside Upgrade, before the handshake is answered: hold the upgrade
	// there until Shutdown has begun.
	env.srv.up.CheckOrigin = func(*http.Request) bool {
		close(inUpgrade)
		for deadline := time.Now().Add(10 * time.Second); !closing() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		return true
	}
	type dialed struct {
		c   *websocket.Conn
		err error
	}
	dc := make(chan dialed, 1)
	go func() {
		c, _, err := env.dial(t, "/v1/stream", bearer(ingestToken))
		dc <- dialed{c, err}
	}()
	<-inUpgrade
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	serr := env.srv.Shutdown(ctx)
	d := <-dc
	if d.err != nil {
		t.Fatalf("dial: %v", d.err) // the handshake itself completes
	}
	defer d.c.Close()
	if serr != nil {
		t.Fatalf("shutdown: %v: it missed the connection upgraded as it began", serr)
	}
	if _, err := readAll(t, d.c); closeCode(err) != websocket.CloseGoingAway {
		t.Errorf("stream upgraded during shutdown closed with %v, want 1001", err)
	}
	// The call slot is given back as the handler returns, just after Shutdown saw it finish.
	waitFor(t, "the call slot to be released", env.srv.idle)
}
