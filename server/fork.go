package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
)

// forkMeta is the first text frame of an L16 fork. Platforms name things differently; the first
// non-empty of each group of aliases is used:
//
//	call id:        call_id, callSid (jambonz), uuid (Vonage, FreeSWITCH), conversation_uuid
//	rate:           sample_rate, sampleRate (jambonz), the rate in content-type (Vonage:
//	                "audio/l16;rate=16000")
//	channels:       channels, or mixType "stereo" (jambonz) = 2; default 1
//	caller channel: caller_channel, default 0 (the inbound leg comes first on these platforms)
//	claimed subject: subject_id, subjectId; caller's number: ani, from
type forkMeta struct {
	CallID           string `json:"call_id"`
	CallSid          string `json:"callSid"`
	UUID             string `json:"uuid"`
	ConversationUUID string `json:"conversation_uuid"`
	SampleRate       int    `json:"sample_rate"`
	SampleRate2      int    `json:"sampleRate"`
	ContentType      string `json:"content-type"`
	Channels         int    `json:"channels"`
	MixType          string `json:"mixType"`
	CallerChannel    int    `json:"caller_channel"`
	SubjectID        string `json:"subject_id"`
	SubjectID2       string `json:"subjectId"`
	ANI              string `json:"ani"`
	From             string `json:"from"`
	Type             string `json:"type"` // later frames: claim, stop (as in the native protocol)
	Event            string `json:"event"`
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// media returns the stream's format from the metadata (16-bit little-endian linear PCM).
func (m forkMeta) media() media {
	rate := m.SampleRate
	if rate == 0 {
		rate = m.SampleRate2
	}
	if rate == 0 {
		if _, r, ok := strings.Cut(strings.ToLower(m.ContentType), "rate="); ok {
			rate, _ = strconv.Atoi(strings.TrimSpace(strings.Split(r, ";")[0]))
		}
	}
	ch := m.Channels
	if ch == 0 {
		ch = 1
		if strings.EqualFold(m.MixType, "stereo") {
			ch = 2
		}
	}
	return media{enc: audio.L16LE, rate: rate, channels: ch, caller: m.CallerChannel}
}

// serveFork runs /v1/fork: one text frame of metadata, then binary L16 (little-endian) at 8 or
// 16 kHz, mono or stereo. Later text frames may carry {"type":"claim","subject_id"} or
// {"type":"stop"}; other JSON events (DTMF and the like) are ignored. Assessments are sent back
// as text frames, as on /v1/stream. The connection's end without a stop ends the call.
func (s *Server) serveFork(w http.ResponseWriter, r *http.Request) {
	s.serveIngest(w, r, s.runFork)
}

func (s *Server) runFork(c *websocket.Conn, clp **call) error {
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
				return outOfOrder("audio before metadata")
			}
			if cl.sess.Stopped() {
				return outOfOrder("audio after stop")
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
		var m forkMeta
		if err := json.Unmarshal(b, &m); err != nil {
			return badJSON(err)
		}
		if cl == nil {
			id := firstOf(m.CallID, m.CallSid, m.UUID, m.ConversationUUID)
			if id == "" || len(id) > 128 {
				return &protocolError{Code: 1007, Reason: "metadata needs a call id (call_id, callSid or uuid) of 1-128 bytes"}
			}
			if cl, err = s.newCall("fork", id, firstOf(m.ANI, m.From), m.media()); err != nil {
				return err
			}
			*clp = cl
			if sub := firstOf(m.SubjectID, m.SubjectID2); sub != "" {
				out, err := cl.claim(sub)
				if err != nil {
					return err
				}
				if err := send(out); err != nil {
					return err
				}
			}
			continue
		}
		switch m.Type {
		case "claim":
			sub := firstOf(m.SubjectID, m.SubjectID2)
			if sub == "" {
				return &protocolError{Code: 1007, Reason: "claim needs a subject_id"}
			}
			out, err := cl.claim(sub)
			if err != nil {
				return err
			}
			if err := send(out); err != nil {
				return err
			}
		case "stop":
			a, err := cl.stop()
			if err != nil {
				return err
			}
			if err := send([]engine.Assessment{a}); err != nil {
				return err
			}
		}
	}
}
