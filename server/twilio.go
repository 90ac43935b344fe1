package server

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
)

// twilioMsg is a Twilio Media Streams message (all events share the envelope).
type twilioMsg struct {
	Event     string `json:"event"` // connected, start, media, dtmf, mark, stop
	StreamSid string `json:"streamSid"`
	Start     *struct {
		CallSid          string            `json:"callSid"`
		StreamSid        string            `json:"streamSid"`
		Tracks           []string          `json:"tracks"`
		CustomParameters map[string]string `json:"customParameters"`
		MediaFormat      struct {
			Encoding   string `json:"encoding"`
			SampleRate int    `json:"sampleRate"`
			Channels   int    `json:"channels"`
		} `json:"mediaFormat"`
	} `json:"start"`
	Media *struct {
		Track   string `json:"track"`
		Payload string `json:"payload"` // base64 audio
	} `json:"media"`
}

// TwilioSignature returns the X-Twilio-Signature Twilio sends for a request to fullURL without a
// body (a WebSocket upgrade): base64(HMAC-SHA1(auth token, URL)).
func TwilioSignature(authToken, fullURL string) string {
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(fullURL))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// twilioSigned checks X-Twilio-Signature against the URL Twilio called: PublicURL (or the Host
// with either WebSocket scheme, as TLS is often terminated by a proxy) plus path and query.
func (s *Server) twilioSigned(r *http.Request) bool {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return false
	}
	bases := []string{"wss://" + r.Host, "ws://" + r.Host}
	if s.cfg.PublicURL != "" {
		// Twilio signs the wss:// URL of <Stream url>; a PublicURL given as https:// (the usual
		// way to write a public address) means the same host.
		b := strings.TrimSuffix(s.cfg.PublicURL, "/")
		if rest, ok := strings.CutPrefix(b, "https://"); ok {
			b = "wss://" + rest
		} else if rest, ok := strings.CutPrefix(b, "http://"); ok {
			b = "ws://" + rest
		}
		bases = []string{b}
	}
	for _, b := range bases {
		if hmac.Equal([]byte(TwilioSignature(s.cfg.TwilioAuthToken, b+r.URL.RequestURI())), []byte(sig)) {
			return true
		}
	}
	return false
}

// serveTwilio runs /v1/twilio, the target of TwiML <Stream> (Twilio Media Streams): connected,
// start (customParameters: subject_id = the claimed subject, ani; api_key when neither a
// signature nor a header authenticates the stream), base64 mu-law media on the inbound track
// (the caller), dtmf, mark, stop. With Config.TwilioAuthToken set, X-Twilio-Signature must be
// valid. Twilio accepts no other messages on the stream, so assessments go to /v1/events only.
func (s *Server) serveTwilio(w http.ResponseWriter, r *http.Request) {
	if why := s.overloaded(); why != "" { // before any key or signature, as every stream endpoint
		s.shedOverload(w, why)
		return
	}
	authed := false
	if s.cfg.TwilioAuthToken != "" {
		if !s.twilioSigned(r) {
			s.problem(w, http.StatusForbidden, "missing or invalid X-Twilio-Signature")
			return
		}
		// Signed streams carry no key of their own: they share one call slot account.
		if !s.slot(w, r, Key{ID: twilioSignedSlot, Role: RoleIngest}) {
			return
		}
		authed = true
	} else if t := tokenFrom(r); t != "" {
		if _, ok := s.authorize(w, r, t, RoleIngest); !ok {
			return
		}
		authed = true
	}
	c, err := s.upgrade(w, r)
	if err != nil {
		return
	}
	defer s.done(c)
	var cl *call
	defer func() { cl.end() }()
	s.closeFor(c, s.runTwilio(r, c, authed, &cl))
}

// twilioSignedSlot is the call-slot account of streams authenticated by X-Twilio-Signature.
const twilioSignedSlot = "twilio-signed"

func (s *Server) runTwilio(r *http.Request, c *websocket.Conn, authed bool, clp **call) error {
	var raw, buf []byte
	for {
		mt, b, err := s.read(c, &buf)
		if err != nil {
			return err
		}
		if mt != websocket.TextMessage {
			return unsupported("Twilio Media Streams sends text frames only")
		}
		var m twilioMsg
		if err := json.Unmarshal(b, &m); err != nil {
			return badJSON(err)
		}
		cl := *clp
		switch m.Event {
		case "connected", "dtmf", "mark":
		case "start":
			if cl != nil {
				return outOfOrder("second start")
			}
			st := m.Start
			if st == nil {
				return &protocolError{Code: 1007, Reason: "start without a start object"}
			}
			p := st.CustomParameters
			if !authed {
				k, ok := s.auth.Authenticate(p["api_key"])
				if !ok || !allows(k.Role, RoleIngest) {
					return &protocolError{Code: 1008, Reason: "missing or invalid api_key"}
				}
				switch s.takeSlot(r, k) {
				case slotPerKey:
					return &protocolError{Code: 1013, Reason: "this key is at its limit of concurrent calls"}
				case slotServer:
					s.prom.shed.WithLabelValues("capacity").Inc()
					return &protocolError{Code: 1013, Reason: "the server is at its limit of concurrent calls"}
				}
			}
			if len(st.Tracks) > 0 && !slices.Contains(st.Tracks, "inbound") {
				return unsupported("the stream carries no inbound (caller) track: use <Stream track=\"inbound_track\"> or \"both_tracks\"")
			}
			f := st.MediaFormat
			if f.Encoding != "audio/x-mulaw" {
				return unsupported("unsupported encoding %s (audio/x-mulaw)", quoteShort(f.Encoding))
			}
			if f.Channels == 0 {
				f.Channels = 1
			}
			id := firstOf(st.CallSid, st.StreamSid, m.StreamSid)
			if id == "" || len(id) > 128 {
				return &protocolError{Code: 1007, Reason: "start needs a callSid"}
			}
			if cl, err = s.newCall(c, "twilio", id, p["ani"], media{enc: audio.StreamMulaw, rate: f.SampleRate, channels: f.Channels, base64: true}); err != nil {
				return err
			}
			*clp = cl
			if sub := p["subject_id"]; sub != "" {
				if _, err := cl.claim(sub); err != nil {
					return err
				}
			}
		case "media":
			if cl == nil {
				return outOfOrder("media before start")
			}
			if cl.sess.Stopped() {
				return outOfOrder("media after stop")
			}
			if m.Media == nil {
				return &protocolError{Code: 1007, Reason: "media without a media object"}
			}
			if m.Media.Track != "" && m.Media.Track != "inbound" {
				continue // the agent's leg
			}
			raw, err = base64.StdEncoding.AppendDecode(raw[:0], []byte(m.Media.Payload))
			if err != nil {
				return &protocolError{Code: 1007, Reason: "media payload is not base64"}
			}
			if _, err := cl.push(raw); err != nil {
				return err
			}
		case "stop":
			if cl == nil {
				return outOfOrder("stop before start")
			}
			if _, err := cl.stop(); err != nil {
				return err
			}
		default:
			return &protocolError{Code: 1007, Reason: "unknown event " + quoteShort(m.Event)}
		}
	}
}
