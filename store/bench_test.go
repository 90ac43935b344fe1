package store

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Realistic voiceprint shape: 1024-component UBM, 60-dimensional features, 400-dim embedding.
const (
	benchComps = 1024
	benchDim   = 60
	benchEmb   = 400
)

var benchDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// benchStore opens a store in a fresh directory with production Badger sizes.
func benchStore(b *testing.B) (*Store, string) {
	b.Helper()
	dir := b.TempDir()
	s, err := Open(Options{Dir: dir, Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, dir
}

// diskBytes sums the allocated size of the files in dir (sparse preallocation excluded).
func diskBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += allocated(fi)
			}
		}
		return nil
	})
	return n
}

// BenchmarkVoiceprintWrite measures AddVoiceprint (consent check, write, audit entry,
// fsync) for a 1024x60 voiceprint.
func BenchmarkVoiceprintWrite(b *testing.B) {
	s, _ := benchStore(b)
	sub, _ := enrolled(b, s, Subject{})
	vp := sampleVP(rand.New(rand.NewPCG(1, 1)), sub.ID, benchComps, benchDim, benchEmb)
	b.SetBytes(int64(len(encodeVoiceprint(vp))))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vp.ID = ""
		if _, err := s.AddVoiceprint("vk", vp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVoiceprintRead measures GetVoiceprint (read and decode) of random voiceprints
// among 200 of 1024x60.
func BenchmarkVoiceprintRead(b *testing.B) {
	s, _ := benchStore(b)
	rng := rand.New(rand.NewPCG(2, 2))
	var subs, ids []string
	for i := 0; i < 200; i++ {
		sub, _ := enrolled(b, s, Subject{})
		vp, err := s.AddVoiceprint("vk", sampleVP(rng, sub.ID, benchComps, benchDim, benchEmb))
		if err != nil {
			b.Fatal(err)
		}
		subs, ids = append(subs, sub.ID), append(ids, vp.ID)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := rng.IntN(len(ids))
		if _, err := s.GetVoiceprint(subs[j], ids[j]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVoiceprintDiskBytes writes b.N voiceprints of 1024x60, closes the store and
// reports the growth of the data directory per voiceprint (disk-B/vp) next to the encoded
// size (enc-B/vp). Run with -benchtime=200x or more.
func BenchmarkVoiceprintDiskBytes(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(Options{Dir: dir, Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	sub, _ := enrolled(b, s, Subject{})
	s.Close()
	base := diskBytes(dir)
	s, err = Open(Options{Dir: dir, Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	vp := sampleVP(rng, sub.ID, benchComps, benchDim, benchEmb)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vp.ID = ""
		vp.F[i%len(vp.F)] += 1
		if _, err := s.AddVoiceprint("vk", vp); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(diskBytes(dir)-base)/float64(b.N), "disk-B/vp")
	b.ReportMetric(float64(len(encodeVoiceprint(vp))), "enc-B/vp")
}

var watchDir string

// buildWatchlist100k writes, once per test binary, a store holding 100,000 watchlist
// entries with 400-dim embeddings and no Baum-Welch statistics.
func buildWatchlist100k(b *testing.B) string {
	if watchDir != "" {
		return watchDir
	}
	dir, err := os.MkdirTemp("", "voxguard-bench-watch-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	s, err := Open(Options{Dir: dir, Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	start := time.Now()
	for chunk := 0; chunk < 100; chunk++ {
		es := make([]WatchlistEntry, 1000)
		for i := range es {
			emb := make([]float32, benchEmb)
			for j := range emb {
				emb[j] = float32(rng.NormFloat64())
			}
			es[i] = WatchlistEntry{ID: fmt.Sprintf("wl_%06d", chunk*1000+i), Label: "bench", CaseRef: "CASE-1",
				LegalBasis: "fraud prevention", Voiceprint: Voiceprint{BundleVersion: "b1", Embedding: emb, Source: "bench"}}
		}
		if _, err := s.ImportWatchlist("vk", es, 1000); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	b.Logf("imported 100,000 watchlist entries in %v; %d MB on disk", time.Since(start).Round(time.Millisecond), diskBytes(dir)>>20)
	watchDir = dir
	return dir
}

// BenchmarkWatchlistLoad100k measures startup: Open the store and load all 100,000
// watchlist entries (header and 400-dim embedding) into memory.
func BenchmarkWatchlistLoad100k(b *testing.B) {
	dir := buildWatchlist100k(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Open(Options{Dir: dir, Key: testKey})
		if err != nil {
			b.Fatal(err)
		}
		es := make([]WatchlistEntry, 0, 100000)
		if err := s.LoadWatchlist(func(e WatchlistEntry) error { es = append(es, e); return nil }); err != nil {
			b.Fatal(err)
		}
		if len(es) != 100000 || len(es[99999].Voiceprint.Embedding) != benchEmb {
			b.Fatalf("loaded %d", len(es))
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}
