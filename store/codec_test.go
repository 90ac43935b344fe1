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
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeVoiceprint(b)
		decodeWatchHeader(b)
		var v Voiceprint
		decodeWatchStats(b, &v)
	})
}
