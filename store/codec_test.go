package store

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestVoiceprintCodecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	tests := []struct {
		name string
		vp   Voiceprint
	}{
		{"full", sampleVP(rng, "sub_1", 32, 6, 12)},
		{"augmented", func() Voiceprint {
			vp := sampleVP(rng, "sub_2", 32, 6, 12)
			a := sampleVP(rng, "sub_2", 32, 6, 0)
			vp.AugN, vp.AugF = a.N, a.F
			return vp
		}()},
		{"second system", func() Voiceprint {
			vp := sampleVP(rng, "sub_3", 32, 6, 12)
			b := sampleVP(rng, "sub_3", 16, 5, 0)
			vp.SecondVersion, vp.SecondN, vp.SecondF = "ubm-00000000000000ab", b.N, b.F
			return vp
		}()},
		{"second system and augmented", func() Voiceprint {
			vp := sampleVP(rng, "sub_4", 32, 6, 12)
			a := sampleVP(rng, "sub_4", 32, 6, 0)
			b := sampleVP(rng, "sub_4", 16, 5, 0)
			vp.AugN, vp.AugF = a.N, a.F
			vp.SecondVersion, vp.SecondN, vp.SecondF = "ubm-00000000000000ab", b.N, b.F
			return vp
		}()},
		{"embedding only", Voiceprint{SubjectID: "s", BundleVersion: "b", Embedding: []float32{1.5, -2}, Source: "upload"}},
		{"empty", Voiceprint{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc := encodeVoiceprint(tc.vp)
			got, err := decodeVoiceprint(enc)
			if err != nil || !reflect.DeepEqual(got, tc.vp) {
				t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, tc.vp)
			}
			for cut := len(vpMagic); cut < len(enc); cut += 1 + len(enc)/50 {
				if _, err := decodeVoiceprint(enc[:cut]); err == nil {
					t.Fatalf("truncated at %d of %d decoded", cut, len(enc))
				}
			}
		})
	}
}

// FuzzDecoders checks that corrupt records give errors, never panics.
func FuzzDecoders(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	vp := sampleVP(rng, "s", 4, 2, 3)
	f.Add(encodeVoiceprint(vp))
	f.Add(encodeWatchHeader(WatchlistEntry{ID: "w", Label: "l", Voiceprint: vp}))
	f.Add(encodeWatchStats(vp))
	vp.SecondVersion, vp.SecondN, vp.SecondF = "ubm-1", vp.N, vp.F
	f.Add(encodeVoiceprint(vp))
	f.Add(encodeWatchStats(vp))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeVoiceprint(b)
		decodeWatchHeader(b)
		var v Voiceprint
		decodeWatchStats(b, &v)
	})
}

// TestWatchStatsSecondSystem checks the watchlist statistics record with a second system's
// statistics (version, SecondN, SecondF after N and F), without them (ending after F, as records
// written before), and cut short.
func TestWatchStatsSecondSystem(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, second := range []bool{false, true} {
		vp := sampleVP(rng, "", 8, 3, 0)
		if second {
			b := sampleVP(rng, "", 4, 2, 0)
			vp.SecondVersion, vp.SecondN, vp.SecondF = "ubm-2", b.N, b.F
		}
		enc := encodeWatchStats(vp)
		var got Voiceprint
		if err := decodeWatchStats(enc, &got); err != nil || !reflect.DeepEqual(got.N, vp.N) || !reflect.DeepEqual(got.F, vp.F) ||
			got.SecondVersion != vp.SecondVersion || !reflect.DeepEqual(got.SecondN, vp.SecondN) || !reflect.DeepEqual(got.SecondF, vp.SecondF) {
			t.Fatalf("second %v: round trip %+v (%v)", second, got, err)
		}
		if second {
			for cut := len(encodeWatchStats(Voiceprint{N: vp.N, F: vp.F})) + 1; cut < len(enc); cut += 7 {
				var v Voiceprint
				if err := decodeWatchStats(enc[:cut], &v); err == nil {
					t.Fatalf("cut at %d of %d decoded", cut, len(enc))
				}
			}
		}
	}
}
