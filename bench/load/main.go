// Command load is the server load benchmark: it starts `voxguard serve --data` on loopback,
// enrolls a few customers and fills a watchlist through the REST API, then runs rising numbers
// of simultaneous simulated calls, each streaming real speech from ../shared/corpora as 20 ms
// mu-law frames in real time to /v1/stream, and reports, per level, the p50/p99/max assessment
// latency, the server's CPU and memory per call, and whether the level held (p99 under the
// bound, no failed call). It stops at the first level that fails, or at the time limit. The
// levels run the server without load shedding (--shed-delay 0), to measure what it sustains.
//
//	go run ./bench/load [--levels 50,100,200,400,700,1000] [--seconds 20] [--p99 250ms]
//
// With --offered N (and --duration), calls instead arrive at random at the rate that would keep
// N live, against the server's default load shedding, and the report says how many it took,
// how many it refused with 503, and the latency of those it took, overall and in the steady
// state (calls that began once the first ones had ended).
//
//	go run ./bench/load --offered 1100 --duration 120s
//
// Latency is end to end: from sending the 20 ms frame that completed the audio an assessment
// covers to receiving it. The sample position at which each progressive assessment falls due
// does not depend on chunking, so it is computed beforehand by running the same recording
// through an engine session locally.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

const (
	rate       = 8000
	frameN     = 160  // samples per 20 ms frame
	checkChunk = 1600 // the engine's default CheckEvery (200 ms) in samples
)

// recording is one simulated caller's audio with its expected assessment positions.
type recording struct {
	mulaw []byte  // the whole call, mu-law
	due   []int64 // sample position at which progressive assessment i+1 falls due
}

type result struct {
	began     time.Time       // when the call dialled
	refused   bool            // the server answered the upgrade with 503 (load shedding or --max-calls)
	lat       []time.Duration // progressive assessments
	final     time.Duration   // stop -> final assessment
	err       error
	sendLag   time.Duration // worst lateness of the client's own frame schedule
	missing   int           // progressive assessments expected but not received
	unmatched int
}

func main() {
	levelsF := flag.String("levels", "50,100,200,400,700,1000", "comma-separated numbers of simultaneous calls, tried in order")
	seconds := flag.Float64("seconds", 20, "audio seconds per call")
	ramp := flag.Duration("ramp", 5*time.Second, "calls of a level start evenly spread over this time")
	p99Max := flag.Duration("p99", 250*time.Millisecond, "a level holds when the p99 assessment latency stays under this")
	maxTime := flag.Duration("max-time", 12*time.Minute, "stop after this much time in all")
	bin := flag.String("voxguard", "", "voxguard binary (default: go build ./cmd/voxguard into a temporary directory)")
	corpora := flag.String("corpora", "../shared/corpora", "corpora directory")
	watchN := flag.Int("watchlist", 20, "watchlist entries")
	subjectsN := flag.Int("subjects", 10, "enrolled customers the calls claim")
	cpuProfile := flag.String("server-cpuprofile", "", "have the server write a Go CPU profile of the whole run to `file`")
	clientProcs := flag.Int("client-procs", 0, "GOMAXPROCS of the load client (0: Go's default, every CPU); the server always gets every CPU")
	serverFlags := flag.String("server-flags", "", "extra flags for `voxguard serve`, space-separated (e.g. \"--read-coalesce 0\")")
	clientProfile := flag.String("client-cpuprofile", "", "write a Go CPU profile of the load client itself to `file`")
	offered := flag.Int("offered", 0, "instead of levels: calls arrive at random (Poisson) at the rate that would keep `N` calls live if all were taken, for --duration; refused calls (503: load shedding, --max-calls) are counted apart")
	duration := flag.Duration("duration", 90*time.Second, "with --offered, how long calls keep arriving")
	flag.Parse()
	// Deferred first, so it runs last: the profile is written before a failing exit.
	exit := 0
	defer func() {
		if exit != 0 {
			os.Exit(exit)
		}
	}()
	if *clientProfile != "" {
		f, err := os.Create(*clientProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if *clientProcs > 0 {
		runtime.GOMAXPROCS(*clientProcs)
	}
	deadline := time.Now().Add(*maxTime)
	if *offered > 0 {
		*levelsF = "1" // unused
	}
	if err := run(*levelsF, *offered, *duration, *seconds, *ramp, *p99Max, deadline, *bin, *corpora, *watchN, *subjectsN, *cpuProfile, *serverFlags); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		exit = 1
	}
}

// run starts the server and its fixtures, then runs the levels — or, with offered > 0, random
// arrivals for arrivalsFor (arrivals).
func run(levelsF string, offered int, arrivalsFor time.Duration, seconds float64, ramp, p99Max time.Duration, deadline time.Time, bin, corpora string, watchN, subjectsN int, cpuProfile, serverFlags string) error {
	var levels []int
	for _, f := range strings.Split(levelsF, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 5000 {
			return fmt.Errorf("bad level %q (1-5000)", f)
		}
		levels = append(levels, n)
	}
	tmp, err := os.MkdirTemp("", "voxguard-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "voxguard")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/voxguard")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building voxguard (run from the repository root): %w", err)
		}
	}
	// Speakers: Mini LibriSpeech directories, sorted; files of each.
	lib := filepath.Join(corpora, "mini-librispeech")
	ents, err := os.ReadDir(lib)
	if err != nil {
		return fmt.Errorf("corpora: %w", err)
	}
	var spk [][]string
	for _, e := range ents {
		if fs, _ := filepath.Glob(filepath.Join(lib, e.Name(), "*.wav")); e.IsDir() && len(fs) >= 8 {
			sort.Strings(fs)
			spk = append(spk, fs)
		}
	}
	if len(spk) < subjectsN+2 {
		return fmt.Errorf("need %d speakers in %s, found %d", subjectsN+2, lib, len(spk))
	}
	read := func(path string) ([]float32, error) { return recipe.ReadMono(path, rate) }

	// Server.
	data := filepath.Join(tmp, "data")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	env = append(env, "VOXGUARD_ENCRYPTION_KEY="+strings.Repeat("5a", 32))
	key := func(role string) (string, error) {
		cmd := exec.Command(bin, "keys", "create", "--data", data, "--role", role)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("keys create: %w", err)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if k, ok := strings.CutPrefix(l, "key:"); ok {
				return strings.TrimSpace(k), nil
			}
		}
		return "", errors.New("keys create printed no key")
	}
	adminKey, err := key("admin")
	if err != nil {
		return err
	}
	ingestKey, err := key("ingest")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	srvArgs := []string{"serve", "--data", data, "--addr", addr}
	if cpuProfile != "" {
		srvArgs = append(srvArgs, "--cpuprofile", cpuProfile)
	}
	if offered == 0 {
		// Levels measure what the engine sustains: no load shedding unless --server-flags asks.
		srvArgs = append(srvArgs, "--shed-delay", "0")
	}
	srvArgs = append(srvArgs, strings.Fields(serverFlags)...)
	srv := exec.Command(bin, srvArgs...)
	srv.Env = env
	logf, _ := os.Create(filepath.Join(tmp, "serve.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
		}
	}()
	base := "http://" + addr
	for i := 0; ; i++ {
		if res, err := http.Get(base + "/readyz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if i > 100 {
			return errors.New("server not ready after 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Fixtures: customers enrolled from 3 files each, a watchlist from other speakers.
	api := &client{base: base, key: adminKey}
	var subjects []string
	for i := range subjectsN {
		var sub struct{ ID string }
		if err := api.json("POST", "/v1/subjects", map[string]any{}, &sub); err != nil {
			return err
		}
		if err := api.json("POST", "/v1/subjects/"+sub.ID+"/consents", map[string]any{"method": "bench", "evidence_ref": "bench", "policy_version": "1"}, nil); err != nil {
			return err
		}
		var files [][]float32
		for _, f := range spk[i][:3] {
			x, err := read(f)
			if err != nil {
				return err
			}
			files = append(files, x)
		}
		if err := api.upload("/v1/subjects/"+sub.ID+"/enrollments", nil, files); err != nil {
			return fmt.Errorf("enrolling %s: %w", spk[i][0], err)
		}
		subjects = append(subjects, sub.ID)
	}
	for i := range watchN {
		s := spk[subjectsN+i%(len(spk)-subjectsN)]
		x, err := read(s[3+i/(len(spk)-subjectsN)%(len(s)-3)])
		if err != nil {
			return err
		}
		if err := api.upload("/v1/watchlist", map[string]string{"label": fmt.Sprintf("bench %d", i), "legal_basis": "bench", "case_ref": "bench"}, [][]float32{x}); err != nil {
			return fmt.Errorf("watchlist: %w", err)
		}
	}

	// Recordings: each caller talks for `seconds`, files of one speaker concatenated; the due
	// positions come from a local session with the same bundle and default policy.
	b, err := models.DefaultBundle()
	if err != nil {
		return err
	}
	eng, err := engine.New(b, engine.Options{})
	if err != nil {
		return err
	}
	var recs []recording
	for i := range min(len(spk), 24) {
		var x []float32
		for _, f := range slices.Concat(spk[i][3:], spk[i][:3]) {
			y, err := read(f)
			if err != nil {
				return err
			}
			x = append(x, y...)
			if float64(len(x)) >= seconds*rate {
				break
			}
		}
		x = x[:min(len(x), int(seconds*rate))/frameN*frameN]
		r := recording{mulaw: make([]byte, len(x))}
		for j, v := range x {
			r.mulaw[j] = audio.MulawEncode(int16(max(-32768, min(32767, v*32768))))
		}
		// The server decodes mu-law: compute the due points on the decoded audio.
		dec, _ := audio.NewStreamDecoder(audio.StreamMulaw, 1, 0)
		y := dec.Decode(nil, r.mulaw)
		sess := eng.NewSession("x")
		for p := 0; p < len(y); p += checkChunk {
			out, _ := sess.Push(y[p:min(p+checkChunk, len(y))])
			for range out {
				r.due = append(r.due, int64(min(p+checkChunk, len(y))))
			}
		}
		recs = append(recs, r)
	}

	if offered > 0 {
		return arrivals(addr, base, ingestKey, srv.Process.Pid, subjects, recs, offered, arrivalsFor, seconds, p99Max)
	}
	fmt.Printf("server %s (pid %d), %d customers, %d watchlist entries, %.0f s calls, ramp %s, GOMAXPROCS client %d, %d CPUs\n",
		addr, srv.Process.Pid, len(subjects), watchN, seconds, ramp, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Println("| calls | assessments | p50 ms | p99 ms | max ms | final p99 ms | failed | server CPU % | CPU ms per call-s | RSS MB | RSS KB per call | client CPU % | client lag ms | load avg | idle % | steady idle % | host ms | host GB/s | holds |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	best := 0
	for _, n := range levels {
		if time.Now().Add(time.Duration(seconds*float64(time.Second)) + ramp + 30*time.Second).After(deadline) {
			fmt.Println("(time limit reached)")
			break
		}
		runtime.GC()
		host, hostBW := hostSpeed(), hostBandwidth()
		runtime.GC()
		h0 := scrapeHist(base)
		shedStart0, shedDuring0 := fusionShed(base)
		specStart0, specDuring0 := specShed(base)
		viewStart0, viewDuring0 := viewShed(base)
		rss0 := rssKB(srv.Process.Pid)
		cpu0 := cpuTicks(srv.Process.Pid)
		self0 := cpuTicks(os.Getpid())
		idle0, total0 := machineTicks()
		t0 := time.Now()
		var peak atomic.Int64
		var schedMu sync.Mutex
		var sched []float64 // the server's voxguard_sched_delay_p99_seconds, every 0.5 s
		stopSample := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				select {
				case <-stopSample:
					return
				case <-time.After(500 * time.Millisecond):
					if v := rssKB(srv.Process.Pid); v > peak.Load() {
						peak.Store(v)
					}
					if v, ok := scrapeGauge(base, "voxguard_sched_delay_p99_seconds"); ok {
						schedMu.Lock()
						sched = append(sched, v)
						schedMu.Unlock()
					}
				}
			}
		}()
		// The steady state: from a second after the last call started to when the first can end,
		// every call is live; the whole level's idle share also counts the ramps at either end.
		steady := make(chan float64, 1) // the window's idle share, %
		go func() {
			time.Sleep(ramp + time.Second)
			idle0, total0 := machineTicks()
			time.Sleep(time.Duration(seconds*float64(time.Second)) - ramp - time.Second)
			idle1, total1 := machineTicks()
			steady <- 100 * float64(idle1-idle0) / float64(max(1, total1-total0))
		}()
		results := make([]result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(ramp * time.Duration(i) / time.Duration(n))
				results[i] = call(addr, ingestKey, fmt.Sprintf("load-%d-%d", n, i), subjects[i%len(subjects)], recs[i%len(recs)])
			}()
		}
		wg.Wait()
		close(stopSample)
		<-sampled
		wall := time.Since(t0)
		cpu := float64(cpuTicks(srv.Process.Pid)-cpu0) / 100 // seconds (USER_HZ = 100)
		clientCPU := float64(cpuTicks(os.Getpid())-self0) / 100
		idle1, total1 := machineTicks()
		idle := 100 * float64(idle1-idle0) / float64(max(1, total1-total0))
		steadyIdle := math.NaN()
		select {
		case steadyIdle = <-steady:
		case <-time.After(time.Second): // calls ended early (failures): no steady window
		}
		var lat, fin []time.Duration
		failed, missing := 0, 0
		var lag time.Duration
		var firstErr error
		for _, r := range results {
			if r.err != nil {
				failed++
				if firstErr == nil {
					firstErr = r.err
				}
				continue
			}
			lat = append(lat, r.lat...)
			fin = append(fin, r.final)
			missing += r.missing
			lag = max(lag, r.sendLag)
		}
		p := func(xs []time.Duration, q float64) float64 {
			if len(xs) == 0 {
				return 0
			}
			slices.Sort(xs)
			return float64(xs[min(len(xs)-1, int(q*float64(len(xs))))]) / 1e6
		}
		p99 := p(lat, 0.99)
		holds := failed == 0 && missing == 0 && p99 < float64(p99Max)/1e6 && len(lat) > 0
		callSeconds := float64(n) * seconds
		fmt.Printf("| %d | %d | %.1f | %.1f | %.1f | %.1f | %d | %.0f | %.2f | %.0f | %.0f | %.0f | %.0f | %s | %.0f | %.0f | %.1f | %.1f | %v |\n",
			n, len(lat), p(lat, 0.5), p99, p(lat, 1), p(fin, 0.99), failed, 100*cpu/wall.Seconds(), 1000*cpu/callSeconds,
			float64(peak.Load())/1024, float64(peak.Load()-rss0)/float64(n), 100*clientCPU/wall.Seconds(), float64(lag)/1e6, loadAvg(),
			idle, steadyIdle, float64(host)/1e6, hostBW, holds)
		fmt.Printf("  server-side (audio received -> assessment ready, from /metrics): p99 <= %s\n", histP99(h0, scrapeHist(base)))
		if a, d := fusionShed(base); a+d > shedStart0+shedDuring0 {
			a, d = a-shedStart0, d-shedDuring0
			fmt.Printf("  calls that shed the second speaker system (and, without --spec-shed-delay, the spectrum network; serve --fusion-shed-delay): %.0f at their start, %.0f during the call, of %d\n", a, d, n)
		}
		if a, d := specShed(base); a+d > specStart0+specDuring0 {
			a, d = a-specStart0, d-specDuring0
			fmt.Printf("  calls whose spectrum network was shed before it scored them: %.0f at their start, %.0f during the call, of %d\n", a, d, n)
		}
		if a, d := viewShed(base); a+d > viewStart0+viewDuring0 {
			a, d = a-viewStart0, d-viewDuring0
			fmt.Printf("  calls whose spectrum network's views were shed (its first network alone to score them; serve --spec-view-shed-delay): %.0f at their start, %.0f during the call, of %d\n", a, d, n)
		}
		if len(sched) > 0 {
			slices.Sort(sched)
			fmt.Printf("  server's scheduling delay (p99 over 2 s windows, sampled every 0.5 s): median %.0f ms, 90th percentile %.0f ms, max %.0f ms\n",
				1000*sched[len(sched)/2], 1000*sched[len(sched)*9/10], 1000*sched[len(sched)-1])
		}
		if firstErr != nil {
			fmt.Printf("  first failure: %v\n", firstErr)
		}
		if missing > 0 {
			fmt.Printf("  %d progressive assessments missing\n", missing)
		}
		if !holds {
			break
		}
		best = n
		time.Sleep(2 * time.Second) // let the server settle
	}
	fmt.Printf("most concurrent calls sustained with p99 < %s: %d\n", p99Max, best)
	return nil
}

// arrivals runs the --offered mode: calls arrive as a Poisson process at offered/seconds per
// second (so that offered calls would be live on average were every one taken) for d, each
// streaming seconds of speech; then it waits for the last to end. It reports how many were
// taken and refused, the latency of the taken calls' assessments, the most calls live at once,
// and the server's CPU.
func arrivals(addr, base, key string, pid int, subjects []string, recs []recording, offered int, d time.Duration, seconds float64, p99Max time.Duration) error {
	rate := float64(offered) / seconds
	fmt.Printf("server %s (pid %d): calls of %.0f s arriving at random, %.1f per second (%d live on average if all were taken), for %s\n",
		addr, pid, seconds, rate, offered, d)
	rnd := uint64(1)
	uniform := func() float64 { // splitmix64: deterministic arrival times
		rnd += 0x9e3779b97f4a7c15
		z := rnd
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		return (float64(z>>11) + 0.5) / (1 << 53)
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
		maxLive float64
	)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the server's own count of live calls, every 0.5 s
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
				if v, ok := scrapeGauge(base, "voxguard_live_calls"); ok {
					maxLive = max(maxLive, v)
				}
			}
		}
	}()
	cpu0 := cpuTicks(pid)
	t0 := time.Now()
	next := t0
	for i := 0; ; i++ {
		next = next.Add(time.Duration(-math.Log(uniform()) / rate * float64(time.Second)))
		if next.Sub(t0) > d {
			break
		}
		time.Sleep(time.Until(next))
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := call(addr, key, fmt.Sprintf("arrival-%d", i), subjects[i%len(subjects)], recs[i%len(recs)])
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	wall := time.Since(t0)
	cpu := float64(cpuTicks(pid)-cpu0) / 100
	// Steady state: calls that began once the first calls had ended (2 call lengths in).
	warm := t0.Add(time.Duration(2 * seconds * float64(time.Second)))
	var lat, steady []time.Duration
	taken, refused, failed, steadyRefused, steadyArrived := 0, 0, 0, 0, 0
	var firstErr error
	for _, r := range results {
		late := r.began.After(warm)
		if late {
			steadyArrived++
		}
		switch {
		case r.refused:
			refused++
			if late {
				steadyRefused++
			}
		case r.err != nil:
			failed++
			if firstErr == nil {
				firstErr = r.err
			}
		default:
			taken++
			lat = append(lat, r.lat...)
			if late {
				steady = append(steady, r.lat...)
			}
		}
	}
	q := func(xs []time.Duration, p float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		slices.Sort(xs)
		return float64(xs[min(len(xs)-1, int(p*float64(len(xs))))]) / 1e6
	}
	fmt.Println("| arrived | taken | refused (503) | failed | most live at once | assessments | p50 ms | p99 ms | max ms | steady state: refused, p99 ms | server CPU % | p99 < bound |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
	fmt.Printf("| %d | %d | %d | %d | %.0f | %d | %.1f | %.1f | %.1f | %d of %d, %.1f | %.0f | %v |\n", len(results), taken, refused, failed, maxLive,
		len(lat), q(lat, 0.5), q(lat, 0.99), q(lat, 1), steadyRefused, steadyArrived, q(steady, 0.99), 100*cpu/wall.Seconds(), q(lat, 0.99) < float64(p99Max)/1e6)
	if a, d := fusionShed(base); a+d > 0 {
		fmt.Printf("  calls that shed the second speaker system (and, without --spec-shed-delay, the spectrum network; serve --fusion-shed-delay): %.0f at their start, %.0f during the call, of %d taken\n", a, d, taken)
	}
	if a, d := specShed(base); a+d > 0 {
		fmt.Printf("  calls whose spectrum network was shed before it scored them: %.0f at their start, %.0f during the call, of %d taken\n", a, d, taken)
	}
	if a, d := viewShed(base); a+d > 0 {
		fmt.Printf("  calls whose spectrum network's views were shed (its first network alone to score them; serve --spec-view-shed-delay): %.0f at their start, %.0f during the call, of %d taken\n", a, d, taken)
	}
	if firstErr != nil {
		fmt.Printf("  first failure: %v\n", firstErr)
	}
	return nil
}

// hostBandwidth is the best of five copies of 256 MiB, in GB copied per second: the "host GB/s"
// column. hostSpeed's SHA-256 runs from the core's cache and stayed level through runs whose p99
// varied tenfold; the engine's i-vector product waits on memory, so this tells whether the
// memory the VM shares with its neighbours is slow at the time.
func hostBandwidth() float64 {
	src, dst := make([]byte, 256<<20), make([]byte, 256<<20)
	for i := range src {
		src[i] = byte(i)
	}
	copy(dst, src)
	best := time.Duration(math.MaxInt64)
	for range 5 {
		t := time.Now()
		copy(dst, src)
		best = min(best, time.Since(t))
	}
	return float64(len(src)) / best.Seconds() / 1e9
}

// hostSpeed is the best of five timings of a fixed workload independent of voxguard's code (SHA-256
// of 8 MiB on one goroutine): the "host ms" column, for telling a slower machine from slower code
// when comparing runs. This VM's speed drifts by tens of percent within minutes.
func hostSpeed() time.Duration {
	buf := make([]byte, 8<<20)
	best := time.Duration(math.MaxInt64)
	for range 5 {
		t := time.Now()
		sha256.Sum256(buf)
		best = min(best, time.Since(t))
	}
	return best
}

// call streams one recording in real time and times its assessments.
func call(addr, key, id, subject string, rec recording) (res result) {
	res.began = time.Now()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, hres, err := d.Dial("ws://"+addr+"/v1/stream", http.Header{"Authorization": {"Bearer " + key}})
	if err != nil {
		res.refused = hres != nil && hres.StatusCode == http.StatusServiceUnavailable
		res.err = err
		return
	}
	defer c.Close()
	if err := c.WriteJSON(map[string]any{"type": "start", "call_id": id, "subject_id": subject, "encoding": "mulaw", "sample_rate": rate, "channels": 1}); err != nil {
		res.err = err
		return
	}
	nFrames := len(rec.mulaw) / frameN
	sent := make([]int64, nFrames) // unix nanos each frame was sent
	var stopSent atomic.Int64
	type got struct {
		seq   int
		final bool
		at    time.Time
	}
	recv := make(chan got, 64)
	readErr := make(chan error, 1)
	go func() {
		defer close(recv)
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			at := time.Now()
			var m struct {
				Type  string `json:"type"`
				Seq   int    `json:"seq"`
				Final bool   `json:"final"`
			}
			if json.Unmarshal(b, &m) == nil && m.Type == "assessment" {
				recv <- got{m.Seq, m.Final, at}
				if m.Final {
					return
				}
			}
		}
	}()
	start := time.Now()
	var mu sync.Mutex
	var progressive []got
	var final *got
	done := make(chan struct{})
	go func() {
		defer close(done)
		for g := range recv {
			mu.Lock()
			if g.final {
				final = &g
			} else {
				progressive = append(progressive, g)
			}
			mu.Unlock()
		}
	}()
	for i := range nFrames {
		target := start.Add(time.Duration(i) * 20 * time.Millisecond)
		if w := time.Until(target); w > 0 {
			time.Sleep(w)
		} else if -w > res.sendLag {
			res.sendLag = -w
		}
		now := time.Now()
		atomic.StoreInt64(&sent[i], now.UnixNano())
		c.SetWriteDeadline(now.Add(10 * time.Second))
		if err := c.WriteMessage(websocket.BinaryMessage, rec.mulaw[i*frameN:(i+1)*frameN]); err != nil {
			res.err = fmt.Errorf("frame %d: %w", i, err)
			return
		}
	}
	stopSent.Store(time.Now().UnixNano())
	if err := c.WriteJSON(map[string]any{"type": "stop"}); err != nil {
		res.err = err
		return
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		res.err = errors.New("no final assessment within 30 s")
		return
	}
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	mu.Lock()
	defer mu.Unlock()
	if final == nil {
		select {
		case err := <-readErr:
			res.err = fmt.Errorf("connection ended before the final assessment: %w", err)
		default:
			res.err = errors.New("no final assessment")
		}
		return
	}
	res.final = final.at.Sub(time.Unix(0, stopSent.Load()))
	for _, g := range progressive {
		k := g.seq - 1
		if k < 0 || k >= len(rec.due) {
			res.unmatched++
			continue
		}
		f := int(rec.due[k]/frameN) - 1 // the frame completing the due position
		if f < 0 || f >= nFrames {
			res.unmatched++
			continue
		}
		res.lat = append(res.lat, g.at.Sub(time.Unix(0, atomic.LoadInt64(&sent[f]))))
	}
	res.missing = max(0, len(rec.due)-len(progressive))
	return res
}

// client is a small REST client.
type client struct{ base, key string }

func (c *client) do(method, path, ctype string, body []byte, out any) error {
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", ctype)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (c *client) json(method, path string, in, out any) error {
	b, _ := json.Marshal(in)
	return c.do(method, path, "application/json", b, out)
}

func (c *client) upload(path string, fields map[string]string, files [][]float32) error {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for i, x := range files {
		p, _ := w.CreateFormFile("audio", fmt.Sprintf("%d.wav", i))
		p.Write(wav16(x))
	}
	w.Close()
	return c.do("POST", path, w.FormDataContentType(), b.Bytes(), nil)
}

// wav16 encodes 8 kHz samples as a 16-bit PCM WAV file.
func wav16(x []float32) []byte {
	var b bytes.Buffer
	le32 := func(v uint32) { b.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}) }
	le16 := func(v uint16) { b.Write([]byte{byte(v), byte(v >> 8)}) }
	b.WriteString("RIFF")
	le32(uint32(36 + 2*len(x)))
	b.WriteString("WAVEfmt ")
	le32(16)
	le16(1)
	le16(1)
	le32(rate)
	le32(2 * rate)
	le16(2)
	le16(16)
	b.WriteString("data")
	le32(uint32(2 * len(x)))
	for _, v := range x {
		le16(uint16(int16(max(-32768, min(32767, v*32768)))))
	}
	return b.Bytes()
}

// cpuTicks returns a process's user+system CPU time in clock ticks (/proc/PID/stat).
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// rssKB returns a process's resident set size in KiB (/proc/PID/status VmRSS).
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// machineTicks returns the whole machine's idle (idle + iowait) and total CPU time in clock
// ticks, summed over its CPUs (/proc/stat): the "idle %" column, which tells a level that left
// the machine no idle time (server and client together saturate it) from one the server alone
// could not keep up with.
func machineTicks() (idle, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal (guest time is inside user)
			total += n
		}
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return idle, total
}

// loadAvg returns the one-minute load average (/proc/loadavg): the machine may be shared.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// scrapeGauge reads the value of one series from the server's /metrics: an unlabelled gauge by
// its name, a labelled series as name{labels} written as /metrics writes it.
func scrapeGauge(base, name string) (float64, bool) {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// fusionShed reads voxguard_fusion_shed_total: the calls that started without the second
// speaker system and those that dropped it during the call, so far.
func fusionShed(base string) (start, during float64) {
	start, _ = scrapeGauge(base, `voxguard_fusion_shed_total{when="start"}`)
	during, _ = scrapeGauge(base, `voxguard_fusion_shed_total{when="during"}`)
	return start, during
}

// specShed reads voxguard_spec_shed_total: the calls that started without the spectrum network
// and those that dropped it before it scored them, so far.
func specShed(base string) (start, during float64) {
	start, _ = scrapeGauge(base, `voxguard_spec_shed_total{when="start"}`)
	during, _ = scrapeGauge(base, `voxguard_spec_shed_total{when="during"}`)
	return start, during
}

// scrapeHist reads the cumulative buckets of voxguard_assessment_latency_seconds.
func scrapeHist(base string) map[string]float64 {
	out := map[string]float64{}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, l := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(l, `voxguard_assessment_latency_seconds_bucket{le="`)
		if !ok {
			continue
		}
		le, v, _ := strings.Cut(rest, `"} `)
		out[le], _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
	}
	return out
}

// histP99 returns the upper bound of the bucket holding the 99th percentile of the
// observations between two scrapes.
func histP99(a, b map[string]float64) string {
	type bk struct {
		le string
		ub float64
		n  float64
	}
	var bs []bk
	for le, v := range b {
		ub, err := strconv.ParseFloat(le, 64)
		if le == "+Inf" {
			ub, err = math.Inf(1), nil
		}
		if err == nil {
			bs = append(bs, bk{le, ub, v - a[le]})
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].ub < bs[j].ub })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return "?"
	}
	total := bs[len(bs)-1].n
	for _, x := range bs {
		if x.n >= 0.99*total {
			return x.le + " s"
		}
	}
	return "?"
}

// viewShed reads voxguard_spec_view_shed_total: the calls whose spectrum network's views were
// shed at their start or during them, so far (a call may then lose the network too: specShed).
func viewShed(base string) (start, during float64) {
	start, _ = scrapeGauge(base, `voxguard_spec_view_shed_total{when="start"}`)
	during, _ = scrapeGauge(base, `voxguard_spec_view_shed_total{when="during"}`)
	return start, during
}
