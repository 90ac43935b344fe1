package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/server"
	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "demo",
		summary: "start a server with demo customers and a fraudster, play live calls, keep the agent console open",
		run:     runDemo,
	})
}

// demoPerson is a demo customer, the fraudster or the impostor, and the speaker folder of human
// recordings that gives them a voice.
type demoPerson struct {
	ID, Name, Phone, Account string
	Speaker                  string
}

// The demo's cast. Their voices are human recordings of speakers that no model of the embedded
// bundle was trained on (bench/dev_speakers.txt holds them out of training): the Mini
// LibriSpeech speakers 226 and 6272 (women), 118 and 332 (men); each impostor has the voice of
// their victim's sex. (Not every pair of held-out voices is told apart: 460's voice scores a
// match against 118's voiceprint. bench/README.md has the error rates.) With another --voices
// folder, the first four speaker folders with enough audio take their places.
var (
	demoCustomers = []demoPerson{
		{ID: "demo-alice", Name: "Alice Moreau", Phone: "+44 20 7946 0018", Account: "31926480", Speaker: "226"},
		{ID: "demo-bruno", Name: "Bruno Keller", Phone: "+44 161 496 0732", Account: "77410953", Speaker: "118"},
	}
	demoFraudster = demoPerson{Name: "Victor, account-takeover ring", Speaker: "332"}
	demoImpostor  = demoPerson{Name: "an impostor", Speaker: "6272"}
)

const (
	demoEnrollSeconds = 45 // audio (not net speech) taken for each voiceprint and the watchlist entry
	demoCallSeconds   = 25 // audio played in each call
	demoActor         = "demo"
)

// demoCall is one scripted call and the verdict it must get.
type demoCall struct {
	Title  string // what the call is, for people
	CallID string
	ANI    string
	Claims string   // subject the caller claims to be
	Audio  []string // WAV files played one after another
	Expect engine.Reason
	// Expect is the reason the final assessment must carry; "" means a genuine caller: a
	// "match" verification in the low band with no reason at all.
}

// verdictOK reports whether a final assessment is the verdict the call expects.
func (c demoCall) verdictOK(a engine.Assessment) bool {
	if c.Expect == "" {
		return a.Verification.Decision == engine.Match && a.Band == engine.BandLow && len(a.Reasons) == 0
	}
	return a.HasReason(c.Expect)
}

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[--addr HOST:PORT] [--data DIR] [--voices DIR] [--pace X] [--no-serve]", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address` (if it is taken, a free port is used instead)")
	data := fs.String("data", "", "keep the store in this data `directory` (default: a temporary one, deleted on exit)")
	voices := fs.String("voices", "", "`folder` of human recordings, one sub-folder of WAV files per speaker\n(default: $VOXGUARD_DEMO_VOICES, else shared/corpora/mini-librispeech beside the working directory or a parent)")
	synth := fs.String("synthetic", "", "WAV `file` of synthetic speech for the synthetic-voice call\n(default: testdata/audio/demo_en.wav of the source tree, if found)")
	pace := fs.Float64("pace", 1, "playback `speed`: 1 streams in real time as a telephone platform does, 0 as fast as possible (the default with --no-serve)")
	noServe := fs.Bool("no-serve", false, "exit after the calls instead of serving the console; exit status 1 if any call got an unexpected verdict")
	model := fs.String("model", "", "model bundle `file` (default: the embedded bundle)")
	logFile := fs.String("log", "", "append the server's JSON log to this `file` (default: no server log)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *noServe && !flagGiven(fs, "pace") {
		*pace = 0
	}
	if *pace < 0 || math.IsNaN(*pace) || math.IsInf(*pace, 0) {
		return usageErrorf("--pace must be 0 or more")
	}
	synthFile := *synth
	if synthFile == "" {
		synthFile = findUp(filepath.Join("testdata", "audio", "demo_en.wav"))
	} else if _, err := wavSeconds(synthFile); err != nil {
		return usageErrorf("--synthetic: %v", err)
	}
	voiceDir, err := findDemoVoices(*voices)
	if err != nil {
		return err
	}
	cast, err := castVoices(voiceDir)
	if err != nil {
		return err
	}

	ctx, stop := serveContext()
	defer stop()

	// The server: a store (temporary unless --data), the embedded models, keys for each role.
	srvLog := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		srvLog = server.NewLogger(f)
	}
	var opts store.Options
	if *data != "" {
		sf := storeFlags{data: *data}
		if opts, err = sf.serveOptions(stderr); err != nil {
			return err
		}
	} else {
		dir, err := os.MkdirTemp("", "voxguard-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		key := make([]byte, 32)
		rand.Read(key)
		opts = store.Options{Dir: dir, Key: key}
	}
	opts.Logger = log.New(io.Discard, "", 0)
	fmt.Fprintf(stdout, "voxguard demo: loading the embedded models and opening the store%s\n", keptIn(*data))
	st, err := store.Open(opts)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := models.LoadBundle(*model)
	if err != nil {
		return err
	}
	sv, err := engine.NewStoreVoices(st, b, true) // serve's default: both speaker systems live
	if err != nil {
		return err
	}
	eng, err := engine.New(b, engine.Options{Config: engine.Config{SecondSystem: true}, Voiceprints: sv, Watchlist: sv})
	if err != nil {
		return err
	}
	// Keys for this run only: printed on the terminal, so revoked on exit, also in a kept store.
	keys := map[store.Role]string{}
	for _, r := range []store.Role{store.RoleIngest, store.RoleAgent, store.RoleAnalyst} {
		k, secret, err := st.CreateAPIKey(demoActor, r, "voxguard demo "+string(r))
		if err != nil {
			return err
		}
		defer st.RevokeAPIKey(demoActor, k.ID)
		keys[r] = k.ID + "." + secret
	}
	srv := server.New(eng, server.StoreAuth{S: st}, server.Config{Logger: srvLog})
	srv.SetStore(sv)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stdout, "voxguard demo: %s is not free (%v); using another port\n", *addr, err)
		host, _, _ := net.SplitHostPort(*addr)
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
			return err
		}
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(server.BatchListener(ln, defaultReadBatch)) // reads batched as serve's are
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		srv.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()
	if serveListening != nil {
		serveListening(ln.Addr().String())
	}
	consoleURL := base + "/console/"
	fmt.Fprintf(stdout, "voxguard demo: serving on %s\n  agent console: %s  (sign in with the agent key below)\n  agent key:     %s\n  analyst key:   %s  (VOXGUARD_TOKEN for the analyst commands)\n\n",
		base, consoleURL, keys[store.RoleAgent], keys[store.RoleAnalyst])

	// The analyst's side, through the REST API: customers with consent and voiceprints, and the
	// fraudster on the watchlist.
	api, err := NewAPIClient(base, keys[store.RoleAnalyst])
	if err != nil {
		return err
	}
	for _, p := range cast.customers {
		if err := setUpCustomer(ctx, api, stdout, p, cast.enroll[p.Speaker]); err != nil {
			return fmt.Errorf("setting up demo customer %s: %w", p.ID, err)
		}
	}
	if err := setUpFraudster(ctx, api, stdout, cast.fraudster, cast.enroll[cast.fraudster.Speaker]); err != nil {
		return fmt.Errorf("setting up the demo fraudster: %w", err)
	}

	// The platform's side: calls through the native WebSocket protocol, all at once, each a few
	// seconds after the one before, as a contact centre's calls overlap.
	alice, bruno := cast.customers[0], cast.customers[1]
	calls := []demoCall{
		{Title: "genuine customer", CallID: "demo-call-1", ANI: alice.Phone, Claims: alice.ID, Audio: cast.call[alice.Speaker]},
		{Title: "impostor claiming to be " + store.MaskName(alice.Name), CallID: "demo-call-2", ANI: "+44 7700 900461", Claims: alice.ID,
			Audio: cast.call[cast.impostor.Speaker], Expect: engine.ReasonVoiceMismatch},
		{Title: "known fraudster claiming to be " + store.MaskName(bruno.Name), CallID: "demo-call-3", ANI: "+44 7700 900983", Claims: bruno.ID,
			Audio: cast.call[cast.fraudster.Speaker], Expect: engine.ReasonKnownFraudster},
	}
	if synthFile != "" {
		calls = append(calls, demoCall{Title: "synthetic voice claiming to be " + store.MaskName(bruno.Name), CallID: "demo-call-4",
			ANI: "+44 7700 900215", Claims: bruno.ID, Audio: []string{synthFile}, Expect: engine.ReasonSyntheticVoice})
	} else {
		fmt.Fprintln(stdout, "voxguard demo: no synthetic speech found (testdata/audio/demo_en.wav or --synthetic); skipping the synthetic-voice call")
	}
	fmt.Fprintf(stdout, "\nPlaying %d calls through ws://%s/v1/stream (%s):\n", len(calls), ln.Addr(), paceText(*pace))
	results := playDemoCalls(ctx, stdout, "ws://"+ln.Addr().String()+"/v1/stream", keys[store.RoleIngest], calls, *pace)
	if ctx.Err() != nil {
		return nil // Ctrl-C during the calls
	}
	bad := printDemoSummary(stdout, calls, results)
	if *noServe {
		if bad > 0 {
			return fmt.Errorf("%d of %d demo calls got an unexpected verdict", bad, len(calls))
		}
		return nil
	}
	fmt.Fprintf(stdout, "\nThe agent console stays open at %s (agent key %s).\n", consoleURL, keys[store.RoleAgent])
	fmt.Fprintf(stdout, "Analyst commands work against it meanwhile, e.g. in another terminal:\n"+
		"  export VOXGUARD_SERVER=%s VOXGUARD_TOKEN=%s\n"+
		"  go run ./cmd/voxguard calls list\n  go run ./cmd/voxguard subjects list\n  go run ./cmd/voxguard watchlist list\n"+
		"Press Ctrl-C to stop.\n", base, keys[store.RoleAnalyst])
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nvoxguard demo: stopping")
	return nil
}

// flagGiven reports whether the flag name was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

func keptIn(data string) string {
	if data == "" {
		return " (temporary; deleted on exit)"
	}
	return " in " + data
}

func paceText(p float64) string {
	if p == 0 {
		return "as fast as possible"
	}
	if p == 1 {
		return "in real time"
	}
	return fmt.Sprintf("at %gx real time", p)
}

// findUp returns rel under the working directory or its nearest parent that has it, or "".
func findUp(rel string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// findDemoVoices resolves the folder of human recordings.
func findDemoVoices(flagValue string) (string, error) {
	if flagValue == "" {
		flagValue = os.Getenv("VOXGUARD_DEMO_VOICES")
	}
	if flagValue != "" {
		if fi, err := os.Stat(flagValue); err != nil || !fi.IsDir() {
			return "", usageErrorf("--voices %s is not a folder", flagValue)
		}
		return flagValue, nil
	}
	if p := findUp(filepath.Join("shared", "corpora", "mini-librispeech")); p != "" {
		return p, nil
	}
	if p := findUp(filepath.Join("..", "shared", "corpora", "mini-librispeech")); p != "" {
		return p, nil
	}
	return "", errors.New("the demo needs recordings of real voices and found none: pass --voices DIR, a folder with one " +
		"sub-folder of WAV files (a minute or more) per speaker, at least four speakers (for example the Mini LibriSpeech " +
		"corpus, https://www.openslr.org/31/); speech synthesizers will not do, the countermeasure rightly flags them")
}

// demoCast is who plays whom and with which recordings.
type demoCast struct {
	customers           []demoPerson
	fraudster, impostor demoPerson
	enroll, call        map[string][]string // speaker -> enrollment / call recordings (disjoint)
}

// castVoices assigns speaker folders of dir to the cast and splits each speaker's recordings
// into enrollment (the first demoEnrollSeconds) and call (the last demoCallSeconds) audio.
func castVoices(dir string) (*demoCast, error) {
	c := &demoCast{customers: append([]demoPerson(nil), demoCustomers...), fraudster: demoFraudster, impostor: demoImpostor,
		enroll: map[string][]string{}, call: map[string][]string{}}
	people := []*demoPerson{&c.customers[0], &c.customers[1], &c.fraudster, &c.impostor}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var speakers []string
	for _, e := range ents {
		if e.IsDir() {
			speakers = append(speakers, e.Name())
		}
	}
	sort.Strings(speakers)
	used := map[string]bool{}
	split := func(spk string) bool {
		files, _ := filepath.Glob(filepath.Join(dir, spk, "*.wav"))
		sort.Strings(files)
		var durs []float64
		total := 0.0
		for _, f := range files {
			d, err := wavSeconds(f)
			if err != nil {
				return false
			}
			durs = append(durs, d)
			total += d
		}
		if total < demoEnrollSeconds+demoCallSeconds+5 {
			return false
		}
		i, s := 0, 0.0
		for ; s < demoEnrollSeconds; i++ {
			s += durs[i]
		}
		c.enroll[spk] = files[:i]
		j, s := len(files), 0.0
		for j > i && s < demoCallSeconds {
			j--
			s += durs[j]
		}
		c.call[spk] = files[j:]
		used[spk] = true
		return true
	}
	// The named speakers when the folder has them; otherwise the first unused ones with enough audio.
	for _, p := range people {
		if !used[p.Speaker] && split(p.Speaker) {
			continue
		}
		p.Speaker = ""
	}
	for _, p := range people {
		for _, spk := range speakers {
			if p.Speaker != "" {
				break
			}
			if !used[spk] && split(spk) {
				p.Speaker = spk
			}
		}
		if p.Speaker == "" {
			return nil, fmt.Errorf("%s: the demo needs four speaker folders with over %d s of WAV recordings each", dir, demoEnrollSeconds+demoCallSeconds+5)
		}
	}
	return c, nil
}

// wavSeconds returns a WAV file's duration in seconds.
func wavSeconds(path string) (float64, error) {
	a, err := audio.ReadWAVFile(path)
	if err != nil {
		return 0, err
	}
	return float64(a.Info.Frames) / float64(a.Info.SampleRate), nil
}

// setUpCustomer creates a customer with recorded consent and a voiceprint through the REST
// API, as an analyst would, keeping whatever a kept data directory (--data) already holds.
func setUpCustomer(ctx context.Context, api *APIClient, w io.Writer, p demoPerson, files []string) error {
	_, err := api.CreateSubject(ctx, SubjectInput{ID: p.ID, Name: p.Name, Phone: p.Phone, AccountRef: p.Account})
	if ae := (*APIError)(nil); err != nil && !(errors.As(err, &ae) && ae.Status == http.StatusConflict) {
		return err
	}
	fmt.Fprintf(w, "customer %s  %-14s phone %s  account %s\n", p.ID, store.MaskName(p.Name), server.MaskANI(p.Phone), store.MaskAccount(p.Account))
	consents, err := api.ListConsents(ctx, p.ID)
	if err != nil {
		return err
	}
	active := false
	for _, c := range consents {
		active = active || c.Withdrawn.IsZero()
	}
	if !active {
		if _, err := api.GrantConsent(ctx, p.ID, ConsentInput{Method: "ivr-recorded", EvidenceRef: "demo-recording-" + p.ID,
			PolicyVersion: "demo-2026-11"}); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "  consent to voice verification recorded (IVR recording)")
	vps, err := api.ListVoiceprints(ctx, p.ID)
	if err != nil {
		return err
	}
	if len(vps) > 0 {
		fmt.Fprintln(w, "  voiceprint already enrolled")
		return nil
	}
	rep, err := api.Enroll(ctx, p.ID, files, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  voiceprint enrolled from %d recordings: %.1f s of net speech, quality gates passed\n", len(files), rep.SpeechSeconds)
	return nil
}

// setUpFraudster puts the fraudster on the watchlist unless an entry with that label exists.
func setUpFraudster(ctx context.Context, api *APIClient, w io.Writer, p demoPerson, files []string) error {
	entries, err := api.ListWatchlist(ctx)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Label == p.Name {
			fmt.Fprintf(w, "watchlist: %q already listed\n", p.Name)
			return nil
		}
	}
	e, err := api.AddWatchlist(ctx, WatchlistInput{Label: p.Name, LegalBasis: "fraud prevention (legitimate interest)",
		CaseRef: "FR-2026-0117"}, files, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "watchlist: %q added from %d recordings of earlier fraudulent calls (%.1f s of net speech)\n", p.Name, len(files), e.SpeechSeconds)
	return nil
}

// playDemoCalls plays the calls concurrently, each starting a few seconds (of audio time) after
// the previous one, printing every assessment as it arrives. It returns each call's final
// assessment (the zero Assessment for a call that failed, which is reported).
func playDemoCalls(ctx context.Context, w io.Writer, wsURL, key string, calls []demoCall, pace float64) []engine.Assessment {
	var mu sync.Mutex
	printf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, format, a...)
	}
	out := make([]engine.Assessment, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if pace > 0 {
				select {
				case <-time.After(time.Duration(float64(i) * 3 * float64(time.Second) / pace)):
				case <-ctx.Done():
					return
				}
			}
			printf("[call %d] %s starts: caller %s claims to be %s\n", i+1, c.Title, server.MaskANI(c.ANI), c.Claims)
			final, err := playDemoCall(ctx, wsURL, key, c, pace, func(a engine.Assessment) {
				printf("[call %d] %s\n", i+1, describeAssessment(a))
			})
			if err != nil && ctx.Err() == nil {
				printf("[call %d] failed: %v\n", i+1, err)
			}
			out[i] = final
		}()
	}
	wg.Wait()
	return out
}

// playDemoCall streams one call as 16-bit PCM at 8 kHz in 200 ms frames, reporting each
// assessment, and returns the final one.
func playDemoCall(ctx context.Context, wsURL, key string, c demoCall, pace float64, report func(engine.Assessment)) (engine.Assessment, error) {
	var pcm []byte
	for _, f := range c.Audio {
		a, err := audio.ReadWAVFile(f)
		if err != nil {
			return engine.Assessment{}, fmt.Errorf("%s: %w", f, err)
		}
		x, err := a.Channel(0)
		if err != nil {
			return engine.Assessment{}, err
		}
		if a.Info.SampleRate != 8000 {
			if x, err = audio.Resample(x, a.Info.SampleRate, 8000); err != nil {
				return engine.Assessment{}, err
			}
		}
		for _, v := range x {
			s := math.Round(float64(v) * 32768)
			pcm = binary.LittleEndian.AppendUint16(pcm, uint16(int16(max(-32768, min(32767, s)))))
		}
	}
	h := http.Header{"Authorization": {"Bearer " + key}}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, h)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return engine.Assessment{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	start := map[string]any{"type": "start", "call_id": c.CallID, "ani": c.ANI, "subject_id": c.Claims,
		"encoding": "pcm16le", "sample_rate": 8000, "channels": 1}
	if err := conn.WriteJSON(start); err != nil {
		return engine.Assessment{}, err
	}
	finalc := make(chan engine.Assessment, 1)
	readErr := make(chan error, 1)
	go func() {
		for {
			var m struct {
				Type string `json:"type"`
				engine.Assessment
			}
			if err := conn.ReadJSON(&m); err != nil {
				readErr <- err
				return
			}
			if m.Type != "assessment" {
				continue
			}
			report(m.Assessment)
			if m.Final {
				finalc <- m.Assessment
				return
			}
		}
	}()
	const frame = 3200 // 200 ms of 8 kHz 16-bit audio
	t0 := time.Now()
	for off := 0; off < len(pcm); off += frame {
		if err := conn.WriteMessage(websocket.BinaryMessage, pcm[off:min(off+frame, len(pcm))]); err != nil {
			return engine.Assessment{}, err
		}
		if pace > 0 { // keep to the audio clock, as a platform streaming a live call does
			due := t0.Add(time.Duration(float64(off+frame) / 16000 / pace * float64(time.Second)))
			select {
			case <-time.After(time.Until(due)):
			case <-ctx.Done():
				return engine.Assessment{}, ctx.Err()
			}
		}
	}
	if err := conn.WriteJSON(map[string]string{"type": "stop"}); err != nil {
		return engine.Assessment{}, err
	}
	select {
	case a := <-finalc:
		conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		return a, nil
	case err := <-readErr:
		return engine.Assessment{}, err
	case <-time.After(30 * time.Second):
		return engine.Assessment{}, errors.New("no final assessment within 30 s of the stop")
	}
}

// reasonText is each reason in the words the terminal shows.
var reasonText = map[engine.Reason]string{
	engine.ReasonVoiceMismatch:      "VOICE MISMATCH",
	engine.ReasonKnownFraudster:     "KNOWN FRAUDSTER",
	engine.ReasonSyntheticVoice:     "SYNTHETIC VOICE",
	engine.ReasonInsufficientSpeech: "not enough speech yet",
	engine.ReasonNoConsent:          "no consent",
	engine.ReasonNoVoiceprint:       "no voiceprint",
}

// describeAssessment is one terminal line for an assessment.
func describeAssessment(a engine.Assessment) string {
	var flags []string
	for _, r := range a.Reasons {
		t := reasonText[r]
		if t == "" {
			t = string(r)
		}
		if r == engine.ReasonKnownFraudster && len(a.Watchlist) > 0 {
			t += " (" + a.Watchlist[0].Label + ")"
		}
		flags = append(flags, t)
	}
	if len(flags) == 0 {
		if a.Verification.Decision == engine.Match {
			flags = append(flags, "no risk flag")
		} else {
			flags = append(flags, "voice not confirmed yet")
		}
	}
	tag := ""
	if a.Final {
		tag = " FINAL"
	}
	return fmt.Sprintf("#%-2d %5.1f s speech  risk %3d %-6s voice %-12s (LLR %+5.1f)  synthetic: %-12s  %s%s",
		a.Seq, a.SpeechSeconds, a.Risk, strings.ToUpper(string(a.Band)), a.Verification.Decision, a.Verification.LLR,
		a.Spoof.Decision, strings.Join(flags, ", "), tag)
}

// printDemoSummary prints each call's final verdict against the expected one and returns how
// many calls got an unexpected verdict.
func printDemoSummary(w io.Writer, calls []demoCall, finals []engine.Assessment) int {
	fmt.Fprintln(w, "\nSummary:")
	bad := 0
	for i, c := range calls {
		a := finals[i]
		want := "low risk, voice match"
		if c.Expect != "" {
			want = reasonText[c.Expect]
		}
		got := "no final assessment"
		if a.CallID != "" {
			got = fmt.Sprintf("risk %d %s", a.Risk, a.Band)
			for _, r := range a.Reasons {
				got += ", " + reasonText[r]
			}
		}
		mark := "as expected"
		if a.CallID == "" || !c.verdictOK(a) {
			mark = "UNEXPECTED (expected " + want + ")"
			bad++
		}
		fmt.Fprintf(w, "  call %d  %-48s %-48s %s\n", i+1, c.Title, got, mark)
	}
	return bad
}
