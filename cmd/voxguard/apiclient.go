package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/server"
	"github.com/voxguard/voxguard/store"
)

// APIClient is a small typed client of the voxguard REST API (server/api.go): one method per
// REST call, returning decoded values. Failures are an *APIError when the server answered
// with an error status (carrying the status and the RFC 9457 problem document), a *NetError
// when it could not be reached, or another error (an unreadable local file, a malformed
// reply). It is safe for concurrent use. The token is sent only in the Authorization header
// and never appears in errors.
type APIClient struct {
	base  *url.URL
	token string
	// HTTP is the client requests go through (default: a client without a timeout: give each
	// call a context with a deadline instead).
	HTTP *http.Client
}

// NewAPIClient returns a client of the server at serverURL (e.g. "http://127.0.0.1:8080")
// presenting token ("ID.SECRET", from `voxguard keys create`) as a bearer token.
func NewAPIClient(serverURL, token string) (*APIClient, error) {
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST:PORT or https://HOST[:PORT]", serverURL)
	}
	return &APIClient{base: u, token: token, HTTP: &http.Client{}}, nil
}

// APIError is an error status from the server with its problem document (RFC 9457).
type APIError struct {
	Method, Path string // the request, e.g. "GET", "/v1/subjects/sub_1"
	Status       int    // HTTP status
	Title        string // the problem's title (the status text)
	Detail       string // the problem's detail: what went wrong, for a person
	// Problem is the whole problem document, extension members included (e.g. "report" of a
	// refused enrollment, "problems" of a refusal for want of consent); nil when the body was
	// not a problem document.
	Problem map[string]json.RawMessage
}

// Error formats the error as "<detail> (HTTP <status>)".
func (e *APIError) Error() string {
	d := e.Detail
	if d == "" {
		d = strings.ToLower(http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s (HTTP %d)", d, e.Status)
}

// NetError is a failure to reach the server or to read its reply (connection refused, DNS,
// TLS, timeout).
type NetError struct {
	Method, URL string
	Err         error
}

// Error implements error.
func (e *NetError) Error() string {
	return fmt.Sprintf("cannot reach the server (%s %s): %v", e.Method, e.URL, e.Err)
}

// Unwrap returns the underlying error.
func (e *NetError) Unwrap() error { return e.Err }

// ServerURL returns the server's base URL.
func (c *APIClient) ServerURL() string { return c.base.String() }

// do sends a request to path (with query q) and decodes a JSON reply into out (unless out is
// nil or the reply is empty). body, if not nil, is sent with Content-Type ctype.
func (c *APIClient) do(ctx context.Context, method, path string, q url.Values, ctype string, body io.Reader, out any) error {
	// path is already escaped (seg): join it as a string, so that it is not escaped twice.
	target := c.base.String() + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", "voxguard-cli/"+version)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		// A local file that cannot be read fails the upload: report that, not the network.
		var fe *fileError
		if errors.As(err, &fe) {
			return fe
		}
		return &NetError{Method: method, URL: c.base.String() + path, Err: unwrapURLError(err)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return &NetError{Method: method, URL: c.base.String() + path, Err: err}
	}
	if res.StatusCode >= 400 {
		ae := &APIError{Method: method, Path: path, Status: res.StatusCode, Title: http.StatusText(res.StatusCode)}
		var p map[string]json.RawMessage
		if json.Unmarshal(b, &p) == nil {
			ae.Problem = p
			json.Unmarshal(p["title"], &ae.Title)
			json.Unmarshal(p["detail"], &ae.Detail)
		}
		return ae
	}
	if out == nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], b...)
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("malformed reply to %s %s: %v", method, path, err)
	}
	return nil
}

// unwrapURLError drops *url.Error's "Get URL:" prefix (the caller names the URL).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

func (c *APIClient) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, "GET", path, q, "", nil, out)
}

func (c *APIClient) sendJSON(ctx context.Context, method, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, nil, "application/json", bytes.NewReader(b), out)
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// Ready reports whether the server is ready (GET /readyz: accepting calls, store answering):
// nil when it is, an *APIError (503) while it is not, a *NetError while it cannot be reached.
// It sends no token.
func (c *APIClient) Ready(ctx context.Context) error {
	anon := *c
	anon.token = ""
	return anon.do(ctx, "GET", "/readyz", nil, "", nil, nil)
}

// --- subjects -------------------------------------------------------------------------------

// SubjectInput is a new subject: every field optional (the server makes an opaque id when ID
// is empty). Personal data is sent to the server and comes back masked.
type SubjectInput struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name,omitempty"`
	Phone      string `json:"phone,omitempty"`
	AccountRef string `json:"account_ref,omitempty"`
}

// CreateSubject creates a subject (POST /v1/subjects) and returns it masked.
func (c *APIClient) CreateSubject(ctx context.Context, in SubjectInput) (store.Subject, error) {
	var out store.Subject
	err := c.sendJSON(ctx, "POST", "/v1/subjects", in, &out)
	return out, err
}

// GetSubject returns a subject, masked (GET /v1/subjects/{id}).
func (c *APIClient) GetSubject(ctx context.Context, id string) (store.Subject, error) {
	var out store.Subject
	err := c.getJSON(ctx, "/v1/subjects/"+seg(id), nil, &out)
	return out, err
}

// ListSubjects returns one page of subjects in id order, masked (GET /v1/subjects): those
// after the id after ("" from the start), at most limit (0: the server's default, 100).
func (c *APIClient) ListSubjects(ctx context.Context, after string, limit int) ([]store.Subject, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out []store.Subject
	err := c.getJSON(ctx, "/v1/subjects", q, &out)
	return out, err
}

// EraseSubject erases a subject and every record naming it (DELETE /v1/subjects/{id}; admin).
func (c *APIClient) EraseSubject(ctx context.Context, id string) (store.ErasureReport, error) {
	var out store.ErasureReport
	err := c.do(ctx, "DELETE", "/v1/subjects/"+seg(id), nil, "", nil, &out)
	return out, err
}

// ExportSubject returns everything held about a subject, unmasked, as the server's JSON
// document (GET /v1/subjects/{id}/export; see store.SubjectExport). The access is audited.
func (c *APIClient) ExportSubject(ctx context.Context, id string) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.getJSON(ctx, "/v1/subjects/"+seg(id)+"/export", nil, &out)
	return out, err
}

// --- consents -------------------------------------------------------------------------------

// ConsentInput is a consent to record. Purpose defaults to voice verification on the server;
// Method, EvidenceRef and PolicyVersion are required; Granted defaults to now.
type ConsentInput struct {
	Purpose       string    `json:"purpose,omitempty"`
	Method        string    `json:"method"`
	EvidenceRef   string    `json:"evidence_ref"`
	PolicyVersion string    `json:"policy_version"`
	Granted       time.Time `json:"granted,omitzero"`
}

// GrantConsent records a consent (POST /v1/subjects/{id}/consents).
func (c *APIClient) GrantConsent(ctx context.Context, subjectID string, in ConsentInput) (store.Consent, error) {
	var out store.Consent
	err := c.sendJSON(ctx, "POST", "/v1/subjects/"+seg(subjectID)+"/consents", in, &out)
	return out, err
}

// ListConsents lists a subject's consents, withdrawn ones included (GET /v1/subjects/{id}/consents).
func (c *APIClient) ListConsents(ctx context.Context, subjectID string) ([]store.Consent, error) {
	var out []store.Consent
	err := c.getJSON(ctx, "/v1/subjects/"+seg(subjectID)+"/consents", nil, &out)
	return out, err
}

// WithdrawResult is the answer to a consent withdrawal.
type WithdrawResult struct {
	Withdrawn          bool `json:"withdrawn"`
	VoiceprintsDeleted int  `json:"voiceprints_deleted"` // voiceprints the consent covered, now deleted
}

// WithdrawConsent withdraws a consent, deleting the voiceprints it covered
// (DELETE /v1/subjects/{id}/consents/{consent}).
func (c *APIClient) WithdrawConsent(ctx context.Context, subjectID, consentID string) (WithdrawResult, error) {
	var out WithdrawResult
	err := c.do(ctx, "DELETE", "/v1/subjects/"+seg(subjectID)+"/consents/"+seg(consentID), nil, "", nil, &out)
	return out, err
}

// --- voiceprints and enrollment ---------------------------------------------------------------

// VoiceprintInfo is a voiceprint's metadata (GET /v1/subjects/{id}/voiceprints).
type VoiceprintInfo struct {
	ID            string             `json:"id"`
	BundleVersion string             `json:"bundle_version"`
	SpeechSeconds float64            `json:"speech_seconds"`
	Quality       map[string]float64 `json:"quality,omitempty"`
	Source        string             `json:"source"`
	Created       time.Time          `json:"created"`
}

// ListVoiceprints lists a subject's voiceprints (metadata only).
func (c *APIClient) ListVoiceprints(ctx context.Context, subjectID string) ([]VoiceprintInfo, error) {
	var out []VoiceprintInfo
	err := c.getJSON(ctx, "/v1/subjects/"+seg(subjectID)+"/voiceprints", nil, &out)
	return out, err
}

// Progress is told, as an upload goes, how many bytes of the files have been sent of the total
// (the files' sizes). It is called from the goroutine writing the request body.
type Progress func(sent, total int64)

// Enroll enrolls a subject from WAV files, all in one request (POST
// /v1/subjects/{id}/enrollments): the server checks each file's quality and merges the
// accepted ones into one voiceprint. The report's Samples are in the order of files. A refused
// enrollment (quality gates, too little speech, a watchlist hit) is an *APIError with status
// 422 and the report returned alongside it; no consent is an *APIError with status 409.
// progress, if not nil, follows the upload.
func (c *APIClient) Enroll(ctx context.Context, subjectID string, files []string, progress Progress) (engine.EnrollmentReport, error) {
	var rep engine.EnrollmentReport
	err := c.upload(ctx, "/v1/subjects/"+seg(subjectID)+"/enrollments", nil, nil, files, progress, &rep)
	var ae *APIError
	if errors.As(err, &ae) && ae.Problem != nil && ae.Problem["report"] != nil {
		json.Unmarshal(ae.Problem["report"], &rep)
	}
	return rep, err
}

// EnrollFromCall enrolls a subject from a call that ended in the last 30 minutes and claimed
// that subject (POST /v1/subjects/{id}/enrollments/from-call); refusals as for Enroll.
func (c *APIClient) EnrollFromCall(ctx context.Context, subjectID, callID string) (engine.EnrollmentReport, error) {
	var rep engine.EnrollmentReport
	err := c.sendJSON(ctx, "POST", "/v1/subjects/"+seg(subjectID)+"/enrollments/from-call", map[string]string{"call_id": callID}, &rep)
	var ae *APIError
	if errors.As(err, &ae) && ae.Problem != nil && ae.Problem["report"] != nil {
		json.Unmarshal(ae.Problem["report"], &rep)
	}
	return rep, err
}

// fileError is a local file that could not be read for an upload.
type fileError struct{ err error }

func (e *fileError) Error() string { return e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// upload POSTs files (WAV) and fields as multipart/form-data, streaming the files from disk.
func (c *APIClient) upload(ctx context.Context, path string, q url.Values, fields map[string]string, files []string, progress Progress, out any) error {
	if len(files) == 0 {
		return errors.New("no files to upload")
	}
	var total int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return &fileError{err}
		}
		if !fi.Mode().IsRegular() {
			return &fileError{fmt.Errorf("%s: not a regular file", f)}
		}
		total += fi.Size()
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	written := make(chan struct{})
	go func() {
		defer close(written)
		var sent int64
		err := func() error {
			for k, v := range fields {
				if err := mw.WriteField(k, v); err != nil {
					return err
				}
			}
			for _, f := range files {
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", multipart.FileContentDisposition("audio", filepath.Base(f)))
				h.Set("Content-Type", "audio/wav")
				p, err := mw.CreatePart(h)
				if err != nil {
					return err
				}
				fh, err := os.Open(f)
				if err != nil {
					return &fileError{err}
				}
				_, err = io.Copy(p, &countingReader{r: fh, n: &sent, total: total, progress: progress})
				fh.Close()
				if err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	err := c.do(ctx, "POST", path, q, mw.FormDataContentType(), pr, out)
	pr.Close() // a server that answered early stops reading: end the writer
	<-written  // and call progress no more once upload returns
	return err
}

// countingReader reports progress as it is read.
type countingReader struct {
	r        io.Reader
	n        *int64
	total    int64
	progress Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		*c.n += int64(n)
		if c.progress != nil {
			c.progress(*c.n, c.total)
		}
	}
	if err != nil && err != io.EOF {
		err = &fileError{err}
	}
	return n, err
}

// --- watchlist ------------------------------------------------------------------------------

// WatchlistEntry is a watchlist entry as the API shows it (no statistics).
type WatchlistEntry struct {
	ID            string    `json:"id"`
	Label         string    `json:"label"`
	CaseRef       string    `json:"case_ref"`
	LegalBasis    string    `json:"legal_basis"`
	AddedBy       string    `json:"added_by"`
	Added         time.Time `json:"added"`
	SpeechSeconds float64   `json:"speech_seconds"`
}

// WatchlistInput names a new watchlist entry; all three fields are required.
type WatchlistInput struct {
	Label      string // e.g. "fraudster 2026-031"
	LegalBasis string // why the voice may be kept, e.g. "legitimate interest: fraud prevention"
	CaseRef    string // the fraud case it comes from
}

// AddWatchlist adds a watchlist entry from WAV files (POST /v1/watchlist); too little
// speech is an *APIError with status 422.
func (c *APIClient) AddWatchlist(ctx context.Context, in WatchlistInput, files []string, progress Progress) (WatchlistEntry, error) {
	var out WatchlistEntry
	fields := map[string]string{"label": in.Label, "legal_basis": in.LegalBasis, "case_ref": in.CaseRef}
	err := c.upload(ctx, "/v1/watchlist", nil, fields, files, progress, &out)
	return out, err
}

// ListWatchlist lists the watchlist (GET /v1/watchlist).
func (c *APIClient) ListWatchlist(ctx context.Context) ([]WatchlistEntry, error) {
	var out []WatchlistEntry
	err := c.getJSON(ctx, "/v1/watchlist", nil, &out)
	return out, err
}

// RemoveWatchlist removes a watchlist entry (DELETE /v1/watchlist/{entry}).
func (c *APIClient) RemoveWatchlist(ctx context.Context, entryID string) error {
	return c.do(ctx, "DELETE", "/v1/watchlist/"+seg(entryID), nil, "", nil, nil)
}

// --- verify and identify --------------------------------------------------------------------

// VerifyResult is a one-shot verification: the final assessment (its Verification holds the
// LLR and the decision: match, mismatch or inconclusive) and the thresholds it was judged by.
type VerifyResult struct {
	engine.Assessment
	MatchThreshold    float64 `json:"match_threshold_llr"`    // LLR at or above: match
	MismatchThreshold float64 `json:"mismatch_threshold_llr"` // LLR at or below: mismatch
}

// Verify compares the voice of WAV files (taken as one recording, in order) with a subject's
// voiceprint (POST /v1/verify?subject_id=).
func (c *APIClient) Verify(ctx context.Context, subjectID string, files []string) (VerifyResult, error) {
	var out VerifyResult
	err := c.upload(ctx, "/v1/verify", url.Values{"subject_id": {subjectID}}, nil, files, nil, &out)
	return out, err
}

// IdentifyResult is the answer of a watchlist search.
type IdentifyResult struct {
	SpeechSeconds float64               `json:"speech_seconds"`
	Watchlist     []engine.WatchlistHit `json:"watchlist"`     // hits, best first
	ThresholdLLR  float64               `json:"threshold_llr"` // the LLR a hit must reach
	// ThresholdLLRDegraded is the LLR a hit must reach where the channel detector calls the
	// upload or the entry degraded (at least ThresholdLLR).
	ThresholdLLRDegraded float64         `json:"threshold_llr_degraded_channel"`
	Risk                 int             `json:"risk"`
	Band                 engine.Band     `json:"band"`
	Reasons              []engine.Reason `json:"reasons"`
}

// Identify searches the watchlist for the voice of WAV files (POST /v1/identify).
func (c *APIClient) Identify(ctx context.Context, files []string) (IdentifyResult, error) {
	var out IdentifyResult
	err := c.upload(ctx, "/v1/identify", nil, nil, files, nil, &out)
	return out, err
}

// --- calls ----------------------------------------------------------------------------------

// CallQuery selects call records: those claiming SubjectID, or else a page of all of them in
// call-id order after After, at most Limit (0: the server's default, 100).
type CallQuery struct {
	SubjectID string
	After     string
	Limit     int
}

// ListCalls lists stored call records (GET /v1/calls).
func (c *APIClient) ListCalls(ctx context.Context, q CallQuery) ([]store.CallRecord, error) {
	v := url.Values{}
	if q.SubjectID != "" {
		v.Set("subject_id", q.SubjectID)
	}
	if q.After != "" {
		v.Set("after", q.After)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out []store.CallRecord
	err := c.getJSON(ctx, "/v1/calls", v, &out)
	return out, err
}

// GetCall returns a call record with its assessments (GET /v1/calls/{call}).
func (c *APIClient) GetCall(ctx context.Context, callID string) (store.CallRecord, error) {
	var out store.CallRecord
	err := c.getJSON(ctx, "/v1/calls/"+seg(callID), nil, &out)
	return out, err
}

// --- audit ----------------------------------------------------------------------------------

// AuditTail returns audit entries from sequence number from on, or, with from 0, the last
// ones; at most limit (0: the server's default, 100) (GET /v1/audit; auditor).
func (c *APIClient) AuditTail(ctx context.Context, from uint64, limit int) ([]store.AuditEntry, error) {
	q := url.Values{}
	if from > 0 {
		q.Set("from", strconv.FormatUint(from, 10))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out []store.AuditEntry
	err := c.getJSON(ctx, "/v1/audit", q, &out)
	return out, err
}

// AuditVerification is the server's check of the audit hash chain.
type AuditVerification struct {
	OK      bool              `json:"ok"`
	Report  store.AuditReport `json:"report"`            // when OK
	Problem string            `json:"problem,omitempty"` // the first damage found, when not OK
}

// VerifyAudit has the server verify the audit hash chain (GET /v1/audit/verify; auditor). A
// broken chain is not an error: OK is false and Problem says where.
func (c *APIClient) VerifyAudit(ctx context.Context) (AuditVerification, error) {
	var out AuditVerification
	err := c.getJSON(ctx, "/v1/audit/verify", nil, &out)
	return out, err
}

// --- API keys -------------------------------------------------------------------------------

// KeyInfo is an API key as the API lists it (never its secret or hash).
type KeyInfo struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	Label     string    `json:"label,omitempty"`
	Created   time.Time `json:"created"`
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
}

// ListKeys lists API keys (GET /v1/keys; admin).
func (c *APIClient) ListKeys(ctx context.Context) ([]KeyInfo, error) {
	var out []KeyInfo
	err := c.getJSON(ctx, "/v1/keys", nil, &out)
	return out, err
}

// CreateKey creates an API key (POST /v1/keys; admin). The key is in the answer only.
func (c *APIClient) CreateKey(ctx context.Context, role, label string) (server.NewKey, error) {
	var out server.NewKey
	err := c.sendJSON(ctx, "POST", "/v1/keys", map[string]string{"role": role, "label": label}, &out)
	return out, err
}

// RevokeKey revokes an API key (DELETE /v1/keys/{key}; admin).
func (c *APIClient) RevokeKey(ctx context.Context, keyID string) error {
	return c.do(ctx, "DELETE", "/v1/keys/"+seg(keyID), nil, "", nil, nil)
}
