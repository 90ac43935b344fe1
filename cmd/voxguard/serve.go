package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/server"
	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "serve",
		summary: "serve the streaming endpoints (native, Twilio, AudioHook, L16 fork), agent events, the REST API and the agent console",
		run:     runServe,
	})
}

// memVoices is an in-memory engine.Voiceprints and engine.Watchlist (until the store is wired).
type memVoices struct {
	mu     sync.RWMutex
	probes map[string]*models.Probe
	watch  []engine.WatchlistEntry
}

func (m *memVoices) Voiceprint(id string) (*models.Probe, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if p, ok := m.probes[id]; ok {
		return p, nil
	}
	return nil, engine.ErrNoVoiceprint
}

func (m *memVoices) Entries() []engine.WatchlistEntry {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.watch
}

// probeOfFile enrolls a WAV file (first channel, resampled to the engine's rate).
func probeOfFile(e *engine.Engine, path string) (*models.Probe, error) {
	a, err := audio.ReadWAVFile(path)
	if err != nil {
		return nil, err
	}
	x, err := a.Channel(0)
	if err != nil {
		return nil, err
	}
	if a.Info.SampleRate != e.SampleRate() {
		if x, err = audio.Resample(x, a.Info.SampleRate, e.SampleRate()); err != nil {
			return nil, err
		}
	}
	return e.PrepareAudio(x)
}

// storeAuth and chainAuth are the server's store-backed and chained Authenticators.
type (
	storeAuth = server.StoreAuth
	chainAuth = server.ChainAuth
)

// serveContext is the context whose end shuts serve down: SIGINT or SIGTERM (tests replace it).
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// serveListening, when set (by tests), is told the address serve listens on.
var serveListening func(addr string)

// keyOrNew returns v, or a new random key announced once on stderr.
func keyOrNew(v, role string, stderr io.Writer) string {
	if v != "" {
		return v
	}
	b := make([]byte, 24)
	rand.Read(b)
	k := base64.RawURLEncoding.EncodeToString(b)
	fmt.Fprintf(stderr, "voxguard serve: generated %s key (shown once): %s\n", role, k)
	return k
}

// defaultReadBatch is serve's --read-batch: ten 20 ms frames of a call read together (at 100 ms,
// 1,000 calls did not fit on the 2-core benchmark machine; at 200 ms they did: bench/README.md).
const defaultReadBatch = 200 * time.Millisecond

// defaultShedDelay is serve's --shed-delay: a scheduling delay this long at the 99th percentile
// means the machine is saturated (bench/README.md "Server load": 10-50 ms while 600 calls hold,
// 200 ms-1.3 s once 900 fail). Offered 1.2 times the calls it can serve, arriving at random,
// the server kept its steady-state p99 at 79 ms with 100 ms and let it reach 305 ms with 200 ms.
const defaultShedDelay = 100 * time.Millisecond

// defaultFusionShedDelay is serve's --fusion-shed-delay: a tenth of defaultShedDelay, so that a
// server nearing saturation gives up the second speaker system's fusion well before it refuses
// calls or misses latency. 1,250 calls started together (c44): with 30 ms held in 1 of 3 runs (the
// cuts came too late), with 20 ms in 6 of 7 (p99 49-153 ms), with 10 ms in 3 of 3 (p99 33-47 ms),
// against 22 ms for the first system alone; 10 ms keeps the fusion in every call up to ~700 calls
// started together and in about half of them at 850-1,000 (bench/README.md, "Server load").
const defaultFusionShedDelay = 10 * time.Millisecond

// defaultSpecShedDelay is serve's --spec-shed-delay: twice defaultFusionShedDelay, so that the
// countermeasure's spectrum network, which scores a call once, is shed by its own share of the
// calls only while shedding the second speaker system has not brought the delay down. Calls
// arriving at random for 1,000 live on 2 cores (c47, forty-third session, alternated runs):
// calls whose network was shed before it scored them 80-88 % with the second system (3 runs),
// 59-60 % at 20 ms (2 runs; p99 latency and refusals no worse: 62-73 ms and 64-152 calls refused
// against 104-200 ms and 106-232), 30-33 % at 50 ms (2 runs, but the slowest assessment took
// 0.8-1.0 s against 0.3-0.4 s).
const defaultSpecShedDelay = 2 * defaultFusionShedDelay

// defaultSpecViewShedDelay is serve's --spec-view-shed-delay: defaultFusionShedDelay, so that the
// spectrum network's views (c48's short window, about twice the first network's work) go with
// the second speaker system, and the first network alone stays until defaultSpecShedDelay.
const defaultSpecViewShedDelay = defaultFusionShedDelay

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "--addr HOST:PORT [--model FILE] [--data DIR] [--enroll ID=WAV]... [--watch ID=WAV]...", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address`")
	model := fs.String("model", "", "model bundle `file` (default: the embedded bundle)")
	ingestKey := fs.String("ingest-key", "", "API `key` for the stream endpoints (default $VOXGUARD_INGEST_KEY, else generated)")
	agentKey := fs.String("agent-key", "", "API `key` for /v1/events (default $VOXGUARD_AGENT_KEY, else generated)")
	ahSecret := fs.String("audiohook-secret", "", "base64 client `secret` of the ingest key: AudioHook requests must then be signed")
	twilioToken := fs.String("twilio-auth-token", "", "Twilio auth `token`: /v1/twilio then requires X-Twilio-Signature")
	publicURL := fs.String("public-url", "", "scheme and host platforms call, e.g. wss://vg.example.com (for Twilio signatures behind a proxy)")
	var sf storeFlags
	fs.StringVar(&sf.data, "data", "", "data `directory` of the store whose API keys (ID.SECRET) are accepted too (optional)")
	fs.StringVar(&sf.keyFile, "key-file", "", "encryption key `file` of --data (default: $"+store.KeyEnv+", else DIR.key if it exists)")
	tlsCert := fs.String("tls-cert", "", "TLS certificate `file` (PEM); with --tls-key, serve HTTPS and WSS")
	tlsKey := fs.String("tls-key", "", "TLS private key `file` (PEM)")
	maxCalls := fs.Int("max-calls-per-key", 0, "most concurrent calls one API key may stream (0: no limit)")
	vpCache := fs.Int("voiceprint-cache", engine.DefaultVoiceprintCache, "prepared voiceprints kept in memory, least recently used dropped first (~248 KiB each with the default bundle's two systems, ~124 KiB with --second-system=false)")
	maxServerCalls := fs.Int("max-calls", 0, "most concurrent calls the server streams; one more is refused with 503 and Retry-After (0: no limit)")
	readBatch := fs.Duration("read-batch", defaultReadBatch, fmt.Sprintf("read each streamed call's socket once it holds this much audio, or as much as the next assessment needs if that is less, instead of message by message: fewer wake-ups and system calls per call without delaying any progressive assessment; a stop, claim or ping that fills no batch is read at the latest %v after this (Linux; 0: read every message as it comes)", server.BatchSlack))
	fusionShed := fs.Duration("fusion-shed-delay", defaultFusionShedDelay, "with --second-system: while runnable goroutines wait longer than this for a processor (99th percentile over 2 s), half of the live calls still fed the second speaker system (more the further over) stop feeding it, again every second, and new calls start without it in the same proportion (the first system alone scores them, at its own thresholds), before any call is shed; the share grows back while the delay is under half of this (0: never); with --spec-shed-delay 0 such calls also skip the countermeasure's spectrum network")
	viewShed := fs.Duration("spec-view-shed-delay", defaultSpecViewShedDelay, "with --spec-shed-delay: shed the spectrum network's views (its networks on further front ends) before the network, by their own share of calls on this delay (set it at or below --spec-shed-delay); such calls are judged with the first network alone, at its own thresholds (bundles since the forty-sixth session; 0: the views go only with the network)")
	specShed := fs.Duration("spec-shed-delay", defaultSpecShedDelay, "shed the countermeasure's spectrum network apart from the second speaker system, by its own share of calls kept as --fusion-shed-delay keeps the second system's but on this delay (set it between --fusion-shed-delay and --shed-delay); calls without it are judged by the other countermeasure systems at their own thresholds (0: with the second system)")
	shedDelay := fs.Duration("shed-delay", defaultShedDelay, "shed load: when runnable goroutines wait longer than this for a processor (99th percentile over 2 s), cap the live calls just below those then live and refuse new ones with 503 and Retry-After (and fail /readyz) until there is room, so that live calls keep their latency (0: never)")
	second := fs.Bool("second-system", true, "score live calls with the bundle's second speaker system too, fused, up to its limit of net speech (10 s with the default bundle): lower error rates on short, degraded and unseen-channel speech for ~1.4-1.6 times the CPU of a call's first 10 s of speech (bench/README.md, \"A second front end, fused\"), shed call by call under load (--fusion-shed-delay); false: live calls are scored by the first system alone, as a one-system bundle costs. Uploads to the REST API's one-shot verify and identify are scored fused either way (with --data), and enrollments from audio keep both systems' statistics")
	tailStride := fs.Int("tail-stride", 1, "accumulate every `N`th frame of a progressive assessment's provisional tail (the last ~1.5 s of speech, whose normalisation window is not yet complete), weighted to count as the whole tail: less CPU per assessment for slightly noisier progressive LLRs; final assessments are unchanged (bench/README.md, \"Thinning the provisional tail\")")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the whole run to `file` (for diagnosing load; go tool pprof)")
	var origins stringsFlag
	fs.Var(&origins, "events-origin", "browser `origin` allowed on /v1/events besides the server's own (repeatable)")
	var enroll, watch stringsFlag
	fs.Var(&enroll, "enroll", "`ID=WAV`: an in-memory voiceprint (repeatable)")
	fs.Var(&watch, "watch", "`ID=WAV`: an in-memory watchlist entry (repeatable)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	for _, p := range []struct {
		v   *string
		env string
	}{{ingestKey, "VOXGUARD_INGEST_KEY"}, {agentKey, "VOXGUARD_AGENT_KEY"}, {ahSecret, "VOXGUARD_AUDIOHOOK_SECRET"}, {twilioToken, "VOXGUARD_TWILIO_AUTH_TOKEN"}} {
		if *p.v == "" {
			*p.v = os.Getenv(p.env) // not flag defaults: -h must not print secrets
		}
	}
	if *vpCache < 0 {
		return usageErrorf("--voiceprint-cache must be 0 (the default size) or more")
	}
	if *tailStride < 1 {
		return usageErrorf("--tail-stride %d: want 1 or more", *tailStride)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"shed-delay", *shedDelay}, {"fusion-shed-delay", *fusionShed}, {"spec-shed-delay", *specShed}, {"spec-view-shed-delay", *viewShed}} {
		if d.v < 0 {
			return usageErrorf("--%s %v: want 0 (never) or more", d.name, d.v)
		}
	}
	if *viewShed > 0 && *specShed > 0 && *viewShed > *specShed {
		return usageErrorf("--spec-view-shed-delay %v is above --spec-shed-delay %v: the views would be shed after the network they belong to", *viewShed, *specShed)
	}
	b, err := models.LoadBundle(*model)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageErrorf("--tls-cert and --tls-key go together")
	}
	tlsConfig, err := serveTLSConfig(*tlsCert, *tlsKey)
	if err != nil {
		return err
	}
	voices := &memVoices{probes: map[string]*models.Probe{}}
	var st *store.Store
	var sv *engine.StoreVoices
	opts := engine.Options{Voiceprints: voices, Watchlist: voices}
	if sf.data != "" {
		if len(enroll)+len(watch) > 0 {
			return usageErrorf("--enroll and --watch are for serving without --data; enroll through the REST API instead")
		}
		so, err := sf.serveOptions(stderr)
		if err != nil {
			return err
		}
		if st, err = store.Open(so); err != nil {
			return err
		}
		defer st.Close()
		if sv, err = engine.NewStoreVoices(st, b, *second); err != nil {
			return err
		}
		if err := sv.SetCacheSize(*vpCache); err != nil {
			return err
		}
		opts = engine.Options{Voiceprints: sv, Watchlist: sv}
	}
	opts.Config.TailStride, opts.Config.SecondSystem = *tailStride, *second
	eng, err := engine.New(b, opts)
	if err != nil {
		return err
	}
	for _, list := range []struct {
		flags stringsFlag
		add   func(id string, p *models.Probe)
	}{
		{enroll, func(id string, p *models.Probe) { voices.probes[id] = p }},
		{watch, func(id string, p *models.Probe) {
			voices.watch = append(voices.watch, engine.WatchlistEntry{ID: id, Label: id, Probe: p})
		}},
	} {
		for _, kv := range list.flags {
			id, path, ok := strings.Cut(kv, "=")
			if !ok || id == "" {
				return usageErrorf("want ID=WAV, got %q", kv)
			}
			p, err := probeOfFile(eng, path)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			list.add(id, p)
		}
	}
	auth := server.NewMemoryAuth()
	ik := server.Key{ID: "ingest", Role: server.RoleIngest}
	if *ahSecret != "" {
		if ik.Secret, err = base64.StdEncoding.DecodeString(*ahSecret); err != nil {
			return usageErrorf("--audiohook-secret is not base64: %v", err)
		}
	}
	// Without a store, keys come from flags, the environment or are generated; with one, from
	// the store (voxguard keys create), plus any given by flag or environment.
	if st == nil || *ingestKey != "" {
		auth.Add(keyOrNew(*ingestKey, "ingest", stderr), ik)
	}
	if st == nil || *agentKey != "" {
		auth.Add(keyOrNew(*agentKey, "agent", stderr), server.Key{ID: "agent", Role: server.RoleAgent})
	}
	var authn server.Authenticator = auth
	if st != nil {
		authn = chainAuth{auth, storeAuth{S: st}}
	}
	log := server.NewLogger(stderr)
	srv := server.New(eng, authn, server.Config{TwilioAuthToken: *twilioToken, PublicURL: *publicURL, Logger: log,
		MaxCallsPerKey: *maxCalls, MaxCalls: *maxServerCalls, ShedDelay: *shedDelay, FusionShedDelay: *fusionShed, SpecShedDelay: *specShed, SpecViewShedDelay: *viewShed, EventOrigins: origins})
	if sv != nil {
		srv.SetStore(sv)
		rec, err := eng.WithSecondSystem(sv.Fused()) // uploads fused even with live fusion off
		if err != nil {
			return err
		}
		srv.SetRecordingEngine(rec)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ln = server.BatchListener(ln, *readBatch)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	ctx, stop := serveContext()
	defer stop()
	if serveListening != nil {
		serveListening(ln.Addr().String())
	}
	shutDown := make(chan struct{})
	go func() {
		defer close(shutDown)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)  // stop accepting; plain HTTP requests finish
		srv.Shutdown(sctx) // live calls end with their final assessments (and call records)
	}()
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	if sv != nil {
		if n := sv.OtherSpaceWatchlist(); n > 0 {
			log.Warn("watchlist entries made with a model on another UBM are not used: serve with --model set to the bundle they were made with, or enroll them again",
				"entries", n, "statistics_space", sv.Version())
		}
	}
	log.Info("serving", "addr", ln.Addr().String(), "tls", tlsConfig != nil, "store", sf.data != "",
		"voiceprints", len(enroll), "watchlist", len(watch), "console", scheme+"://"+ln.Addr().String()+"/console/")
	serve := func() error { return hs.Serve(ln) }
	if tlsConfig != nil {
		serve = func() error { return hs.ServeTLS(ln, "", "") } // the certificate is in hs.TLSConfig
	}
	if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-shutDown // the store closes (deferred) only once every call has been recorded
	return nil
}

// serveTLSConfig loads the certificate and private key of --tls-cert and --tls-key (nil, nil
// when neither is given) before anything listens, so that a missing, unreadable or mismatched
// file is a clear error at start rather than one after the address was announced. Clients must
// speak TLS 1.2 or later.
func serveTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}
