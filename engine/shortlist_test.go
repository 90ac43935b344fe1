package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/voxguard/voxguard/models"
)

// TestWatchlistShortlist: with more watchlist entries than Config.WatchlistShortlist, an
// assessment scores only the best-ranked few in full — and reports the same hits and risk as when
// every entry is scored, since the caller's own entry ranks first. The decoys are other Mini
// LibriSpeech speakers (each twice, so that ties are ranked too).
func TestWatchlistShortlist(t *testing.T) {
	dir := filepath.Join(corporaDir(t), "mini-librispeech")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var spks []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "1088" {
			spks = append(spks, e.Name())
		}
	}
	sort.Strings(spks)
	spks = spks[:min(len(spks), 12)]
	run := func(shortlist int) (Assessment, int) {
		vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
		e, err := New(testBundle(t), Options{Config: Config{WatchlistShortlist: shortlist}, Voiceprints: vp, Watchlist: vp, Thresholder: fakeThresholder(4)})
		if err != nil {
			t.Fatal(err)
		}
		for _, spk := range spks {
			files, _ := filepath.Glob(filepath.Join(dir, spk, "*.wav"))
			sort.Strings(files)
			st, err := e.Stats(loadAudio(t, "corpus:mini-librispeech/"+spk+"/"+filepath.Base(files[0]), e.SampleRate()))
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.Prepare(st)
			if err != nil {
				t.Fatal(err)
			}
			for k := range 2 {
				vp.watch = append(vp.watch, WatchlistEntry{ID: fmt.Sprintf("%s-%d", spk, k), Label: "decoy", Probe: p})
			}
		}
		own, _ := e.Stats(loadAudio(t, "corpus:mini-librispeech/1088/1088-134315-0001.wav", e.SampleRate()))
		p, err := e.Prepare(own)
		if err != nil {
			t.Fatal(err)
		}
		vp.watch = append(vp.watch, WatchlistEntry{ID: "fraudster", Label: "ring", Probe: p})
		s := e.NewSession("c")
		if _, err := s.Push(loadAudio(t, callFile, e.SampleRate())); err != nil {
			t.Fatal(err)
		}
		a, err := s.Stop()
		if err != nil {
			t.Fatal(err)
		}
		return a, len(s.wlShort)
	}
	full, n := run(-1)
	if n != 0 {
		t.Fatalf("shortlist -1 built a shortlist of %d", n)
	}
	if len(full.Watchlist) == 0 || full.Watchlist[0].EntryID != "fraudster" {
		t.Fatalf("every entry scored: hits %+v, want the fraudster first", full.Watchlist)
	}
	short, n := run(3)
	if n != 3 {
		t.Errorf("shortlist of %d entries, want 3", n)
	}
	if !reflect.DeepEqual(short.Watchlist, full.Watchlist[:min(len(full.Watchlist), 3)]) || short.Risk != full.Risk || !reflect.DeepEqual(short.Reasons, full.Reasons) {
		t.Errorf("shortlist 3: hits %+v risk %d reasons %v; every entry: hits %+v risk %d reasons %v",
			short.Watchlist, short.Risk, short.Reasons, full.Watchlist, full.Risk, full.Reasons)
	}
}

// BenchmarkWatchlist1000 is one assessment against a watchlist of 1,000 distinct entries (each
// its own model vectors in memory, as a loaded store's are), scored every one in full or through
// the default shortlist. Set VOXGUARD_BENCH_MODEL to the real bundle: the test bundle's model
// vectors are tiny.
func BenchmarkWatchlist1000(b *testing.B) {
	e, vp := benchEngine(b)
	x := loadAudio(b, callFile, e.SampleRate())
	st, err := e.Stats(x)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		p, err := e.Prepare(st)
		if err != nil {
			b.Fatal(err)
		}
		vp.watch = append(vp.watch, WatchlistEntry{ID: fmt.Sprint(i), Probe: p})
	}
	s := e.NewSession("bench")
	vs := e.v.NewScratch()
	voiced := int(st.Frames())
	for _, k := range []int{-1, DefaultConfig().WatchlistShortlist} {
		b.Run(fmt.Sprintf("shortlist=%d", k), func(b *testing.B) {
			e.cfg.WatchlistShortlist = k
			for b.Loop() {
				s.assess(st, voiced, false, vs)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/assessment")
		})
	}
}
