package server

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/store"
)

// call is one live call as every adapter runs it: stream decoder, resampler to the engine's
// rate, engine session, and publication of its assessments. It belongs to the connection's
// reading goroutine.
type call struct {
	srv      *Server
	platform string
	ani      string // masked
	sess     *engine.Session
	dec      *audio.StreamDecoder
	rs       *audio.Resampler // nil when the stream is at the engine's rate
	pcm, out []float32        // reused buffers
	bytes    int64            // audio bytes received
	started  time.Time
	samples  int64             // samples fed to the session
	recs     []json.RawMessage // assessments, for the stored call record (with a store only)
	claimed  string            // subject id of the last claim
	customer string            // the claimed customer, masked for agents (Event.Customer)
	lc       *liveCall         // the hub's record of the call
	ended    bool              // call_ended published
	rank     float64           // in [0, 1): feeds the second speaker system while under Server.fusion's level
}

// media describes a stream's audio.
type media struct {
	enc      audio.StreamEncoding
	rate     int
	channels int
	caller   int  // channel carrying the caller
	wideRate bool // forkRates are accepted, not only 8000 and 16000 (L16 forks: jambonz, Vonage)
	base64   bool // the audio arrives base64-encoded in JSON text messages (Twilio)
}

// forkRates are the sample rates an L16 fork may stream (jambonz offers 8-64 kHz, Vonage 8, 16
// and 24 kHz); the server resamples them to the engine's rate.
var forkRates = []int{8000, 16000, 24000, 32000, 44100, 48000, 64000}

// encodingByName maps protocol encoding names to stream encodings.
var encodingByName = map[string]audio.StreamEncoding{
	"pcm16le": audio.L16LE, "l16le": audio.L16LE, "linear16": audio.L16LE,
	"l16": audio.L16BE, "l16be": audio.L16BE,
	"mulaw": audio.StreamMulaw, "pcmu": audio.StreamMulaw, "audio/x-mulaw": audio.StreamMulaw, "ulaw": audio.StreamMulaw,
	"alaw": audio.StreamAlaw, "pcma": audio.StreamAlaw, "audio/x-alaw": audio.StreamAlaw,
}

// check validates m against what the server accepts, as a protocolError for the client.
func (m media) check() error {
	switch {
	case m.wideRate && !slices.Contains(forkRates, m.rate):
		return unsupported("unsupported sample rate %d (%v)", m.rate, forkRates)
	case !m.wideRate && m.rate != 8000 && m.rate != 16000:
		return unsupported("unsupported sample_rate %d (8000 or 16000)", m.rate)
	case m.channels != 1 && m.channels != 2:
		return unsupported("unsupported channels %d (1 or 2)", m.channels)
	case m.caller < 0 || m.caller >= m.channels:
		return unsupported("caller_channel %d out of range for %d channels", m.caller, m.channels)
	}
	return nil
}

// newCall starts the session of callID for a stream of m arriving over conn (nil in tests), whose
// reads it batches when conn came through a BatchListener.
func (s *Server) newCall(conn *websocket.Conn, platform, callID, ani string, m media) (*call, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	dec, err := audio.NewStreamDecoder(m.enc, m.channels, m.caller)
	if err != nil {
		return nil, unsupported("%v", err)
	}
	c := &call{srv: s, platform: platform, ani: MaskANI(ani), sess: s.eng.NewSession(callID), dec: dec, started: time.Now().UTC(),
		rank: rand.Float64()}
	c.shedOptional(c.started, "start") // short of processor time: without its optional systems
	if m.rate != s.eng.SampleRate() {
		if c.rs, err = audio.NewResampler(m.rate, s.eng.SampleRate()); err != nil {
			return nil, unsupported("%v", err)
		}
	}
	if conn != nil {
		rate := m.payloadRate()
		// The stream's bytes per sample of the engine's caller audio.
		perSample := rate / float64(s.eng.SampleRate())
		batchReads(conn, rate, func() int64 {
			u := c.sess.SamplesUntilDue()
			if u >= math.MaxInt64/16 {
				return math.MaxInt64
			}
			return int64(float64(u) * perSample)
		})
	}
	c.lc = s.hub.callStarted(c.event("call_started"))
	s.metrics.calls.Add(1)
	s.prom.calls.WithLabelValues(platform).Inc()
	s.log.Info("call started", "platform", platform, "call_id", callID, "ani", c.ani,
		"encoding", m.enc.String(), "rate", m.rate, "channels", m.channels)
	return c, nil
}

// push decodes a chunk of the stream and feeds it to the session.
func (c *call) push(b []byte) ([]engine.Assessment, error) {
	t0 := time.Now()
	c.bytes += int64(len(b))
	c.pcm = c.dec.Decode(c.pcm[:0], b)
	x := c.pcm
	if c.rs != nil {
		c.out = c.rs.Process(c.out[:0], c.pcm)
		x = c.out
	}
	c.samples += int64(len(x))
	c.srv.prom.audioSeconds.Add(float64(len(x)) / float64(c.srv.eng.SampleRate()))
	c.shedOptional(t0, "during") // short of processor time: without them from here on
	out, err := c.sess.Push(x)
	c.srv.prom.observe(out, time.Since(t0))
	c.publish(out)
	return out, err
}

// claim sets the claimed subject.
func (c *call) claim(subject string) ([]engine.Assessment, error) {
	t0 := time.Now()
	out, err := c.sess.Claim(subject)
	if err == nil && subject != c.claimed {
		// Once per claim, not per assessment: the customer's display string for agents.
		c.claimed, c.customer = subject, c.srv.customerFor(subject)
		c.srv.hub.callUpdated(c.lc, c.event("call_started"), c.event("call_updated"))
	}
	c.srv.prom.observe(out, time.Since(t0))
	c.publish(out)
	return out, err
}

// stop flushes the resampler and ends the session, returning the final assessment.
func (c *call) stop() (engine.Assessment, error) {
	if c.sess.Stopped() {
		return engine.Assessment{}, engine.ErrStopped
	}
	t0 := time.Now()
	if c.rs != nil {
		c.out = c.rs.Flush(c.out[:0])
		if _, err := c.sess.Push(c.out); err != nil {
			return engine.Assessment{}, err
		}
	}
	a, err := c.sess.Stop()
	if err == nil {
		c.srv.prom.observe([]engine.Assessment{a}, time.Since(t0))
		c.publish([]engine.Assessment{a})
		c.record()
		c.srv.log.Info("call stopped", "platform", c.platform, "call_id", a.CallID, "speech_seconds", a.SpeechSeconds,
			"risk", a.Risk, "band", a.Band, "reasons", a.Reasons)
	}
	return a, err
}

// end stops the call if the connection went away without a stop (its final assessment still
// reaches the agents), then tells the agents that the call ended.
func (c *call) end() {
	if c == nil {
		return
	}
	if !c.sess.Stopped() {
		c.stop()
	}
	if !c.ended {
		c.ended = true
		e := c.event("call_ended")
		e.Ended = time.Now().UTC()
		c.srv.hub.callEnded(c.lc, e)
	}
}

// event returns an event of type typ with the call's context (no assessment).
func (c *call) event(typ string) Event {
	return Event{Type: typ, CallID: c.sess.CallID(), Platform: c.platform, ANI: c.ani, Customer: c.customer, Started: c.started}
}

// customerFor returns the claimed customer as agents may see it: the masked name of the store's
// subject, else its masked account reference, else the masked subject id. It reads the store
// once; callers look it up once per claim.
func (s *Server) customerFor(subject string) string {
	if s.st != nil {
		if sub, err := s.st.GetSubject(subject); err == nil {
			switch {
			case sub.Name != "":
				return store.MaskName(sub.Name)
			case sub.AccountRef != "":
				return store.MaskAccount(sub.AccountRef)
			}
		}
	}
	return store.MaskAccount(subject)
}

func (c *call) publish(as []engine.Assessment) {
	for _, a := range as {
		c.srv.hub.callAssessed(c.lc, Event{Type: "assessment", CallID: a.CallID, Platform: c.platform, ANI: c.ani, Customer: c.customer, Assessment: a})
		if c.srv.st != nil {
			if b, err := json.Marshal(a); err == nil {
				c.recs = append(c.recs, b)
			}
		}
		c.srv.metrics.assessments.Add(1)
	}
}

// protocolError is a client's protocol violation: the connection is closed with Code and Reason.
type protocolError struct {
	Code   int
	Reason string
}

func (e *protocolError) Error() string { return fmt.Sprintf("close %d: %s", e.Code, e.Reason) }

func unsupported(format string, a ...any) error {
	return &protocolError{Code: 1003, Reason: fmt.Sprintf(format, a...)}
}

func badJSON(err error) error {
	return &protocolError{Code: 1007, Reason: "invalid JSON: " + err.Error()}
}

func outOfOrder(format string, a ...any) error {
	return &protocolError{Code: 1002, Reason: fmt.Sprintf(format, a...)}
}

// record stores the finished call (with a store): its record with every assessment, and its
// statistics for a while in the recent-calls buffer (enrollment from a call).
func (c *call) record() {
	s := c.srv
	if s.st == nil {
		return
	}
	id := c.sess.CallID()
	s.recent.put(id, c.sess.Claimed(), c.sess.Stats())
	rec := store.CallRecord{CallID: id, Platform: c.platform, ANI: c.ani, ClaimedSubject: c.sess.Claimed(),
		Started: c.started, Ended: time.Now().UTC(), Assessments: c.recs}
	if err := s.st.PutCall(store.SystemActor, rec); err != nil {
		s.log.Warn("storing the call record failed", "call_id", id, "err", err.Error())
	}
}
