package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/voxguard/voxguard/store"
)

// TestAPIListSubjects pages through subjects with ?after= and ?limit=, masked, for analysts
// only, and refuses a bad limit.
func TestAPIListSubjects(t *testing.T) {
	env := newAPIEnv(t)
	for i := range 3 {
		if code := env.json(t, RoleAnalyst, "POST", "/v1/subjects", map[string]any{"id": fmt.Sprintf("sub_%d", i),
			"name": "Alice Example", "phone": "+44 20 7946 0123", "account_ref": "ACC-998877"}, nil); code != 201 {
			t.Fatalf("create: %d", code)
		}
	}
	var page []store.Subject
	if code := env.do(t, RoleAnalyst, "GET", "/v1/subjects?limit=2", "", nil, &page); code != 200 || len(page) != 2 || page[0].ID != "sub_0" {
		t.Fatalf("first page: %d %v", code, page)
	}
	for _, s := range page {
		if s.Name != "A**** E******" || strings.Contains(s.Phone, "7946") || strings.Contains(s.AccountRef, "99") {
			t.Errorf("not masked: %#v %q %q", s.Name, s.Phone, s.AccountRef)
		}
	}
	page = nil
	if code := env.do(t, RoleAnalyst, "GET", "/v1/subjects?after=sub_1", "", nil, &page); code != 200 || len(page) != 1 || page[0].ID != "sub_2" {
		t.Fatalf("second page: %d %v", code, page)
	}
	for _, tc := range []struct {
		role Role
		path string
		want int
	}{
		{RoleAgent, "/v1/subjects", 403},
		{RoleAuditor, "/v1/subjects", 403},
		{"", "/v1/subjects", 401},
		{RoleAdmin, "/v1/subjects", 200},
		{RoleAnalyst, "/v1/subjects?limit=0", 400},
		{RoleAnalyst, "/v1/subjects?limit=x", 400},
		{RoleAnalyst, "/v1/subjects?after=zzz", 200},
	} {
		if code := env.do(t, tc.role, "GET", tc.path, "", nil, nil); code != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.role, tc.path, code, tc.want)
		}
	}
}

// TestAPIVerifyThresholds checks that a one-shot verification states the thresholds its
// decision was taken against, alongside the assessment's fields.
func TestAPIVerifyThresholds(t *testing.T) {
	env := newAPIEnv(t)
	if code := env.json(t, RoleAnalyst, "POST", "/v1/subjects", map[string]any{"id": "sub_v"}, nil); code != 201 {
		t.Fatalf("create: %d", code)
	}
	var v struct {
		Verification struct{ Decision string }
		Reasons      []string
		Match        *float64 `json:"match_threshold_llr"`
		Mismatch     *float64 `json:"mismatch_threshold_llr"`
	}
	if code := env.do(t, RoleAnalyst, "POST", "/v1/verify?subject_id=sub_v", "audio/wav", wavBytes(speech(t, aliceCall)), &v); code != 200 ||
		v.Match == nil || v.Mismatch == nil || *v.Match <= *v.Mismatch || v.Verification.Decision != "inconclusive" {
		t.Fatalf("verify: %d %+v", code, v)
	}
	th := env.srv.eng.Thresholds()
	if *v.Match != th.Match || *v.Mismatch != th.Mismatch {
		t.Errorf("thresholds %v %v, engine %+v", *v.Match, *v.Mismatch, th)
	}
}
