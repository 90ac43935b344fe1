package store

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func TestWatchlist(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(11, 12))
	vp := sampleVP(rng, "ignored", 8, 3, 6)
	tests := []struct {
		name string
		e    WatchlistEntry
		want error
	}{
		{"no legal basis", WatchlistEntry{Label: "a", CaseRef: "C-1", Voiceprint: vp}, ErrInvalid},
		{"no case", WatchlistEntry{Label: "a", LegalBasis: "fraud prevention", Voiceprint: vp}, ErrInvalid},
		{"no voice", WatchlistEntry{Label: "a", CaseRef: "C-1", LegalBasis: "fraud prevention"}, ErrInvalid},
		{"ok", WatchlistEntry{ID: "wl_1", Label: "ring-17 caller A", CaseRef: "C-1", LegalBasis: "fraud prevention", Voiceprint: vp}, nil},
		{"duplicate", WatchlistEntry{ID: "wl_1", Label: "x", CaseRef: "C-1", LegalBasis: "y", Voiceprint: vp}, ErrExists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.AddWatchlistEntry("vk_an", tc.e)
			if tc.want == nil && err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				wantErr(t, err, tc.want)
			}
		})
	}
	full, err := s.GetWatchlistEntry("wl_1", true)
	if err != nil {
		t.Fatal(err)
	}
	if full.AddedBy != "vk_an" || full.Voiceprint.SubjectID != "" || !reflect.DeepEqual(full.Voiceprint.F, vp.F) ||
		!reflect.DeepEqual(full.Voiceprint.Embedding, vp.Embedding) {
		t.Fatalf("entry %+v", full)
	}
	light, _ := s.GetWatchlistEntry("wl_1", false)
	if light.Voiceprint.N != nil || len(light.Voiceprint.Embedding) != 6 {
		t.Fatalf("light entry has stats or lacks embedding")
	}

	batch := make([]WatchlistEntry, 70)
	for i := range batch {
		batch[i] = WatchlistEntry{ID: fmt.Sprintf("wl_b%03d", i), Label: "bulk", CaseRef: "C-2", LegalBasis: "fraud prevention",
			Voiceprint: Voiceprint{BundleVersion: "b", Embedding: []float32{float32(i), 1}, Source: "consortium"}}
	}
	if n, err := s.ImportWatchlist("vk_an", batch, 32); err != nil || n != 70 {
		t.Fatalf("import %d %v", n, err)
	}
	var loaded []WatchlistEntry
	if err := s.LoadWatchlist(func(e WatchlistEntry) error { loaded = append(loaded, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 71 || loaded[0].ID != "wl_1" || loaded[70].Voiceprint.Embedding[0] != 69 {
		t.Fatalf("loaded %d", len(loaded))
	}
	if err := s.RemoveWatchlistEntry("vk_an", "wl_1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetWatchlistEntry("wl_1", true)
	wantErr(t, err, ErrNotFound)
	rep := mustVerify(t, s)
	if rep.Entries != 1+1+70+1 {
		t.Fatalf("%d audit entries", rep.Entries)
	}
}

func TestWatchHeaderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	vp := sampleVP(rng, "", 4, 2, 7)
	vp.ID, vp.N, vp.F = "wl_x", nil, nil
	vp.Created = time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.UTC)
	e := WatchlistEntry{ID: "wl_x", Label: "ring 17 — caller «A»", CaseRef: "C-9", LegalBasis: "Art. 6(1)(f)",
		AddedBy: "vk_an", Added: time.Date(2026, 3, 4, 5, 6, 8, 1, time.UTC), Voiceprint: vp}
	got, err := decodeWatchHeader(encodeWatchHeader(e))
	if err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip:\n got %+v\nwant %+v\n%v", got, e, err)
	}
	e.Voiceprint.Quality, e.Added = nil, time.Time{}
	if got, err := decodeWatchHeader(encodeWatchHeader(e)); err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip without quality: %+v %v", got, err)
	}
	enc := encodeWatchHeader(e)
	for _, cut := range []int{6, 20, len(enc) - 1} {
		if _, err := decodeWatchHeader(enc[:cut]); err == nil {
			t.Fatalf("truncated at %d decoded", cut)
		}
	}
}
