package store

import (
	"fmt"
	"testing"
)

// TestListSubjects pages through subjects in id order.
func TestListSubjects(t *testing.T) {
	s := openTest(t)
	for i := range 5 {
		if _, err := s.CreateSubject("vk_t", Subject{ID: fmt.Sprintf("sub_%d", i), Name: "P"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GrantConsent("vk_t", Consent{SubjectID: "sub_1", Purpose: PurposeVoiceVerification,
		Method: "m", EvidenceRef: "e", PolicyVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	for {
		page, err := s.ListSubjects(after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, sub := range page {
			got = append(got, sub.ID)
		}
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(got) != "[sub_0 sub_1 sub_2 sub_3 sub_4]" {
		t.Fatalf("pages: %v", got)
	}
	all, err := s.ListSubjects("", 0)
	if err != nil || len(all) != 5 || all[0].Name != "P" {
		t.Fatalf("all: %v %v", all, err)
	}
}
