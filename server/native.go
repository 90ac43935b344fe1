package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/engine"
)

// nativeMsg is a text frame of the native protocol (/v1/stream).
type nativeMsg struct {
	Type          string `json:"type"` // start, claim, stop
	CallID        string `json:"call_id"`
	SubjectID     string `json:"subject_id"`
	ANI           string `json:"ani"`
	Encoding      string `json:"encoding"`    // pcm16le, mulaw, alaw
	SampleRate    int    `json:"sample_rate"` // 8000 or 16000
	Channels      int    `json:"channels"`    // 1 or 2
	CallerChannel int    `json:"caller_channel"`
}

// nativeAssessment is an assessment as the native protocol sends it.
type nativeAssessment struct {
	Type string `json:"type"` // "assessment"
	engine.Assessment
}

// nativeStarted acknowledges a start message.
type nativeStarted struct {
	Type       string `json:"type"` // "started"
	CallID     string `json:"call_id"`
	SampleRate int    `json:"sample_rate"`
}

// serveNative runs /v1/stream: a start text frame, binary audio frames, optional claim text
// frames, a stop text frame. Each assessment is sent back as a text frame; after the final one
// the server waits briefly for the client to close and treats anything else as an error.
func (s *Server) serveNative(w http.ResponseWriter, r *http.Request) {
	s.serveIngest(w, r, s.runNative)
}

func (s *Server) runNative(c *websocket.Conn, clp **call) error {
	var buf []byte
	send := func(as []engine.Assessment) error { return s.sendAssessments(c, as) }
	for {
		mt, b, err := s.read(c, &buf)
		if err != nil {
			return err
		}
		cl := *clp
		if mt == websocket.BinaryMessage {
			if cl == nil {
				return outOfOrder("audio before start")
			}
			out, err := cl.push(b)
			if err != nil {
				return err
			}
			if err := send(out); err != nil {
				return err
			}
			continue
		}
		var m nativeMsg
		if err := json.Unmarshal(b, &m); err != nil {
			return badJSON(err)
		}
		switch m.Type {
		case "start":
			if cl != nil {
				return outOfOrder("second start")
			}
			if m.CallID == "" || len(m.CallID) > 128 {
				return &protocolError{Code: 1007, Reason: "start needs a call_id of 1-128 bytes"}
			}
			enc, ok := encodingByName[m.Encoding]
			if !ok || m.Encoding == "l16" || m.Encoding == "l16be" {
				return unsupported("unsupported encoding %q (pcm16le, mulaw or alaw)", m.Encoding)
			}
			if cl, err = s.newCall(c, "stream", m.CallID, m.ANI, media{enc: enc, rate: m.SampleRate, channels: m.Channels, caller: m.CallerChannel}); err != nil {
				return err
			}
			*clp = cl
			if err := s.writeJSON(c, nativeStarted{"started", m.CallID, m.SampleRate}); err != nil {
				return err
			}
			if m.SubjectID != "" {
				out, err := cl.claim(m.SubjectID)
				if err != nil {
					return err
				}
				if err := send(out); err != nil {
					return err
				}
			}
		case "claim":
			if cl == nil {
				return outOfOrder("claim before start")
			}
			if m.SubjectID == "" {
				return &protocolError{Code: 1007, Reason: "claim needs a subject_id"}
			}
			out, err := cl.claim(m.SubjectID)
			if err != nil {
				return err
			}
			if err := send(out); err != nil {
				return err
			}
		case "stop":
			if cl == nil {
				return outOfOrder("stop before start")
			}
			a, err := cl.stop()
			if err != nil {
				return err
			}
			if err := send([]engine.Assessment{a}); err != nil {
				return err
			}
			return s.linger(c)
		default:
			return &protocolError{Code: 1007, Reason: "unknown message type " + quoteShort(m.Type)}
		}
	}
}

// linger waits up to a second after a stop for the client's close; any message is an error.
func (s *Server) linger(c *websocket.Conn) error {
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, _, err := c.NextReader()
	if err == nil {
		return outOfOrder("message after stop")
	}
	if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
		return err
	}
	return nil // timeout: close normally
}

// quoteShort quotes s for a close reason, cut to 32 bytes.
func quoteShort(s string) string {
	if len(s) > 32 {
		s = s[:32]
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// serveIngest authorises an ingest key, upgrades the connection and runs a protocol loop, ending
// the call (with its final assessment) and closing with the loop's close code and reason.
func (s *Server) serveIngest(w http.ResponseWriter, r *http.Request, run func(c *websocket.Conn, clp **call) error) {
	if _, ok := s.authorize(w, r, tokenFrom(r), RoleIngest); !ok {
		return
	}
	c, err := s.upgrade(w, r)
	if err != nil {
		return
	}
	defer s.done(c)
	var cl *call
	defer func() { cl.end() }()
	s.closeFor(c, run(c, &cl))
}

// sendAssessments writes each assessment as a text frame {"type":"assessment",...}, the reply
// format of /v1/stream and /v1/fork.
func (s *Server) sendAssessments(c *websocket.Conn, as []engine.Assessment) error {
	for _, a := range as {
		if err := s.writeJSON(c, nativeAssessment{"assessment", a}); err != nil {
			return err
		}
	}
	return nil
}
