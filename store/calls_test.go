package store

import (
	"encoding/json"
	"testing"
	"time"
)

func TestCallRecordsRetention(t *testing.T) {
	s := openTest(t)
	if s.CallRetention() != 90*24*time.Hour {
		t.Fatalf("default retention %v", s.CallRetention())
	}
	sub, _ := enrolled(t, s, Subject{})
	before := time.Now()
	err := s.PutCall("vk_in", CallRecord{CallID: "CA123", Platform: "twilio", ANI: "+447911123123", ClaimedSubject: sub.ID,
		Started: before, Assessments: []json.RawMessage{json.RawMessage(`{"seq":1}`)}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.GetCall("CA123")
	if err != nil {
		t.Fatal(err)
	}
	if rec.ANI != "+44 7*** ***123" {
		t.Fatalf("ANI stored as %q", rec.ANI)
	}
	exp := before.Add(90 * 24 * time.Hour)
	if d := rec.ExpiresAt.Sub(exp); d < -2*time.Second || d > 2*time.Second {
		t.Fatalf("expires %v, want about %v", rec.ExpiresAt, exp)
	}
	// Re-claiming another subject moves the index.
	other, _ := enrolled(t, s, Subject{})
	rec.ClaimedSubject = other.ID
	s.PutCall("vk_in", rec)
	if cs, _ := s.ListCallsForSubject(sub.ID); len(cs) != 0 {
		t.Fatalf("old subject still indexed")
	}
	if cs, _ := s.ListCallsForSubject(other.ID); len(cs) != 1 {
		t.Fatalf("new subject not indexed")
	}
}

func TestCallRecordsExpire(t *testing.T) {
	t.Parallel()
	o := testOptions(t.TempDir())
	o.CallRetention = time.Second
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.PutCall("vk", CallRecord{CallID: "c1", Platform: "x", ClaimedSubject: "sub_x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCall("c1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // Badger TTLs have one-second resolution
	_, err = s.GetCall("c1")
	wantErr(t, err, ErrNotFound)
	if cs, _ := s.ListCallsForSubject("sub_x"); len(cs) != 0 {
		t.Fatal("expired call still listed")
	}
}
