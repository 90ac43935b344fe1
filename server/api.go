package server

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/store"
)

// The REST API works on the store through the engine's store adapter (voiceprints, watchlist,
// enrollment) and on the store's records directly (subjects, consents, calls, audit, keys):
// those are plain records the engine adds no rule to.

// maxUpload caps an audio upload (all files of one request): 32 MiB, over half an hour of
// 8 kHz 16-bit audio.
const maxUpload = 32 << 20

// apiRoute is one REST endpoint: its method and path pattern (net/http ServeMux syntax), the
// roles allowed (admin always is), and what the OpenAPI document says of it.
type apiRoute struct {
	Method, Path string
	Roles        []Role
	Summary      string
	Request      string // request body content type(s), "" for none
	Target       string // path value naming the audit target: "subject", "entry", "call", "key" or ""
	handle       func(r *apiRequest) (any, int, error)
}

// apiRequest is one authenticated request.
type apiRequest struct {
	*http.Request
	w   http.ResponseWriter
	key Key
}

// actor is the audit actor of the request.
func (r *apiRequest) actor() string { return r.key.ID }

// apiError is an error with an HTTP status for the problem document.
type apiError struct {
	Status int
	Detail string
	Extra  map[string]any
}

func (e *apiError) Error() string { return e.Detail }

func badRequest(format string, a ...any) error {
	return &apiError{Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, a...)}
}

// statusOf maps an error to an HTTP status.
func statusOf(err error) (int, string) {
	var ae *apiError
	var fe *audio.FormatError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae.Status, ae.Detail
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", mbe.Limit)
	case errors.As(err, &fe):
		return http.StatusUnsupportedMediaType, "unsupported or malformed WAV: " + err.Error()
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, store.ErrExists):
		return http.StatusConflict, err.Error()
	case errors.Is(err, store.ErrInvalid):
		return http.StatusUnprocessableEntity, err.Error()
	case errors.Is(err, store.ErrNoConsent), errors.Is(err, engine.ErrNoConsent):
		return http.StatusConflict, "the subject has no active consent to voice verification"
	}
	return http.StatusInternalServerError, "internal error"
}

// SetStore makes the server persist to a store: the REST API is served, call records (with
// their assessments) are stored when calls end, and the store's API keys are accepted. sv
// must be the Voiceprints and Watchlist source of the server's engine.
func (s *Server) SetStore(sv *engine.StoreVoices) {
	s.sv, s.st = sv, sv.Store()
	s.recent = newRecentCalls(64, 30*time.Minute)
}

// apiRoutes returns the REST API's routes.
func (s *Server) apiRoutes() []apiRoute {
	an, adm, aud := []Role{RoleAnalyst}, []Role{}, []Role{RoleAuditor}
	wav := "audio/wav, multipart/form-data"
	return []apiRoute{
		{"GET", "/v1/subjects", an, "List subjects in id order, personal data masked (?after=ID, ?limit= 1-1000, default 100)", "", "", s.apiListSubjects},
		{"POST", "/v1/subjects", an, "Create a subject (personal data optional; returned masked)", "application/json", "", s.apiCreateSubject},
		{"GET", "/v1/subjects/{id}", []Role{RoleAnalyst, RoleAgent}, "Show a subject, personal data masked", "", "subject", s.apiGetSubject},
		{"DELETE", "/v1/subjects/{id}", adm, "Erase a subject and every record naming it", "", "subject", s.apiEraseSubject},
		{"GET", "/v1/subjects/{id}/export", an, "Export everything held about a subject (data-subject access request)", "", "subject", s.apiExport},
		{"GET", "/v1/subjects/{id}/consents", an, "List a subject's consents", "", "subject", s.apiListConsents},
		{"POST", "/v1/subjects/{id}/consents", an, "Record a consent", "application/json", "subject", s.apiGrantConsent},
		{"DELETE", "/v1/subjects/{id}/consents/{consent}", an, "Withdraw a consent (deletes the voiceprints it covered)", "", "subject", s.apiWithdrawConsent},
		{"GET", "/v1/subjects/{id}/voiceprints", an, "List a subject's voiceprints (metadata only)", "", "subject", s.apiListVoiceprints},
		{"POST", "/v1/subjects/{id}/enrollments", an, "Enroll from uploaded WAV files (quality-gated, watchlist-screened)", wav, "subject", s.apiEnrollUpload},
		{"POST", "/v1/subjects/{id}/enrollments/from-call", an, "Enroll from a finished call's statistics ({\"call_id\"})", "application/json", "subject", s.apiEnrollCall},
		{"GET", "/v1/watchlist", an, "List watchlist entries", "", "", s.apiListWatchlist},
		{"POST", "/v1/watchlist", an, "Add a watchlist entry from WAV files (label, legal_basis, case_ref as query or form fields)", wav, "", s.apiAddWatchlist},
		{"DELETE", "/v1/watchlist/{entry}", an, "Remove a watchlist entry", "", "entry", s.apiRemoveWatchlist},
		{"POST", "/v1/verify", an, "Verify an uploaded WAV against a subject's voiceprint (1:1; ?subject_id=); the final assessment with the match threshold it was compared with (the degraded-channel one where the channel detector called either side degraded) and the mismatch threshold", wav, "", s.apiVerify},
		{"POST", "/v1/identify", an, "Search the watchlist for the voice of an uploaded WAV (1:N); hits with the watchlist thresholds for clean and degraded-channel trials", wav, "", s.apiIdentify},
		{"GET", "/v1/calls", []Role{RoleAnalyst, RoleAgent}, "List stored call records (?subject_id=, ?after=, ?limit=)", "", "", s.apiListCalls},
		{"GET", "/v1/calls/{call}", []Role{RoleAnalyst, RoleAgent}, "Show a call record with its assessments", "", "call", s.apiGetCall},
		{"GET", "/v1/audit", aud, "Tail the audit log (?from=SEQ or the last ?limit= entries)", "", "", s.apiAudit},
		{"GET", "/v1/audit/verify", aud, "Verify the audit hash chain", "", "", s.apiAuditVerify},
		{"GET", "/v1/keys", adm, "List API keys (hashes never shown)", "", "", s.apiListKeys},
		{"POST", "/v1/keys", adm, "Create an API key ({\"role\",\"label\"}); the key is shown once", "application/json", "", s.apiCreateKey},
		{"DELETE", "/v1/keys/{key}", adm, "Revoke an API key", "", "key", s.apiRevokeKey},
	}
}

// registerAPI adds the REST API to mux.
func (s *Server) registerAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/openapi.json", s.serveOpenAPI)
	for _, rt := range s.apiRoutes() {
		mux.HandleFunc(rt.Method+" "+rt.Path, s.apiHandler(rt))
	}
}

// apiHandler authenticates (401 without or with a bad key, 403 for a role not allowed), runs
// the route and writes its JSON or problem document; every request is audited.
func (s *Server) apiHandler(rt apiRoute) http.HandlerFunc {
	action := "api " + rt.Method + " " + rt.Path
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		target := rt.Path
		switch rt.Target {
		case "subject":
			target = s.st.SubjectTarget(r.PathValue("id"))
		case "entry":
			target = "watchlist:" + r.PathValue("entry")
		case "call":
			target = "call:" + r.PathValue("call")
		case "key":
			target = "apikey:" + r.PathValue("key")
		}
		status, actor := 0, "anonymous"
		defer func() {
			outcome := store.OutcomeOK
			if status >= 400 {
				outcome = store.OutcomeDeniedPrefix + strconv.Itoa(status)
			}
			s.st.Audit(actor, action, target, outcome)
			s.metricsAPI(rt, status, time.Since(start))
			s.log.Info("api", "method", rt.Method, "route", rt.Path, "status", status, "actor", actor,
				"ms", time.Since(start).Milliseconds())
		}()
		h := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(tok) == "" {
			status = http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Bearer realm="voxguard"`)
			s.problem(w, status, "missing bearer token")
			return
		}
		k, ok := s.auth.Authenticate(strings.TrimSpace(tok))
		if !ok {
			status = http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Bearer realm="voxguard", error="invalid_token"`)
			s.problem(w, status, "unknown or revoked API key")
			return
		}
		actor = k.ID
		allowed := k.Role == RoleAdmin
		for _, ro := range rt.Roles {
			allowed = allowed || k.Role == ro
		}
		if !allowed {
			status = http.StatusForbidden
			s.problem(w, status, fmt.Sprintf("role %s may not %s %s", k.Role, rt.Method, rt.Path))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		v, st, err := rt.handle(&apiRequest{Request: r, w: w, key: k})
		if err != nil {
			var detail string
			status, detail = statusOf(err)
			if status == http.StatusInternalServerError {
				s.log.Error("api", "route", rt.Path, "err", err.Error())
			}
			var ae *apiError
			if errors.As(err, &ae) && ae.Extra != nil {
				s.problemExtra(w, status, detail, ae.Extra)
			} else {
				s.problem(w, status, detail)
			}
			return
		}
		status = st
		if status == 0 {
			status = http.StatusOK
		}
		if v == nil {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
}

// problemExtra writes a problem document with extension members.
func (s *Server) problemExtra(w http.ResponseWriter, status int, detail string, extra map[string]any) {
	m := map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail}
	for k, v := range extra {
		m[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(m)
}

// decodeJSON reads a JSON request body into v, refusing unknown fields.
func decodeJSON(r *apiRequest, v any) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Detail: "want Content-Type: application/json"}
	}
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("invalid JSON body: %v", err)
	}
	return nil
}

// upload is an audio upload: the recordings at the engine's rate, and form fields.
type upload struct {
	audio  [][]float32
	fields map[string]string
}

// field returns a form field or, failing that, a query parameter.
func (u *upload) field(r *apiRequest, name string) string {
	if v := u.fields[name]; v != "" {
		return v
	}
	return r.URL.Query().Get(name)
}

// readUpload reads one WAV body (audio/wav, audio/x-wav, audio/wave, application/octet-stream)
// or a multipart form whose file parts are WAVs and other parts fields; each recording's first
// channel is resampled to the engine's rate.
func (s *Server) readUpload(r *apiRequest) (*upload, error) {
	u := &upload{fields: map[string]string{}}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "application/octet-stream":
		x, err := s.decodeWAV(r.Body)
		if err != nil {
			return nil, err
		}
		u.audio = append(u.audio, x)
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, err
				}
				return nil, badRequest("malformed multipart body: %v", err)
			}
			if p.FileName() == "" {
				b, err := io.ReadAll(io.LimitReader(p, 4096))
				if err != nil {
					return nil, badRequest("malformed multipart body: %v", err)
				}
				u.fields[p.FormName()] = string(b)
				continue
			}
			x, err := s.decodeWAV(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.FileName(), err) // which of several files
			}
			u.audio = append(u.audio, x)
		}
	default:
		return nil, &apiError{Status: http.StatusUnsupportedMediaType, Detail: "want a WAV body (audio/wav) or multipart/form-data with WAV files"}
	}
	if len(u.audio) == 0 {
		return nil, badRequest("no audio in the request")
	}
	return u, nil
}

func (s *Server) decodeWAV(r io.Reader) ([]float32, error) {
	a, err := audio.ReadWAV(r)
	if err != nil {
		return nil, err
	}
	x, err := a.Channel(0)
	if err != nil {
		return nil, err
	}
	if a.Info.SampleRate != s.eng.SampleRate() {
		if x, err = audio.Resample(x, a.Info.SampleRate, s.eng.SampleRate()); err != nil {
			return nil, &apiError{Status: http.StatusUnsupportedMediaType, Detail: err.Error()}
		}
	}
	return x, nil
}

// --- subjects -------------------------------------------------------------------------------

type subjectIn struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name,omitempty"`
	Phone      string `json:"phone,omitempty"`
	AccountRef string `json:"account_ref,omitempty"`
}

func (s *Server) apiCreateSubject(r *apiRequest) (any, int, error) {
	var in subjectIn
	if err := decodeJSON(r, &in); err != nil {
		return nil, 0, err
	}
	sub, err := s.st.CreateSubject(r.actor(), store.Subject{ID: in.ID, Name: in.Name, Phone: in.Phone, AccountRef: in.AccountRef})
	if err != nil {
		return nil, 0, err
	}
	return sub.Masked(), http.StatusCreated, nil
}

// apiListSubjects lists subjects, masked, a page at a time: ?after= is the last id of the
// previous page.
func (s *Server) apiListSubjects(r *apiRequest) (any, int, error) {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, 0, badRequest("limit must be 1-1000")
		}
		limit = n
	}
	subs, err := s.st.ListSubjects(q.Get("after"), limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]store.Subject, 0, len(subs))
	for _, sub := range subs {
		out = append(out, sub.Masked())
	}
	return out, 0, nil
}

func (s *Server) apiGetSubject(r *apiRequest) (any, int, error) {
	sub, err := s.st.GetSubject(r.PathValue("id"))
	if err != nil {
		return nil, 0, err
	}
	return sub.Masked(), 0, nil
}

func (s *Server) apiEraseSubject(r *apiRequest) (any, int, error) {
	id := r.PathValue("id")
	rep, err := s.st.EraseSubject(r.actor(), id)
	s.sv.Invalidate(id)
	if err != nil {
		return nil, 0, err
	}
	return rep, 0, nil
}

func (s *Server) apiExport(r *apiRequest) (any, int, error) {
	b, err := s.st.Export(r.actor(), r.PathValue("id"))
	if err != nil {
		return nil, 0, err
	}
	return json.RawMessage(b), 0, nil
}

// --- consents -------------------------------------------------------------------------------

type consentIn struct {
	Purpose       string    `json:"purpose"`
	Method        string    `json:"method"`
	EvidenceRef   string    `json:"evidence_ref"`
	PolicyVersion string    `json:"policy_version"`
	Granted       time.Time `json:"granted,omitzero"`
}

func (s *Server) apiListConsents(r *apiRequest) (any, int, error) {
	id := r.PathValue("id")
	if _, err := s.st.GetSubject(id); err != nil {
		return nil, 0, err
	}
	cs, err := s.st.ListConsents(id)
	if cs == nil {
		cs = []store.Consent{}
	}
	return cs, 0, err
}

func (s *Server) apiGrantConsent(r *apiRequest) (any, int, error) {
	var in consentIn
	if err := decodeJSON(r, &in); err != nil {
		return nil, 0, err
	}
	if in.Purpose == "" {
		in.Purpose = store.PurposeVoiceVerification
	}
	c, err := s.st.GrantConsent(r.actor(), store.Consent{SubjectID: r.PathValue("id"), Purpose: in.Purpose, Method: in.Method,
		EvidenceRef: in.EvidenceRef, PolicyVersion: in.PolicyVersion, Granted: in.Granted})
	if err != nil {
		return nil, 0, err
	}
	s.sv.Invalidate(c.SubjectID)
	return c, http.StatusCreated, nil
}

func (s *Server) apiWithdrawConsent(r *apiRequest) (any, int, error) {
	id := r.PathValue("id")
	n, err := s.st.WithdrawConsent(r.actor(), id, r.PathValue("consent"))
	s.sv.Invalidate(id)
	if err != nil {
		return nil, 0, err
	}
	return map[string]any{"withdrawn": true, "voiceprints_deleted": n}, 0, nil
}

// --- voiceprints and enrollment ---------------------------------------------------------------

// voiceprintInfo is a voiceprint's metadata (the statistics are not shown).
type voiceprintInfo struct {
	ID            string             `json:"id"`
	BundleVersion string             `json:"bundle_version"`
	SpeechSeconds float64            `json:"speech_seconds"`
	Quality       map[string]float64 `json:"quality,omitempty"`
	Source        string             `json:"source"`
	Created       time.Time          `json:"created"`
}

func (s *Server) apiListVoiceprints(r *apiRequest) (any, int, error) {
	id := r.PathValue("id")
	if _, err := s.st.GetSubject(id); err != nil {
		return nil, 0, err
	}
	vps, err := s.st.ListVoiceprints(id)
	out := []voiceprintInfo{}
	for _, v := range vps {
		out = append(out, voiceprintInfo{v.ID, v.BundleVersion, v.SpeechSeconds, v.Quality, v.Source, v.Created})
	}
	return out, 0, err
}

// enrollResult writes an enrollment report: 201 when stored, 422 (with the report) when refused.
func enrollResult(rep engine.EnrollmentReport, err error) (any, int, error) {
	if errors.Is(err, engine.ErrNoConsent) {
		return nil, 0, &apiError{Status: http.StatusConflict, Detail: "the subject has no active consent to voice verification",
			Extra: map[string]any{"problems": []string{engine.ProblemNoConsent}}}
	}
	if err != nil {
		return nil, 0, err
	}
	if !rep.Accepted {
		return nil, 0, &apiError{Status: http.StatusUnprocessableEntity, Detail: "enrollment refused: " + strings.Join(rep.Problems, ", "),
			Extra: map[string]any{"report": rep}}
	}
	return rep, http.StatusCreated, nil
}

func (s *Server) apiEnrollUpload(r *apiRequest) (any, int, error) {
	id := r.PathValue("id")
	if _, err := s.st.GetSubject(id); err != nil {
		return nil, 0, err
	}
	u, err := s.readUpload(r)
	if err != nil {
		return nil, 0, err
	}
	var samples []engine.Sample
	for i, x := range u.audio {
		smp, err := s.eng.AnalyzeAudio(fmt.Sprintf("upload:%d", i+1), x, s.cfg.Enroll)
		if err != nil {
			return nil, 0, err
		}
		samples = append(samples, smp)
	}
	return enrollResult(s.eng.Enroll(s.sv, r.actor(), id, samples, s.cfg.Enroll))
}

func (s *Server) apiEnrollCall(r *apiRequest) (any, int, error) {
	id := r.PathValue("id")
	var in struct {
		CallID string `json:"call_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return nil, 0, err
	}
	st, claimed, ok := s.recent.get(in.CallID)
	if !ok {
		return nil, 0, &apiError{Status: http.StatusNotFound, Detail: "no finished call with that id in the recent-calls buffer (statistics are kept 30 minutes)"}
	}
	if claimed != id {
		return nil, 0, &apiError{Status: http.StatusConflict, Detail: "the call did not claim this subject"}
	}
	smp := s.eng.AnalyzeStats("call:"+in.CallID, st, s.cfg.Enroll)
	return enrollResult(s.eng.Enroll(s.sv, r.actor(), id, []engine.Sample{smp}, s.cfg.Enroll))
}

// --- watchlist ------------------------------------------------------------------------------

// watchInfo is a watchlist entry without its statistics.
type watchInfo struct {
	ID            string    `json:"id"`
	Label         string    `json:"label"`
	CaseRef       string    `json:"case_ref"`
	LegalBasis    string    `json:"legal_basis"`
	AddedBy       string    `json:"added_by"`
	Added         time.Time `json:"added"`
	SpeechSeconds float64   `json:"speech_seconds"`
}

func infoOf(e store.WatchlistEntry) watchInfo {
	return watchInfo{e.ID, e.Label, e.CaseRef, e.LegalBasis, e.AddedBy, e.Added, e.Voiceprint.SpeechSeconds}
}

func (s *Server) apiListWatchlist(r *apiRequest) (any, int, error) {
	out := []watchInfo{}
	err := s.st.LoadWatchlist(func(e store.WatchlistEntry) error {
		out = append(out, infoOf(e))
		return nil
	})
	return out, 0, err
}

func (s *Server) apiAddWatchlist(r *apiRequest) (any, int, error) {
	u, err := s.readUpload(r)
	if err != nil {
		return nil, 0, err
	}
	e := store.WatchlistEntry{Label: u.field(r, "label"), LegalBasis: u.field(r, "legal_basis"), CaseRef: u.field(r, "case_ref")}
	if e.Label == "" || e.LegalBasis == "" || e.CaseRef == "" {
		return nil, 0, badRequest("a watchlist entry needs label, legal_basis and case_ref")
	}
	merged := s.eng.Bundle().NewStats() // both speaker systems' statistics, when the bundle has two
	for _, x := range u.audio {
		st, err := s.eng.Stats(x)
		if err != nil {
			return nil, 0, err
		}
		merged.Add(st)
	}
	secs := s.eng.AnalyzeStats("", merged, s.cfg.Enroll).Report.SpeechSeconds
	if secs < 1 {
		return nil, 0, &apiError{Status: http.StatusUnprocessableEntity, Detail: "less than 1 s of speech in the upload"}
	}
	e, err = s.sv.AddWatchlist(r.actor(), e, merged, secs, "upload")
	if err != nil {
		return nil, 0, err
	}
	return infoOf(e), http.StatusCreated, nil
}

func (s *Server) apiRemoveWatchlist(r *apiRequest) (any, int, error) {
	if err := s.sv.RemoveWatchlist(r.actor(), r.PathValue("entry")); err != nil {
		return nil, 0, err
	}
	return nil, http.StatusNoContent, nil
}

// --- one-shot verify and identify -------------------------------------------------------------

// oneShot runs an uploaded recording through a session (claiming subject, if any) and returns
// its final assessment.
func (s *Server) oneShot(r *apiRequest, subject string) (engine.Assessment, error) {
	u, err := s.readUpload(r)
	if err != nil {
		return engine.Assessment{}, err
	}
	sess := s.rec.NewSession("upload")
	if subject != "" {
		sess.Claim(subject)
	}
	for _, x := range u.audio {
		if _, err := sess.Push(x); err != nil {
			return engine.Assessment{}, err
		}
	}
	return sess.Stop()
}

func (s *Server) apiVerify(r *apiRequest) (any, int, error) {
	subject := r.URL.Query().Get("subject_id")
	if subject == "" {
		return nil, 0, badRequest("verify needs ?subject_id=")
	}
	if _, err := s.st.GetSubject(subject); err != nil {
		return nil, 0, err
	}
	a, err := s.oneShot(r, subject)
	if err != nil {
		return nil, 0, err
	}
	a.CallID = ""
	th := s.rec.Thresholds()
	match, ok := a.MatchThreshold() // the degraded-channel threshold where that applied
	if !ok {
		match = th.Match
	}
	return verifyResult{a, match, th.Mismatch}, 0, nil
}

// verifyResult is a one-shot verification: the final assessment with the decision thresholds
// its verification LLR was compared with.
type verifyResult struct {
	engine.Assessment
	MatchThreshold    float64 `json:"match_threshold_llr"`    // LLR at or above: match (this trial's channel)
	MismatchThreshold float64 `json:"mismatch_threshold_llr"` // LLR at or below: mismatch
}

func (s *Server) apiIdentify(r *apiRequest) (any, int, error) {
	a, err := s.oneShot(r, "")
	if err != nil {
		return nil, 0, err
	}
	th := s.rec.ThresholdsAt(a.SpeechSeconds) // the fused trials' or, past the fusion's limit, the first system's
	return map[string]any{"speech_seconds": a.SpeechSeconds, "watchlist": a.Watchlist,
		"threshold_llr": th.Watchlist, "threshold_llr_degraded_channel": th.WatchlistDegraded,
		"risk": a.Risk, "band": a.Band, "reasons": a.Reasons}, 0, nil
}

// --- calls ----------------------------------------------------------------------------------

func (s *Server) apiListCalls(r *apiRequest) (any, int, error) {
	q := r.URL.Query()
	var recs []store.CallRecord
	var err error
	if sub := q.Get("subject_id"); sub != "" {
		recs, err = s.st.ListCallsForSubject(sub)
	} else {
		limit, _ := strconv.Atoi(q.Get("limit"))
		recs, err = s.st.ListCalls(q.Get("after"), min(max(limit, 0), 1000))
	}
	if recs == nil {
		recs = []store.CallRecord{}
	}
	return recs, 0, err
}

func (s *Server) apiGetCall(r *apiRequest) (any, int, error) {
	rec, err := s.st.GetCall(r.PathValue("call"))
	if err != nil {
		return nil, 0, err
	}
	return rec, 0, nil
}

// --- audit ----------------------------------------------------------------------------------

func (s *Server) apiAudit(r *apiRequest) (any, int, error) {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, 0, badRequest("limit must be 1-10000")
		}
		limit = n
	}
	var from uint64
	if v := q.Get("from"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, 0, badRequest("from must be a sequence number")
		}
		from = n
	} else {
		head, err := s.st.AuditHead()
		if err != nil {
			return nil, 0, err
		}
		if head > uint64(limit) {
			from = head - uint64(limit) + 1
		}
	}
	es, err := s.st.AuditEntries(from, limit)
	if es == nil {
		es = []store.AuditEntry{}
	}
	return es, 0, err
}

func (s *Server) apiAuditVerify(r *apiRequest) (any, int, error) {
	rep, err := s.st.VerifyAudit()
	if err != nil {
		var p *store.AuditProblem
		if errors.As(err, &p) {
			return map[string]any{"ok": false, "problem": p.Error()}, 0, nil
		}
		return nil, 0, err
	}
	return map[string]any{"ok": true, "report": rep}, 0, nil
}

// --- API keys -------------------------------------------------------------------------------

// keyInfo is an API key without its hash.
type keyInfo struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	Label     string    `json:"label,omitempty"`
	Created   time.Time `json:"created"`
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
}

// NewKey is a freshly created key: Key ("ID.SECRET") is what clients present, shown only once;
// an ingest key also has the base64 AudioHook client secret.
type NewKey struct {
	ID                    string `json:"id"`
	Role                  string `json:"role"`
	Key                   string `json:"key"`
	AudioHookClientSecret string `json:"audiohook_client_secret,omitempty"`
}

// CreateKey makes an API key in st (and, for an ingest key, its AudioHook client secret).
func CreateKey(st *store.Store, actor string, role store.Role, label string) (NewKey, error) {
	k, secret, err := st.CreateAPIKey(actor, role, label)
	if err != nil {
		return NewKey{}, err
	}
	out := NewKey{ID: k.ID, Role: string(k.Role), Key: k.ID + "." + secret}
	if role == store.RoleIngest {
		cs := make([]byte, 32)
		if _, err := randRead(cs); err != nil {
			return NewKey{}, err
		}
		if err := st.SetKeySecret(actor, k.ID, cs); err != nil {
			return NewKey{}, err
		}
		out.AudioHookClientSecret = b64std(cs)
	}
	return out, nil
}

func (s *Server) apiCreateKey(r *apiRequest) (any, int, error) {
	var in struct {
		Role  string `json:"role"`
		Label string `json:"label"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return nil, 0, err
	}
	k, err := CreateKey(s.st, r.actor(), store.Role(in.Role), in.Label)
	if err != nil {
		return nil, 0, err
	}
	return k, http.StatusCreated, nil
}

func (s *Server) apiListKeys(r *apiRequest) (any, int, error) {
	ks, err := s.st.ListAPIKeys()
	out := []keyInfo{}
	for _, k := range ks {
		out = append(out, keyInfo{k.ID, string(k.Role), k.Label, k.Created, k.Revoked, k.RevokedBy})
	}
	return out, 0, err
}

func (s *Server) apiRevokeKey(r *apiRequest) (any, int, error) {
	if err := s.st.RevokeAPIKey(r.actor(), r.PathValue("key")); err != nil {
		return nil, 0, err
	}
	return nil, http.StatusNoContent, nil
}

// --- recent calls' statistics, for enrollment from a call -----------------------------------

// recentCalls keeps the statistics of the last few finished calls for a while, so that an
// analyst can enroll a consenting caller from a call just ended. It is bounded in count and age.
type recentCalls struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	order []string
	m     map[string]recentCall
}

type recentCall struct {
	stats   *models.Stats
	subject string
	at      time.Time
}

func randRead(b []byte) (int, error) { return rand.Read(b) }

func b64std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func newRecentCalls(n int, ttl time.Duration) *recentCalls {
	return &recentCalls{max: n, ttl: ttl, m: map[string]recentCall{}}
}

// put keeps st, the finished call's statistics, which nothing may modify afterwards (a stopped
// session's are final): it is not copied, as a copy of every call's ~250 KB of statistics at
// the end of the call cost 2.7 % of the server's CPU under 500 live calls.
func (rc *recentCalls) put(callID, subject string, st *models.Stats) {
	if rc == nil {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, ok := rc.m[callID]; !ok {
		rc.order = append(rc.order, callID)
	}
	rc.m[callID] = recentCall{st, subject, time.Now()}
	for len(rc.order) > rc.max {
		delete(rc.m, rc.order[0])
		rc.order = rc.order[1:]
	}
}

func (rc *recentCalls) get(callID string) (*models.Stats, string, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	c, ok := rc.m[callID]
	if !ok || time.Since(c.at) > rc.ttl {
		return nil, "", false
	}
	return c.stats, c.subject, true
}
