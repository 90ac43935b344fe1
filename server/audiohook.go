package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
)

// ahMsg is an AudioHook v2 message (both directions).
type ahMsg struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Seq        int             `json:"seq"`
	ServerSeq  *int            `json:"serverseq,omitempty"` // client messages
	ClientSeq  *int            `json:"clientseq,omitempty"` // server messages
	Position   string          `json:"position,omitempty"`
	Parameters json.RawMessage `json:"parameters"`
}

// ahMedia is one media offer or selection.
type ahMedia struct {
	Type     string   `json:"type"`
	Format   string   `json:"format"`
	Channels []string `json:"channels"`
	Rate     int      `json:"rate"`
}

// ahOpen is the parameters of an open message.
type ahOpen struct {
	OrganizationID string `json:"organizationId"`
	ConversationID string `json:"conversationId"`
	Participant    struct {
		ID  string `json:"id"`
		ANI string `json:"ani"` // aniName and dnis are personal data we do not read
	} `json:"participant"`
	Media              []ahMedia      `json:"media"`
	InputVariables     map[string]any `json:"inputVariables"`
	CustomConfig       map[string]any `json:"customConfig"`
	SupportedLanguages bool           `json:"supportedLanguages"`
}

// nilUUID marks a connection probe's conversation.
const nilUUID = "00000000-0000-0000-0000-000000000000"

// selectMedia picks the first offer voxguard can use: PCMU or L16 at 8 kHz whose channels
// include "external" (the caller). It returns the offer and the caller's channel index.
func selectMedia(offers []ahMedia) (ahMedia, int, bool) {
	for _, m := range offers {
		if m.Type != "audio" || (m.Format != "PCMU" && m.Format != "L16") || m.Rate != 8000 || len(m.Channels) < 1 || len(m.Channels) > 2 {
			continue
		}
		for i, ch := range m.Channels {
			if ch == "external" {
				return m, i, true
			}
		}
	}
	return ahMedia{}, 0, false
}

// ahSession is the server side of one AudioHook session.
type ahSession struct {
	s         *Server
	c         *websocket.Conn
	id        string
	org       string // the upgrade's Audiohook-Organization-Id (signed), "" if absent
	seq       int    // last server seq
	clientSeq int    // last client seq
	opened    bool
	closed    bool
	probe     bool
	release   func() // gives the connection's call slot back (Server.releaseSlot)
	cl        *call
	buf       []byte
	// failed is the protocol error the session was ended for with a disconnect message; the
	// client is then given disconnectGrace to answer with close before the socket is closed.
	failed   *protocolError
	failedAt time.Time
	// wmu serialises the session's messages (seq, clientSeq and the writes): Shutdown's hook
	// sends disconnect from another goroutine.
	wmu sync.Mutex
}

// disconnectGrace is how long a client has to send close after the server's disconnect (or
// the idle timeout, if shorter).
const disconnectGrace = 5 * time.Second

func (a *ahSession) grace() time.Duration { return min(disconnectGrace, a.s.cfg.IdleTimeout) }

func (a *ahSession) send(typ string, params any) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.seq++
	p, _ := json.Marshal(params)
	cs := a.clientSeq
	return a.s.writeJSON(a.c, ahMsg{Version: "2", ID: a.id, Type: typ, Seq: a.seq, ClientSeq: &cs, Parameters: p})
}

// setClientSeq records the last client message's seq (under wmu, as send reads it).
func (a *ahSession) setClientSeq(n int) {
	a.wmu.Lock()
	a.clientSeq = n
	a.wmu.Unlock()
}

// disconnectForShutdown is the session's Shutdown hook: an open session is sent disconnect
// (reason "completed") and goes on reading, so that the client's close gets the final assessment
// and closed; it reports whether it did (a session not open yet, or closing, is just closed).
func (a *ahSession) disconnectForShutdown() bool {
	a.wmu.Lock()
	active := a.opened && !a.closed && a.failed == nil
	a.wmu.Unlock()
	if !active {
		return false
	}
	return a.send("disconnect", map[string]string{"reason": "completed", "info": "server shutting down"}) == nil
}

func (a *ahSession) sendAssessments(as []engine.Assessment) error {
	for _, x := range as {
		ev := map[string]any{"entities": []any{map[string]any{"type": "voxguard.assessment", "data": x}}}
		if err := a.send("event", ev); err != nil {
			return err
		}
	}
	return nil
}

// serveAudioHook runs /v1/audiohook, the Genesys AudioHook protocol v2. The upgrade request
// must carry X-API-KEY, an ingest key; if the key has a client secret, the request must also
// carry a valid HTTP message signature (VerifyAudioHookSignature), else 401. Then: open ->
// opened (first offer of PCMU or L16 at 8 kHz with an "external" channel, the caller), audio
// as binary frames, ping -> pong, update -> updated, close -> the final assessment and closed;
// paused, resumed, discarded and error are noted; a client's protocol error gets disconnect
// (reason "error") and the client's close is awaited (see run); "supportedLanguages":true in the
// open gets an empty list in opened. A connection probe (nil conversation id) is answered
// without starting a call, and gives back the call slot its upgrade took. Each assessment is
// sent as an event message whose entity has type "voxguard.assessment". The claimed subject comes from the open's inputVariables or
// customConfig ("subject_id").
func (s *Server) serveAudioHook(w http.ResponseWriter, r *http.Request) {
	apiKey := r.Header.Get("X-API-KEY")
	k, ok := s.authorize(w, r, apiKey, RoleIngest)
	if !ok {
		return
	}
	if k.Secret != nil {
		if err := VerifyAudioHookSignature(r, k.Secret, s.cfg.Now(), s.cfg.SignatureSkew); err != nil {
			s.problem(w, http.StatusUnauthorized, "AudioHook signature: "+err.Error())
			return
		}
	}
	id := r.Header.Get("Audiohook-Session-Id")
	if id == "" {
		s.problem(w, http.StatusBadRequest, "missing Audiohook-Session-Id")
		return
	}
	c, err := s.upgrade(w, r)
	if err != nil {
		return
	}
	defer s.done(c)
	a := &ahSession{s: s, c: c, id: id, org: r.Header.Get("Audiohook-Organization-Id"), release: func() { s.releaseSlot(r) }}
	s.onShutdown(c, a.disconnectForShutdown)
	defer func() { a.cl.end() }()
	s.closeFor(c, a.run())
}

// run handles the session's messages. A client's protocol error does not drop the socket: as
// Genesys's reference server does, the server sends disconnect {"reason":"error","info":...}
// and lets the client end the session, which it does with close (answered with the final
// assessment and closed); a client that does not within the grace period gets the WebSocket
// close for the error. Oversized messages still close at once.
func (a *ahSession) run() error {
	for {
		err := a.next()
		var pe *protocolError
		switch {
		case err == nil:
			continue
		case errors.Is(err, errSessionDone):
			return nil
		case a.failed == nil && errors.As(err, &pe) && pe.Code != websocket.CloseMessageTooBig:
			a.wmu.Lock()
			a.failed, a.failedAt = pe, time.Now()
			a.wmu.Unlock()
			a.s.log.Warn("audiohook client error, disconnecting", "session", a.id, "reason", pe.Reason)
			if err := a.send("disconnect", map[string]string{"reason": "error", "info": "Client Error: " + pe.Reason}); err != nil {
				return err
			}
		case a.failed != nil && isTimeout(err):
			return a.failed
		default:
			return err
		}
	}
}

// errSessionDone ends run without an error: the close transaction finished.
var errSessionDone = errors.New("audiohook session done")

// next reads and handles one message.
func (a *ahSession) next() error {
	var mt int
	var b []byte
	var err error
	if a.failed != nil {
		// After a disconnect only close counts, until the grace period ends.
		mt, b, err = a.s.readBy(a.c, &a.buf, a.failedAt.Add(a.grace())) // a fixed deadline: s.read would extend it
	} else {
		mt, b, err = a.s.read(a.c, &a.buf)
	}
	if err != nil {
		return err
	}
	if a.failed != nil {
		var m ahMsg
		if mt != websocket.TextMessage || json.Unmarshal(b, &m) != nil || m.Type != "close" {
			return nil
		}
		a.setClientSeq(m.Seq)
		if _, err := a.message(&m); err != nil {
			return err
		}
		return errSessionDone
	}
	if mt == websocket.BinaryMessage {
		return a.audioFrame(b)
	}
	var m ahMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return badJSON(err)
	}
	if m.Version != "2" || m.ID != a.id {
		return &protocolError{Code: 1002, Reason: "message version must be 2 and id the session id"}
	}
	if m.Seq != a.clientSeq+1 {
		return &protocolError{Code: 1002, Reason: fmt.Sprintf("client seq %d, expected %d", m.Seq, a.clientSeq+1)}
	}
	a.setClientSeq(m.Seq)
	done, err := a.message(&m)
	if err == nil && done {
		return errSessionDone
	}
	return err
}

func (a *ahSession) audioFrame(b []byte) error {
	switch {
	case !a.opened:
		return outOfOrder("audio before opened")
	case a.closed:
		return outOfOrder("audio after close")
	case a.cl == nil: // connection probe: one empty frame is expected, anything is ignored
		return nil
	}
	out, err := a.cl.push(b)
	if err != nil {
		return err
	}
	return a.sendAssessments(out)
}

// message handles one client message; done means the session is over.
func (a *ahSession) message(m *ahMsg) (done bool, err error) {
	empty := struct{}{}
	if m.Type != "open" && !a.opened && m.Type != "close" && m.Type != "error" {
		return false, outOfOrder("%s before open", m.Type)
	}
	switch m.Type {
	case "open":
		if a.opened {
			return false, outOfOrder("second open")
		}
		var p ahOpen
		if err := json.Unmarshal(m.Parameters, &p); err != nil {
			return false, badJSON(err)
		}
		if a.org != "" && p.OrganizationID != "" && !strings.EqualFold(a.org, p.OrganizationID) {
			return false, &protocolError{Code: websocket.ClosePolicyViolation, Reason: "open's organizationId is not the Audiohook-Organization-Id of the upgrade"}
		}
		sel, caller, ok := selectMedia(p.Media)
		if !ok {
			return false, a.send("disconnect", map[string]string{"reason": "error", "info": "no offered media is usable: PCMU or L16 at 8000 Hz with an external channel"})
		}
		a.wmu.Lock()
		a.opened = true
		a.wmu.Unlock()
		enc := audio.StreamMulaw
		if sel.Format == "L16" {
			// Host (little-endian) byte order, as the reference implementation's Int16Array
			// views of the frames read it, not RFC 3551's network order.
			enc = audio.L16LE
		}
		a.probe = p.ConversationID == nilUUID || p.ConversationID == ""
		if a.probe {
			a.release() // a probe is not a call: it holds no call slot and counts in no limit
		} else {
			subject, _ := p.InputVariables["subject_id"].(string)
			if v, ok := p.CustomConfig["subject_id"].(string); ok && subject == "" {
				subject = v
			}
			if a.cl, err = a.s.newCall(a.c, "audiohook", p.ConversationID, p.Participant.ANI, media{enc: enc, rate: sel.Rate, channels: len(sel.Channels), caller: caller}); err != nil {
				return false, err
			}
			if subject != "" {
				if _, err := a.cl.claim(subject); err != nil {
					return false, err
				}
			}
		}
		opened := map[string]any{"startPaused": false, "media": []ahMedia{sel}}
		if p.SupportedLanguages {
			opened["supportedLanguages"] = []string{} // voxguard transcribes nothing: no languages
		}
		return false, a.send("opened", opened)
	case "ping":
		return false, a.send("pong", empty)
	case "update":
		return false, a.send("updated", empty)
	case "paused", "resumed", "discarded":
		a.s.log.Info("audiohook "+m.Type, "session", a.id, "position", m.Position)
		return false, nil
	case "error":
		a.s.log.Warn("audiohook client error", "session", a.id, "parameters", strings.TrimSpace(string(m.Parameters)))
		return false, nil
	case "close":
		a.wmu.Lock()
		a.closed = true
		a.wmu.Unlock()
		if a.cl != nil {
			f, err := a.cl.stop()
			if err != nil {
				return false, err
			}
			if err := a.sendAssessments([]engine.Assessment{f}); err != nil {
				return false, err
			}
		}
		if err := a.send("closed", empty); err != nil {
			return false, err
		}
		return true, a.s.awaitClose(a.c)
	}
	return false, &protocolError{Code: 1002, Reason: "unknown message type " + quoteShort(m.Type)}
}

// awaitClose waits up to 5 s for the client to close the socket after closed.
func (s *Server) awaitClose(c *websocket.Conn) error {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		mt, r, err := c.NextReader()
		if err == nil {
			_, err = io.Copy(io.Discard, io.LimitReader(r, s.cfg.MaxMessageBytes))
		}
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				return err
			}
			return nil
		}
		if mt == websocket.BinaryMessage {
			return outOfOrder("audio after close")
		}
	}
}
