package server

import (
	"strings"
	"testing"
)

// TestAPIBadInput: malformed or hostile REST requests each get a problem document with a clear
// status, and the server carries on.
func TestAPIBadInput(t *testing.T) {
	env := newAPIEnv(t)
	var sub map[string]any
	env.json(t, RoleAnalyst, "POST", "/v1/subjects", map[string]any{"id": "sub_fixed"}, &sub)
	tests := []struct {
		name         string
		role         Role
		method, path string
		ctype, body  string
		want         int
	}{
		{"bad JSON", RoleAnalyst, "POST", "/v1/subjects", "application/json", `{"name":`, 400},
		{"unknown field", RoleAnalyst, "POST", "/v1/subjects", "application/json", `{"nmae":"x"}`, 400},
		{"JSON as text/plain", RoleAnalyst, "POST", "/v1/subjects", "text/plain", `{}`, 415},
		{"duplicate subject", RoleAnalyst, "POST", "/v1/subjects", "application/json", `{"id":"sub_fixed"}`, 409},
		{"invalid subject id", RoleAnalyst, "POST", "/v1/subjects", "application/json", `{"id":"a/b"}`, 422},
		{"unknown subject", RoleAnalyst, "GET", "/v1/subjects/sub_nobody", "", "", 404},
		{"consent without evidence", RoleAnalyst, "POST", "/v1/subjects/sub_fixed/consents", "application/json", `{"method":"x"}`, 422},
		{"consent for unknown subject", RoleAnalyst, "POST", "/v1/subjects/sub_nobody/consents", "application/json", `{"method":"x","evidence_ref":"e","policy_version":"1"}`, 404},
		{"withdraw unknown consent", RoleAnalyst, "DELETE", "/v1/subjects/sub_fixed/consents/con_nope", "", "", 404},
		{"enroll unknown subject", RoleAnalyst, "POST", "/v1/subjects/sub_nobody/enrollments", "audio/wav", "RIFF", 404},
		{"enroll from unknown call", RoleAnalyst, "POST", "/v1/subjects/sub_fixed/enrollments/from-call", "application/json", `{"call_id":"nope"}`, 404},
		{"enroll garbage audio", RoleAnalyst, "POST", "/v1/subjects/sub_fixed/enrollments", "audio/wav", "RIFF\x00\x00\x00\x00WAVE", 415},
		{"enroll empty multipart", RoleAnalyst, "POST", "/v1/subjects/sub_fixed/enrollments", "multipart/form-data; boundary=b", "--b--\r\n", 400},
		{"verify without subject", RoleAnalyst, "POST", "/v1/verify", "audio/wav", "RIFF", 400},
		{"verify unknown subject", RoleAnalyst, "POST", "/v1/verify?subject_id=sub_nobody", "audio/wav", "RIFF", 404},
		{"identify with no body", RoleAnalyst, "POST", "/v1/identify", "audio/wav", "", 415},
		{"watchlist remove unknown", RoleAnalyst, "DELETE", "/v1/watchlist/wl_nope", "", "", 404},
		{"watchlist without case", RoleAnalyst, "POST", "/v1/watchlist?label=a&legal_basis=b", "audio/wav", "RIFF", 415},
		{"call unknown", RoleAgent, "GET", "/v1/calls/nope", "", "", 404},
		{"audit bad limit", RoleAuditor, "GET", "/v1/audit?limit=-3", "", "", 400},
		{"audit bad from", RoleAuditor, "GET", "/v1/audit?from=x", "", "", 400},
		{"key with unknown role", RoleAdmin, "POST", "/v1/keys", "application/json", `{"role":"root"}`, 422},
		{"revoke unknown key", RoleAdmin, "DELETE", "/v1/keys/vk_nope", "", "", 404},
		{"erase unknown subject", RoleAdmin, "DELETE", "/v1/subjects/sub_nobody", "", "", 404},
		{"agent creates subject", RoleAgent, "POST", "/v1/subjects", "application/json", `{}`, 403},
		{"auditor erases", RoleAuditor, "DELETE", "/v1/subjects/sub_fixed", "", "", 403},
		{"analyst makes a key", RoleAnalyst, "POST", "/v1/keys", "application/json", `{"role":"admin"}`, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var prob map[string]any
			code := env.do(t, tc.role, tc.method, tc.path, tc.ctype, []byte(tc.body), &prob)
			if code != tc.want {
				t.Errorf("%d %v, want %d", code, prob, tc.want)
			}
			if d, _ := prob["detail"].(string); d == "" || prob["status"] != float64(code) {
				t.Errorf("problem document %v", prob)
			}
			if strings.Contains(prob["detail"].(string), "panic") {
				t.Errorf("detail leaks internals: %v", prob)
			}
		})
	}
	// The server carries on.
	if code := env.do(t, RoleAnalyst, "GET", "/v1/subjects/sub_fixed", "", nil, nil); code != 200 {
		t.Errorf("after the bad requests: %d", code)
	}
}
