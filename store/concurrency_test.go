package store

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentWritersKeepOneChain has several goroutines append at once: optimistic
// conflicts on the audit head are retried and the chain has no gaps or forks.
func TestConcurrentWritersKeepOneChain(t *testing.T) {
	s := openTest(t)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if _, err := s.Audit("vk", "test.concurrent", "x", OutcomeOK); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if rep := mustVerify(t, s); rep.Entries != 101 {
		t.Fatalf("%d entries, want 101", rep.Entries)
	}
}

// TestWithdrawRacesEnrollment withdraws consent while voiceprints are being added: once
// the withdrawal has committed no voiceprint may remain, whichever way the race went.
func TestWithdrawRacesEnrollment(t *testing.T) {
	s := openTest(t)
	sub, c := enrolled(t, s, Subject{})
	rng := rand.New(rand.NewPCG(8, 8))
	vps := make([]Voiceprint, 40)
	for i := range vps {
		vps[i] = sampleVP(rng, sub.ID, 16, 4, 8)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for _, vp := range vps {
			if _, err := s.AddVoiceprint("vk_enroll", vp); err != nil && !errors.Is(err, ErrNoConsent) {
				t.Error(err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			if got, _ := s.ListVoiceprints(sub.ID); len(got) >= 5 {
				break
			}
		}
		if _, err := s.WithdrawConsent("vk_withdraw", sub.ID, c.ID); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if got, _ := s.ListVoiceprints(sub.ID); len(got) != 0 {
		t.Fatalf("%d voiceprints survive a withdrawn consent", len(got))
	}
	mustVerify(t, s)
}
