package server

import (
	"crypto/rand"
	"encoding/hex"
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
//
// The upgrade URL's query may carry call_id, sample_rate, channels, caller_channel and
// subject_id as defaults for the metadata (FreeSWITCH's mod_audio_fork takes the mix and rate as
// command arguments and sends metadata only if given one; its URL is the integrator's to set).
// With a sample_rate there, audio may come first and the call starts without a metadata frame.
// Without a call id anywhere (Vonage sends none unless the NCCO's headers add one) the call gets
// a random one. jambonz's mixType "mixed" (both parties in one channel) is refused: the agent's
// voice would be scored as the caller's.
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

// queryForkMeta reads the metadata defaults of the upgrade URL's query.
func queryForkMeta(r *http.Request) (forkMeta, error) {
	q := r.URL.Query()
	m := forkMeta{CallID: q.Get("call_id"), SubjectID: q.Get("subject_id")}
	for _, f := range []struct {
		key string
		dst *int
	}{{"sample_rate", &m.SampleRate}, {"channels", &m.Channels}, {"caller_channel", &m.CallerChannel}} {
		if v := q.Get(f.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return m, &protocolError{Code: 1007, Reason: "query parameter " + f.key + " is not a non-negative integer"}
			}
			*f.dst = n
		}
	}
	return m, nil
}

// withDefaults fills m's unset fields from the query's defaults d.
func (m forkMeta) withDefaults(d forkMeta) forkMeta {
	if firstOf(m.CallID, m.CallSid, m.UUID, m.ConversationUUID) == "" {
		m.CallID = d.CallID
	}
	if m.SampleRate == 0 && m.SampleRate2 == 0 && m.ContentType == "" {
		m.SampleRate = d.SampleRate
	}
	if m.Channels == 0 && m.MixType == "" {
		m.Channels = d.Channels
	}
	if m.CallerChannel == 0 {
		m.CallerChannel = d.CallerChannel
	}
	if firstOf(m.SubjectID, m.SubjectID2) == "" {
		m.SubjectID = d.SubjectID
	}
	return m
}

// randomCallID names a call whose platform sent no id.
func randomCallID() string {
	var b [8]byte
	rand.Read(b[:])
	return "fork-" + hex.EncodeToString(b[:])
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
	return media{enc: audio.L16LE, rate: rate, channels: ch, caller: m.CallerChannel, wideRate: true}
}

// serveFork runs /v1/fork: one text frame of metadata, then binary L16 (little-endian) at 8 to
// 64 kHz (forkRates), mono or stereo. Later text frames may carry {"type":"claim","subject_id"} or
// {"type":"stop"}; other JSON events (DTMF and the like) are ignored. Assessments are sent back
// as text frames, as on /v1/stream. The connection's end without a stop ends the call.
func (s *Server) serveFork(w http.ResponseWriter, r *http.Request) {
	s.serveIngest(w, r, func(c *websocket.Conn, clp **call) error {
		d, err := queryForkMeta(r)
		if err != nil {
			return err
		}
		return s.runFork(c, clp, d)
	})
}

func (s *Server) runFork(c *websocket.Conn, clp **call, defaults forkMeta) error {
	var buf []byte
	send := func(as []engine.Assessment) error { return s.sendAssessments(c, as) }
	start := func(m forkMeta) error {
		m = m.withDefaults(defaults)
		if strings.EqualFold(m.MixType, "mixed") {
			return &protocolError{Code: 1003, Reason: `mixType "mixed" carries both parties in one channel; send "mono" (the caller) or "stereo"`}
		}
		id := firstOf(m.CallID, m.CallSid, m.UUID, m.ConversationUUID)
		if id == "" {
			id = randomCallID()
		}
		if len(id) > 128 {
			return &protocolError{Code: 1007, Reason: "call id longer than 128 bytes"}
		}
		cl, err := s.newCall(c, "fork", id, firstOf(m.ANI, m.From), m.media())
		if err != nil {
			return err
		}
		*clp = cl
		if sub := firstOf(m.SubjectID, m.SubjectID2); sub != "" {
			out, err := cl.claim(sub)
			if err != nil {
				return err
			}
			return send(out)
		}
		return nil
	}
	for {
		mt, b, err := s.read(c, &buf)
		if err != nil {
			return err
		}
		cl := *clp
		if mt == websocket.BinaryMessage {
			if cl == nil && defaults.SampleRate == 0 {
				return outOfOrder("audio before metadata (or a sample_rate query parameter)")
			}
			if cl == nil {
				if err := start(forkMeta{}); err != nil {
					return err
				}
				cl = *clp
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
			if cl != nil {
				continue // mod_audio_fork's send_text and stop may carry arbitrary text once audio flows
			}
			return badJSON(err)
		}
		if cl == nil {
			if err := start(m); err != nil {
				return err
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
