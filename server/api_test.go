package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/store"
)

// apiEnv is a server on a temporary store with one key of every role.
type apiEnv struct {
	srv  *Server
	http *httptest.Server
	st   *store.Store
	sv   *engine.StoreVoices
	keys map[Role]string // role -> bearer token
}

func newAPIEnv(t testing.TB) *apiEnv {
	t.Helper()
	return newAPIEnvBundle(t, testBundle(t))
}

// newAPIEnvBundle is newAPIEnv on bundle b, live calls scored by its first system alone.
func newAPIEnvBundle(t testing.TB, b *models.Bundle) *apiEnv {
	t.Helper()
	st := testkit.Store(t)
	sv, err := engine.NewStoreVoices(st, b, false)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(b, engine.Options{Voiceprints: sv, Watchlist: sv, Thresholder: farScale(4)})
	if err != nil {
		t.Fatal(err)
	}
	env := &apiEnv{st: st, sv: sv, keys: map[Role]string{}}
	for _, r := range []Role{RoleIngest, RoleAgent, RoleAnalyst, RoleAuditor, RoleAdmin} {
		k, err := CreateKey(st, "test", store.Role(r), "test "+string(r))
		if err != nil {
			t.Fatal(err)
		}
		env.keys[r] = k.Key
	}
	env.srv = New(e, StoreAuth{st}, Config{})
	env.srv.SetStore(sv)
	env.http = httptest.NewServer(env.srv.Handler())
	t.Cleanup(env.http.Close)
	return env
}

// do sends a request with role's key ("" for none) and decodes a JSON reply into out (if not nil).
func (e *apiEnv) do(t testing.TB, role Role, method, path, ctype string, body []byte, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, e.http.URL+path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.keys[role])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s: %d with Content-Type %q", method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
		}
	}
	return res.StatusCode
}

func (e *apiEnv) json(t testing.TB, role Role, method, path string, in, out any) int {
	t.Helper()
	b, _ := json.Marshal(in)
	return e.do(t, role, method, path, "application/json", b, out)
}

// wavBytes encodes 8 kHz samples as a 16-bit PCM WAV file.
func wavBytes(x []float32) []byte {
	var b bytes.Buffer
	data := pcm16(x, false)
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

// multipartWAV builds a multipart form of WAV files and fields.
func multipartWAV(fields map[string]string, files ...[]float32) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for i, x := range files {
		p, _ := w.CreateFormFile("audio", fmt.Sprintf("f%d.wav", i))
		p.Write(wavBytes(x))
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// TestOpenAPIDocumentsEveryRoute checks that every pattern registered on a mux anywhere in the
// server package appears in /v1/openapi.json, and that every documented route is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	env := newAPIEnv(t)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if code := env.do(t, "", "GET", "/v1/openapi.json", "", nil, &doc); code != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %d %q", code, doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	// Routes registered literally in the package's source.
	srcs, _ := filepath.Glob("*.go")
	lit := regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+) (/[^"]*)"`)
	var registered []string
	for _, f := range srcs {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			registered = append(registered, m[1]+" "+m[2])
		}
	}
	for _, r := range env.srv.apiRoutes() {
		registered = append(registered, r.Method+" "+r.Path)
	}
	if len(registered) < 25 {
		t.Fatalf("found only %d routes: %v", len(registered), registered)
	}
	for _, r := range registered {
		if !documented[r] {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
	}
	// Every documented route is served: no 404/405 from the mux (401 or the like instead).
	for r := range documented {
		method, path, _ := strings.Cut(r, " ")
		path = regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(path, "x")
		req, _ := http.NewRequest(method, env.http.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == 404 || res.StatusCode == 405 {
			t.Errorf("documented route %s answers %d", r, res.StatusCode)
		}
	}
}

// TestAPIRoles: no key and a bad key get 401, a role not allowed 403, an allowed one neither;
// and every request is in the audit log.
func TestAPIRoles(t *testing.T) {
	env := newAPIEnv(t)
	before, _ := env.st.AuditHead()
	requests := 0
	for _, rt := range env.srv.apiRoutes() {
		path := strings.NewReplacer("{id}", "sub_x", "{consent}", "con_x", "{entry}", "wl_x", "{call}", "call_x", "{key}", "vk_x").Replace(rt.Path)
		allowed := append(slices.Clone(rt.Roles), RoleAdmin)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			if code := env.do(t, "", rt.Method, path, "", nil, nil); code != 401 {
				t.Errorf("no key: %d, want 401", code)
			}
			req, _ := http.NewRequest(rt.Method, env.http.URL+path, nil)
			req.Header.Set("Authorization", "Bearer vk_nope.bad")
			res, _ := http.DefaultClient.Do(req)
			res.Body.Close()
			if res.StatusCode != 401 {
				t.Errorf("bad key: %d, want 401", res.StatusCode)
			}
			requests += 2
			for _, role := range []Role{RoleIngest, RoleAgent, RoleAnalyst, RoleAuditor, RoleAdmin} {
				code := env.do(t, role, rt.Method, path, "", nil, nil)
				requests++
				if slices.Contains(allowed, role) {
					if code == 401 || code == 403 {
						t.Errorf("%s: %d, want it allowed", role, code)
					}
				} else if code != 403 {
					t.Errorf("%s: %d, want 403", role, code)
				}
			}
		})
	}
	after, _ := env.st.AuditHead()
	if int(after-before) < requests {
		t.Errorf("%d requests but %d audit entries", requests, after-before)
	}
}

// TestAPIWorkflow runs an analyst's day: a subject with consent enrolled from uploads, a
// refused enrollment with its reasons, 1:1 verification, a watchlist entry found by 1:N
// identification and by a streamed call, the call record, enrollment from a call, export,
// consent withdrawal, key management, audit, erasure.
func TestAPIWorkflow(t *testing.T) {
	env := newAPIEnv(t)
	var sub map[string]any
	if code := env.json(t, RoleAnalyst, "POST", "/v1/subjects", map[string]any{"name": "Alice Example", "phone": "+44 20 7946 0123"}, &sub); code != 201 {
		t.Fatalf("create subject: %d %v", code, sub)
	}
	id := sub["id"].(string)
	if sub["name"] == "Alice Example" || strings.Contains(fmt.Sprint(sub["phone"]), "7946 0123") {
		t.Errorf("subject not masked: %v", sub)
	}
	alice := [][]float32{speech(t, "mini-librispeech/1088/1088-134315-0001.wav"), speech(t, "mini-librispeech/1088/1088-134315-0002.wav"),
		speech(t, "mini-librispeech/1088/1088-134315-0003.wav")}
	body, ct := multipartWAV(nil, alice...)
	var prob map[string]any
	if code := env.do(t, RoleAnalyst, "POST", "/v1/subjects/"+id+"/enrollments", ct, body, &prob); code != 409 {
		t.Errorf("enrollment without consent: %d %v", code, prob)
	}
	var con map[string]any
	if code := env.json(t, RoleAnalyst, "POST", "/v1/subjects/"+id+"/consents", map[string]any{"method": "web-form", "evidence_ref": "form-1", "policy_version": "2026-01"}, &con); code != 201 {
		t.Fatalf("consent: %d %v", code, con)
	}
	// Too little speech: refused with a report.
	if code := env.do(t, RoleAnalyst, "POST", "/v1/subjects/"+id+"/enrollments", "audio/wav", wavBytes(alice[0][:16000]), &prob); code != 422 || !strings.Contains(fmt.Sprint(prob["report"]), "NO_SPEECH") {
		t.Errorf("short enrollment: %d %v", code, prob)
	}
	var rep engine.EnrollmentReport
	if code := env.do(t, RoleAnalyst, "POST", "/v1/subjects/"+id+"/enrollments", ct, body, &rep); code != 201 || !rep.Accepted {
		t.Fatalf("enrollment: %d %+v", code, rep)
	}
	var vps []map[string]any
	env.do(t, RoleAnalyst, "GET", "/v1/subjects/"+id+"/voiceprints", "", nil, &vps)
	if len(vps) != 1 || vps[0]["n"] != nil {
		t.Errorf("voiceprints: %v", vps)
	}
	var a engine.Assessment
	if code := env.do(t, RoleAnalyst, "POST", "/v1/verify?subject_id="+id, "audio/wav", wavBytes(speech(t, aliceCall)), &a); code != 200 || a.Verification.Decision != engine.Match {
		t.Errorf("verify genuine: %d %+v", code, a)
	}
	var imp struct {
		engine.Assessment
		Match float64 `json:"match_threshold_llr"`
	}
	env.do(t, RoleAnalyst, "POST", "/v1/verify?subject_id="+id, "audio/wav", wavBytes(speech(t, otherCall)), &imp)
	if imp.Verification.Decision == engine.Match {
		t.Errorf("verify impostor: %+v", imp)
	}
	// The stated match threshold is the one this trial was judged by: the clean or the
	// degraded-channel one, consistent with the decision.
	if th := env.srv.eng.Thresholds(); (imp.Match != th.Match && imp.Match != th.MatchDegraded) || imp.Verification.LLR >= imp.Match {
		t.Errorf("verify impostor: LLR %v against stated threshold %v (engine %+v)", imp.Verification.LLR, imp.Match, th)
	}
	// Watchlist.
	fraud := speech(t, "mini-librispeech/118/118-47824-0001.wav")
	body, ct = multipartWAV(map[string]string{"label": "ring A", "legal_basis": "GDPR 6(1)(f)", "case_ref": "case-9"}, fraud)
	var wl map[string]any
	if code := env.do(t, RoleAnalyst, "POST", "/v1/watchlist", ct, body, &wl); code != 201 {
		t.Fatalf("watchlist add: %d %v", code, wl)
	}
	if code := env.do(t, RoleAnalyst, "POST", "/v1/watchlist?label=x", "audio/wav", wavBytes(fraud), &prob); code != 400 {
		t.Errorf("watchlist without legal basis: %d", code)
	}
	var idn map[string]any
	env.do(t, RoleAnalyst, "POST", "/v1/identify", "audio/wav", wavBytes(speech(t, otherCall)), &idn)
	if hits, _ := idn["watchlist"].([]any); len(hits) == 0 {
		t.Errorf("identify found no hit: %v", idn)
	}
	if th, _ := idn["threshold_llr"].(float64); idn["threshold_llr_degraded_channel"].(float64) < th {
		t.Errorf("identify thresholds: %v", idn)
	}
	var list []map[string]any
	if env.do(t, RoleAnalyst, "GET", "/v1/watchlist", "", nil, &list); len(list) != 1 {
		t.Errorf("watchlist list: %v", list)
	}
	// A streamed call claiming the subject is stored with its assessments.
	d := websocket.Dialer{}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(env.http.URL, "http")+"/v1/stream", http.Header{"Authorization": {"Bearer " + env.keys[RoleIngest]}})
	if err != nil {
		t.Fatal(err)
	}
	c.WriteJSON(map[string]any{"type": "start", "call_id": "call-1", "subject_id": id, "ani": "+15555551234", "encoding": "pcm16le", "sample_rate": 8000, "channels": 1})
	c.WriteMessage(websocket.BinaryMessage, pcm16(speech(t, aliceCall), false)[:60000])
	c.WriteMessage(websocket.BinaryMessage, pcm16(speech(t, aliceCall), false)[60000:])
	c.WriteJSON(map[string]any{"type": "stop"})
	readAllUntilFinal(t, c)
	c.Close()
	var rec store.CallRecord
	for range 50 {
		if env.do(t, RoleAgent, "GET", "/v1/calls/call-1", "", nil, &rec) == 200 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rec.ClaimedSubject != id || len(rec.Assessments) < 2 || strings.Contains(rec.ANI, "5555551234") {
		t.Errorf("call record: %+v", rec)
	}
	var calls []store.CallRecord
	if env.do(t, RoleAnalyst, "GET", "/v1/calls?subject_id="+id, "", nil, &calls); len(calls) != 1 {
		t.Errorf("calls of the subject: %d", len(calls))
	}
	// Enrollment from the call adds a second voiceprint (prior speech counts to the 20 s).
	if code := env.json(t, RoleAnalyst, "POST", "/v1/subjects/"+id+"/enrollments/from-call", map[string]string{"call_id": "call-1"}, &rep); code != 201 {
		t.Errorf("enroll from call: %d %+v", code, rep)
	}
	var exp map[string]any
	if code := env.do(t, RoleAnalyst, "GET", "/v1/subjects/"+id+"/export", "", nil, &exp); code != 200 || exp == nil {
		t.Errorf("export: %d", code)
	}
	// Keys: create, list, revoke; the revoked key gets 401.
	var nk NewKey
	if code := env.json(t, RoleAdmin, "POST", "/v1/keys", map[string]string{"role": "ingest", "label": "genesys"}, &nk); code != 201 || nk.AudioHookClientSecret == "" {
		t.Errorf("create key: %d %+v", code, nk)
	}
	if code := env.do(t, RoleAdmin, "DELETE", "/v1/keys/"+nk.ID, "", nil, nil); code != 204 {
		t.Errorf("revoke: %d", code)
	}
	env.keys["revoked"] = nk.Key
	if code := env.do(t, "revoked", "GET", "/v1/watchlist", "", nil, nil); code != 401 {
		t.Errorf("revoked key: %d", code)
	}
	// Consent withdrawal deletes the voiceprints; verification then says NO_CONSENT.
	var cons []store.Consent
	env.do(t, RoleAnalyst, "GET", "/v1/subjects/"+id+"/consents", "", nil, &cons)
	var wd map[string]any
	if code := env.do(t, RoleAnalyst, "DELETE", "/v1/subjects/"+id+"/consents/"+cons[0].ID, "", nil, &wd); code != 200 || wd["voiceprints_deleted"].(float64) != 2 {
		t.Errorf("withdraw: %d %v", code, wd)
	}
	env.do(t, RoleAnalyst, "POST", "/v1/verify?subject_id="+id, "audio/wav", wavBytes(speech(t, aliceCall)), &a)
	if !a.HasReason(engine.ReasonNoConsent) {
		t.Errorf("verify after withdrawal: %+v", a.Reasons)
	}
	if code := env.do(t, RoleAnalyst, "DELETE", "/v1/watchlist/"+wl["id"].(string), "", nil, nil); code != 204 {
		t.Errorf("watchlist remove: %d", code)
	}
	var er store.ErasureReport
	if code := env.do(t, RoleAdmin, "DELETE", "/v1/subjects/"+id, "", nil, &er); code != 200 || er.Calls != 1 {
		t.Errorf("erase: %d %+v", code, er)
	}
	if code := env.do(t, RoleAnalyst, "GET", "/v1/subjects/"+id, "", nil, nil); code != 404 {
		t.Errorf("erased subject: %d", code)
	}
	var tail []store.AuditEntry
	if code := env.do(t, RoleAuditor, "GET", "/v1/audit?limit=5", "", nil, &tail); code != 200 || len(tail) != 5 {
		t.Errorf("audit tail: %d %d", code, len(tail))
	}
	var ver map[string]any
	if env.do(t, RoleAuditor, "GET", "/v1/audit/verify", "", nil, &ver); ver["ok"] != true {
		t.Errorf("audit verify: %v", ver)
	}
	// Bad uploads get problem documents.
	for _, tc := range []struct {
		ct   string
		body []byte
		want int
	}{
		{"audio/wav", []byte("not a wav"), 415},
		{"text/plain", []byte("x"), 415},
		{"multipart/form-data; boundary=zz", []byte("--zz\r\nbroken"), 400},
	} {
		if code := env.do(t, RoleAnalyst, "POST", "/v1/identify", tc.ct, tc.body, &prob); code != tc.want {
			t.Errorf("%s upload: %d %v, want %d", tc.ct, code, prob, tc.want)
		}
	}
	// Metrics and readiness.
	res, _ := http.Get(env.http.URL + "/metrics")
	mb, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, m := range []string{"voxguard_live_calls", "voxguard_audio_seconds_total", "voxguard_assessment_latency_seconds_bucket", "voxguard_decisions_by_reason_total", "voxguard_api_requests_total", "voxguard_voiceprints_cached"} {
		if !bytes.Contains(mb, []byte(m)) {
			t.Errorf("metric %s missing", m)
		}
	}
	if res, _ := http.Get(env.http.URL + "/readyz"); res.StatusCode != 200 {
		t.Errorf("readyz: %d", res.StatusCode)
	}
}

// TestAPIOneShotSecondSystem checks that with a bundle fusing a second speaker system and live
// fusion off, the one-shot verify and identify score uploads with the engine SetRecordingEngine
// gives (Engine.WithSecondSystem on StoreVoices.Fused): the same LLRs and thresholds as an engine
// with the second system on over the same store, not the live engine's first-system ones.
func TestAPIOneShotSecondSystem(t *testing.T) {
	b := fusedTestBundle(t)
	env := newAPIEnvBundle(t, b)
	live := env.srv.eng
	rec, err := live.WithSecondSystem(env.sv.Fused())
	if err != nil {
		t.Fatal(err)
	}
	svOn, err := engine.NewStoreVoices(env.st, b, true)
	if err != nil {
		t.Fatal(err)
	}
	on, err := engine.New(b, engine.Options{Config: engine.Config{SecondSystem: true}, Voiceprints: svOn, Watchlist: svOn, Thresholder: farScale(4)})
	if err != nil {
		t.Fatal(err)
	}
	var sub map[string]any
	env.json(t, RoleAnalyst, "POST", "/v1/subjects", map[string]any{"name": "Alice Example"}, &sub)
	id := sub["id"].(string)
	env.json(t, RoleAnalyst, "POST", "/v1/subjects/"+id+"/consents", map[string]any{"method": "web-form", "evidence_ref": "form-1", "policy_version": "2026-01"}, nil)
	body, ct := multipartWAV(nil, speech(t, "mini-librispeech/1088/1088-134315-0001.wav"), speech(t, "mini-librispeech/1088/1088-134315-0002.wav"),
		speech(t, "mini-librispeech/1088/1088-134315-0003.wav"))
	if code := env.do(t, RoleAnalyst, "POST", "/v1/subjects/"+id+"/enrollments", ct, body, nil); code != 201 {
		t.Fatalf("enrollment: %d", code)
	}
	body, ct = multipartWAV(map[string]string{"label": "ring A", "legal_basis": "GDPR 6(1)(f)", "case_ref": "case-9"}, speech(t, "mini-librispeech/118/118-47824-0001.wav"))
	if code := env.do(t, RoleAnalyst, "POST", "/v1/watchlist", ct, body, nil); code != 201 {
		t.Fatalf("watchlist add: %d", code)
	}
	if err := svOn.ReloadWatchlist(); err != nil {
		t.Fatal(err)
	}
	type verified struct {
		engine.Assessment
		Match float64 `json:"match_threshold_llr"`
	}
	oneShots := func(e *engine.Engine) (v verified, idn map[string]any) {
		env.srv.SetRecordingEngine(e)
		env.do(t, RoleAnalyst, "POST", "/v1/verify?subject_id="+id, "audio/wav", wavBytes(speech(t, aliceCall)), &v)
		env.do(t, RoleAnalyst, "POST", "/v1/identify", "audio/wav", wavBytes(speech(t, otherCall)), &idn)
		return v, idn
	}
	vLive, iLive := oneShots(live)
	vOn, iOn := oneShots(on)
	vRec, iRec := oneShots(rec)
	if vRec.Verification.LLR == 0 || vRec.Verification.LLR != vOn.Verification.LLR || vRec.Match != vOn.Match {
		t.Errorf("verify: LLR %v against %v, want the fused engine's %v against %v", vRec.Verification.LLR, vRec.Match, vOn.Verification.LLR, vOn.Match)
	}
	if vRec.Verification.LLR == vLive.Verification.LLR {
		t.Errorf("verify: LLR %v is the live engine's", vRec.Verification.LLR)
	}
	hits := func(m map[string]any) string { return fmt.Sprint(m["watchlist"]) }
	if hits(iRec) != hits(iOn) || hits(iRec) == hits(iLive) || len(iRec["watchlist"].([]any)) == 0 {
		t.Errorf("identify hits %v, want the fused engine's %v (live %v)", hits(iRec), hits(iOn), hits(iLive))
	}
}
