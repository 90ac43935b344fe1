package engine

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// streamCall pushes x through a new session of e in random chunks (seeded), claiming "alice"
// first, and returns every assessment, the final one last.
func streamCall(t *testing.T, e *Engine, x []float32, seed uint64) []Assessment {
	t.Helper()
	s := e.NewSession("c")
	if _, err := s.Claim("alice"); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	var all []Assessment
	for pos := 0; pos < len(x); {
		n := min(len(x)-pos, 1+r.IntN(4000))
		out, err := s.Push(x[pos : pos+n])
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out...)
		pos += n
	}
	a, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return append(all, a)
}

// Config.TailStride thins only the provisional tail: the same assessments fall due at the same
// net speech, the final assessment is unchanged, the progressive ones do not depend on the
// chunking, and each equals the assessment of the final statistics plus every k-th tail frame's
// statistics scaled to the whole tail's frame count, computed here by hand.
func TestTailStride(t *testing.T) {
	ref, vp := newTestEngine(t)
	x := loadAudio(t, callFile, ref.SampleRate())
	enroll, _ := ref.Stats(loadAudio(t, "corpus:mini-librispeech/1088/1088-134315-0001.wav", ref.SampleRate()))
	vp.probes["alice"], _ = ref.Prepare(enroll)
	want := streamCall(t, ref, x, 1)
	if len(want) < 4 {
		t.Fatalf("only %d assessments: the call is too short to test progressive ones", len(want))
	}
	for _, k := range []int{2, 3, 5} {
		e, err := New(testBundle(t), Options{Config: Config{TailStride: k}, Voiceprints: vp, Watchlist: vp, Thresholder: fakeThresholder(4)})
		if err != nil {
			t.Fatal(err)
		}
		got := streamCall(t, e, x, 1)
		if !reflect.DeepEqual(got, streamCall(t, e, x, 2)) {
			t.Errorf("stride %d: assessments depend on the chunking", k)
		}
		if len(got) != len(want) {
			t.Fatalf("stride %d: %d assessments, want %d", k, len(got), len(want))
		}
		differ := 0
		for i := range got {
			if got[i].Seq != want[i].Seq || got[i].SpeechSeconds != want[i].SpeechSeconds || got[i].Final != want[i].Final {
				t.Errorf("stride %d: assessment %d at %d / %.2f s, want %d / %.2f s", k, i, got[i].Seq, got[i].SpeechSeconds, want[i].Seq, want[i].SpeechSeconds)
			}
			if got[i].Verification.LLR != want[i].Verification.LLR {
				differ++
			}
		}
		if last := len(got) - 1; !reflect.DeepEqual(got[last], want[last]) {
			t.Errorf("stride %d: final assessment %+v, want %+v", k, got[last], want[last])
		}
		if differ == 0 {
			t.Errorf("stride %d: no progressive LLR changed", k)
		}

		// By hand, at a cut inside a call: the claim's LLR.
		for _, cut := range []int{5 * 8000, 9*8000 + 77} {
			s := e.NewSession("h")
			s.Push(x[:cut])
			snap := s.snapshot()
			s.flush()
			n, d := len(snap.voice), s.dim
			if n < 2*k {
				t.Fatalf("cut %d: a tail of %d frames", cut, n)
			}
			tail := e.b.UBM.NewStats()
			gs := e.b.NewStatsScratch()
			m := 0
			for i := 0; i < n; i += k {
				e.b.UBM.AccumulateFrames(tail, snap.tail[i*d:(i+1)*d], gs)
				m++
			}
			tail.Scale(float64(n) / float64(m))
			total := s.stats.Clone()
			if err := total.Add(tail); err != nil {
				t.Fatal(err)
			}
			p, err := e.Prepare(total)
			if err != nil {
				t.Fatal(err)
			}
			llr, _ := e.v.Score(vp.probes["alice"], p)
			out, _ := s.Claim("alice")
			if len(out) != 1 {
				t.Fatalf("claim gave %d assessments", len(out))
			}
			if diff := out[0].Verification.LLR - llr; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("stride %d, cut %d: claim LLR %v, by hand %v", k, cut, out[0].Verification.LLR, llr)
			}
		}
	}
	if _, err := New(testBundle(t), Options{Config: Config{TailStride: -1}}); err == nil {
		t.Error("tail stride -1 accepted")
	}
}
