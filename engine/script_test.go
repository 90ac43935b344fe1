package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/models"
)

// The session scripts in testdata/sessions drive a Session line by line:
//
//	config KEY=VALUE...          engine policy (first, every, check: durations; farscale: see
//	                             fakeThresholder); before the rest
//	enroll SUBJECT FILE...       SUBJECT's voiceprint from FILEs (append "noconsent" to withhold consent)
//	watch ENTRY LABEL FILE...    a watchlist entry
//	push DURATION|rest FILE      the next DURATION (e.g. 2500ms) of FILE, or the rest of it
//	claim SUBJECT                the caller claims to be SUBJECT
//	stop                         end of call
//	expect KEY=VALUE...          checks on the last assessment (count: on the number so far)
//
// FILE is corpus:<path under ../shared/corpora> or audio:<file in testdata/audio>. Expect keys:
// count, seq, final, subject, decision, band, reasons (comma list, - for none), watch (entry ids,
// - for none), minspeech (seconds). Each script runs under several chunkings of the audio, and
// the assessments must be identical under all of them.

// fakeThresholder stands in for the bundle's recorded non-target scores: the LLR threshold for
// a false-accept rate far is -ln(far)/scale (a sharper tail than the calibration bound, as a
// tiny test bundle's scores have).
type fakeThresholder float64

func (f fakeThresholder) ThresholdAtFAR(far float64) (float64, error) {
	return -math.Log(far) / float64(f), nil
}

// fakeVoiceprints is an in-memory Voiceprints and Watchlist.
type fakeVoiceprints struct {
	probes    map[string]*models.Probe
	noConsent map[string]bool
	watch     []WatchlistEntry
}

func (f *fakeVoiceprints) Voiceprint(id string) (*models.Probe, error) {
	if f.noConsent[id] {
		return nil, ErrNoConsent
	}
	if p, ok := f.probes[id]; ok {
		return p, nil
	}
	return nil, ErrNoVoiceprint
}

func (f *fakeVoiceprints) Entries() []WatchlistEntry { return f.watch }

var audioCache sync.Map // path -> []float32

// loadAudio returns a script FILE's samples at rate.
func loadAudio(t testing.TB, name string, rate int) []float32 {
	t.Helper()
	var path string
	switch {
	case strings.HasPrefix(name, "corpus:"):
		path = filepath.Join(corporaDir(t), strings.TrimPrefix(name, "corpus:"))
	case strings.HasPrefix(name, "audio:"):
		path = filepath.Join("..", "testdata", "audio", strings.TrimPrefix(name, "audio:"))
	default:
		t.Fatalf("audio %q: want corpus: or audio: prefix", name)
	}
	key := fmt.Sprint(path, rate)
	if v, ok := audioCache.Load(key); ok {
		return v.([]float32)
	}
	a, err := audio.ReadWAVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := a.Channel(0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Info.SampleRate != rate {
		if x, err = audio.Resample(x, a.Info.SampleRate, rate); err != nil {
			t.Fatal(err)
		}
	}
	audioCache.Store(key, x)
	return x
}

// chunker splits pushes into chunks.
type chunker struct {
	name string
	next func() int // chunk size in samples; 0 = whole push at once
}

func chunkers() []chunker {
	r := rand.New(rand.NewPCG(1, 2))
	return []chunker{
		{"whole", func() int { return 0 }},
		{"20ms", func() int { return 160 }},
		{"137", func() int { return 137 }},
		{"random", func() int { return 1 + r.IntN(4000) }},
	}
}

// scriptRun is one execution of a script.
type scriptRun struct {
	t      testing.TB
	e      *Engine
	s      *Session
	vp     *fakeVoiceprints
	cursor map[string]int
	events []Assessment
	ch     chunker
}

func (r *scriptRun) stats(files []string) *models.Stats {
	var all []float32
	for _, f := range files {
		all = append(all, loadAudio(r.t, f, r.e.SampleRate())...)
	}
	st, err := r.e.Stats(all)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func (r *scriptRun) probe(files []string) *models.Probe {
	p, err := r.e.Prepare(r.stats(files))
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func runScript(t *testing.T, path string, ch chunker) []Assessment {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := &scriptRun{t: t, vp: &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}, cursor: map[string]int{}, ch: ch}
	var cfg Config
	var thr FARThresholder
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		w := strings.Fields(line)
		if len(w) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d (%s chunks)", filepath.Base(path), ln, ch.name)
		if w[0] != "config" && r.e == nil {
			if r.e, err = New(testBundle(t), Options{Config: cfg, Voiceprints: r.vp, Watchlist: r.vp, Thresholder: thr}); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			r.s = r.e.NewSession("call-" + strings.TrimSuffix(filepath.Base(path), ".txt"))
		}
		switch w[0] {
		case "config":
			for _, kv := range w[1:] {
				k, v, _ := strings.Cut(kv, "=")
				if k == "farscale" {
					f, _ := strconv.ParseFloat(v, 64)
					thr = fakeThresholder(f)
					continue
				}
				d, err := time.ParseDuration(v)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				switch k {
				case "first":
					cfg.FirstAfter = d
				case "every":
					cfg.Every = d
				case "check":
					cfg.CheckEvery = d
				default:
					t.Fatalf("%s: unknown config key %q", where, k)
				}
			}
		case "enroll":
			files := w[2:]
			if slices.Contains(files, "noconsent") {
				r.vp.noConsent[w[1]] = true
				files = slices.DeleteFunc(files, func(s string) bool { return s == "noconsent" })
			}
			r.vp.probes[w[1]] = r.probe(files)
		case "watch":
			r.vp.watch = append(r.vp.watch, WatchlistEntry{ID: w[1], Label: w[2], Probe: r.probe(w[3:])})
		case "push":
			x := loadAudio(t, w[2], r.e.SampleRate())
			pos := r.cursor[w[2]]
			end := len(x)
			if w[1] != "rest" {
				d, err := time.ParseDuration(w[1])
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				end = min(end, pos+int(d.Seconds()*float64(r.e.SampleRate())))
			}
			r.cursor[w[2]] = end
			for pos < end {
				n := end - pos
				if c := ch.next(); c > 0 {
					n = min(n, c)
				}
				out, err := r.s.Push(x[pos : pos+n])
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				r.events = append(r.events, out...)
				pos += n
			}
		case "claim":
			out, err := r.s.Claim(w[1])
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			r.events = append(r.events, out...)
		case "stop":
			a, err := r.s.Stop()
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			r.events = append(r.events, a)
		case "expect":
			r.expect(where, w[1:])
		default:
			t.Fatalf("%s: unknown command %q", where, w[0])
		}
	}
	return r.events
}

func (r *scriptRun) expect(where string, kvs []string) {
	t := r.t
	t.Helper()
	for _, kv := range kvs {
		k, want, _ := strings.Cut(kv, "=")
		if k == "count" {
			if got := strconv.Itoa(len(r.events)); got != want {
				t.Errorf("%s: %d assessments so far, want %s", where, len(r.events), want)
			}
			continue
		}
		if len(r.events) == 0 {
			t.Fatalf("%s: no assessment to check", where)
		}
		a := r.events[len(r.events)-1]
		var got string
		switch k {
		case "seq":
			got = strconv.Itoa(a.Seq)
		case "final":
			got = strconv.FormatBool(a.Final)
		case "subject":
			got = a.Verification.SubjectID
		case "decision":
			got = string(a.Verification.Decision)
		case "band":
			got = string(a.Band)
		case "reasons":
			var rs []string
			for _, x := range a.Reasons {
				rs = append(rs, string(x))
			}
			got = strings.Join(rs, ",")
		case "watch":
			var ids []string
			for _, h := range a.Watchlist {
				ids = append(ids, h.EntryID)
			}
			got = strings.Join(ids, ",")
		case "minspeech":
			min, _ := strconv.ParseFloat(want, 64)
			if a.SpeechSeconds < min {
				t.Errorf("%s: speech %.2f s, want at least %s", where, a.SpeechSeconds, want)
			}
			continue
		default:
			t.Fatalf("%s: unknown expect key %q", where, k)
		}
		if got == "" {
			got = "-"
		}
		if got != want {
			b, _ := json.Marshal(a)
			t.Errorf("%s: %s = %s, want %s\n  %s", where, k, got, want, b)
		}
	}
}

func TestSessionScripts(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "sessions", "*.txt"))
	if len(paths) == 0 {
		t.Fatal("no session scripts")
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".txt"), func(t *testing.T) {
			var ref []Assessment
			for i, ch := range chunkers() {
				got := runScript(t, p, ch)
				if i == 0 {
					ref = got
					for _, a := range got {
						b, _ := json.Marshal(a)
						t.Logf("%s", b)
					}
					continue
				}
				if !reflect.DeepEqual(got, ref) {
					t.Errorf("%s chunks: assessments differ from whole pushes:\n got %+v\nwant %+v", ch.name, got, ref)
				}
			}
		})
	}
}
