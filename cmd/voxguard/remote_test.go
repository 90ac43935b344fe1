package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/store"
)

// Personal data of the test subject: none of it may appear in full outside an export.
const (
	fullName    = "Alice Example"
	fullPhone   = "+447911123456"
	fullAccount = "ACC-99887766"
)

// step is one subcommand run against the test server and what must come of it.
type step struct {
	name      string
	role      string // key used ("" for none)
	args      []string
	code      int
	out, errs string // substrings of stdout and stderr
}

func (e *remoteEnv) check(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		code, out, errs := e.as(t, s.role, s.args...)
		if code != s.code || !strings.Contains(out, s.out) || !strings.Contains(errs, s.errs) {
			t.Errorf("%s: voxguard %s as %q: exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)",
				s.name, strings.Join(s.args, " "), s.role, code, s.code, out, s.out, errs, s.errs)
		}
		for _, pd := range []string{fullName, fullPhone, fullAccount, "7911123456", "99887766"} {
			if strings.Contains(out+errs, pd) {
				t.Errorf("%s: personal data %q in the output:\n%s%s", s.name, pd, out, errs)
			}
		}
	}
}

// jsonOut runs a subcommand with --json and decodes its stdout into v, returning the exit status.
func (e *remoteEnv) jsonOut(t *testing.T, role string, v any, args ...string) int {
	t.Helper()
	code, out, errs := e.as(t, role, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("voxguard %s --json: exit %d, stdout %q is not JSON (%v); stderr %q", strings.Join(args, " "), code, out, err, errs)
	}
	return code
}

// TestRemoteSubjectsConsentEnroll drives subjects, consent and enroll: tables, --json, masked
// personal data for every role, and the exit statuses of success, usage, 401/403, 404, 409 and
// 422.
func TestRemoteSubjectsConsentEnroll(t *testing.T) {
	env := newRemoteEnv(t)
	folder := t.TempDir()
	for _, f := range []string{corpus(t, "1088/1088-134315-0001.wav"), testAudio("silence.wav")} {
		if err := os.Symlink(f, filepath.Join(folder, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(folder, "notes.txt"), []byte("not audio"), 0o644)
	carol := filepath.Join(t.TempDir(), "carol.json")
	os.WriteFile(carol, []byte(`{"id":"sub_carol","name":"Carol Danvers","phone":"+15555550199"}`), 0o600)
	typo := filepath.Join(t.TempDir(), "typo.json")
	os.WriteFile(typo, []byte(`{"id":"sub_dan","nmae":"Dan"}`), 0o600)
	env.check(t, []step{
		{"create", "analyst", []string{"subjects", "create", "--id", "sub_alice", "--name", fullName, "--phone", fullPhone, "--account", fullAccount},
			0, "A**** E******", ""},
		{"create masks the account", "analyst", []string{"subjects", "create", "--id", "sub_bob", "--account", fullAccount}, 0, "***-****7766", ""},
		{"duplicate", "analyst", []string{"subjects", "create", "--id", "sub_alice"}, exitRefused, "", "(HTTP 409)"},
		{"create from a file", "analyst", []string{"subjects", "create", "--from", carol}, 0, "C**** D******", ""},
		{"create from a file with a misspelt field", "analyst", []string{"subjects", "create", "--from", typo}, exitUsage, "", `unknown field "nmae"`},
		{"create from a file and flags", "analyst", []string{"subjects", "create", "--from", carol, "--name", "X"}, exitUsage, "", "--from replaces"},
		{"show", "analyst", []string{"subjects", "show", "sub_alice"}, 0, "+44 7*** ***456", ""},
		{"show as agent", "agent", []string{"subjects", "show", "sub_alice"}, 0, "A**** E******", ""},
		{"show unknown", "analyst", []string{"subjects", "show", "sub_nobody"}, exitNotFound, "", "show subject sub_nobody: store: not found: subject (HTTP 404)"},
		{"show without key", "", []string{"subjects", "show", "sub_alice"}, exitUsage, "", "no API key"},
		{"show as ingest", "ingest", []string{"subjects", "show", "sub_alice"}, exitAuth, "", "(HTTP 403)"},
		{"list", "analyst", []string{"subjects", "list"}, 0, "sub_bob", ""},
		{"list page", "analyst", []string{"subjects", "list", "--limit", "1"}, 0, "sub_alice", "more may follow: --after sub_alice"},
		{"list all pages", "analyst", []string{"subjects", "list", "--limit", "1", "--all"}, 0, "sub_bob", ""},
		{"list as agent", "agent", []string{"subjects", "list"}, exitAuth, "", "role agent may not GET /v1/subjects (HTTP 403)"},
		{"list bad limit", "analyst", []string{"subjects", "list", "--limit", "0"}, exitUsage, "", "--limit must be 1-1000"},
		{"show needs an id", "analyst", []string{"subjects", "show"}, exitUsage, "", "want at least 1 argument"},
		{"enroll without consent", "analyst", []string{"enroll", "sub_alice", folder}, exitRefused, "",
			"enroll sub_alice: the subject has no active consent to voice verification (HTTP 409); record the consent first: voxguard consent grant sub_alice"},
		{"grant needs evidence", "analyst", []string{"consent", "grant", "sub_alice", "--method", "web-form"}, exitUsage, "", "--evidence"},
		{"grant", "analyst", []string{"consent", "grant", "sub_alice", "--method", "web-form", "--evidence", "form-1", "--policy", "2026-01"}, 0, "active", ""},
		{"grant unknown subject", "analyst", []string{"consent", "grant", "sub_nobody", "--method", "m", "--evidence", "e", "--policy", "p"}, exitNotFound, "", "(HTTP 404)"},
		{"consent show", "analyst", []string{"consent", "show", "sub_alice"}, 0, "form-1", ""},
		{"consent show as agent", "agent", []string{"consent", "show", "sub_alice"}, exitAuth, "", "(HTTP 403)"},
		{"enroll refused by the gates", "analyst", []string{"enroll", "sub_alice", testAudio("silence.wav")}, exitRefused,
			"refused: NO_SPEECH (too little net speech in the file), LOW_SNR", "enroll sub_alice: enrollment refused: INSUFFICIENT_SPEECH (not enough net speech in the accepted files and earlier voiceprints) (HTTP 422)"},
		{"enroll a folder", "analyst", []string{"enroll", "sub_alice", folder}, 0, "enrolled sub_alice: voiceprint vp_", "uploading 2 file(s), bytes ["},
		{"enroll an unknown subject", "analyst", []string{"enroll", "sub_nobody", testAudio("silence.wav")}, exitNotFound, "", "(HTTP 404)"},
		{"enroll garbage", "analyst", []string{"enroll", "sub_alice", filepath.Join(folder, "notes.txt")}, exitBadInput, "", "unsupported or malformed WAV: notes.txt: "},
		{"enroll a missing file", "analyst", []string{"enroll", "sub_alice", filepath.Join(folder, "nope.wav")}, exitError, "", "no such file"},
		{"enroll nothing", "analyst", []string{"enroll", "sub_alice"}, exitUsage, "", "give WAV files or folders"},
		{"enroll from an unknown call", "analyst", []string{"enroll", "sub_alice", "--from-call", "nope"}, exitNotFound, "", "recent-calls buffer"},
	})

	// The quality table has a row per WAV of the folder, in sorted order, with its measures.
	code, out, _ := env.as(t, "analyst", "enroll", "sub_alice", folder)
	rows := regexp.MustCompile(`(?m)^(\S+\.wav)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$`).FindAllStringSubmatch(out, -1)
	if code != 0 || len(rows) != 2 || !strings.HasSuffix(rows[0][1], "1088-134315-0001.wav") || rows[0][6] != "accepted" ||
		!strings.HasSuffix(rows[1][1], "silence.wav") || !strings.HasPrefix(rows[1][6], "refused: NO_SPEECH") || rows[0][5] != "no" {
		t.Errorf("quality table: exit %d rows %q\n%s", code, rows, out)
	}
	if !strings.Contains(out, "earlier voiceprints: 12.8 s") {
		t.Errorf("second enrollment does not count the first: %s", out)
	}

	// --json: the server's report, also when refused.
	var rep engine.EnrollmentReport
	if code := env.jsonOut(t, "analyst", &rep, "enroll", "sub_alice", testAudio("silence.wav")); code != exitRefused || rep.Accepted ||
		len(rep.Samples) != 1 || rep.Samples[0].Problems[0] != engine.ProblemNoSpeech {
		t.Errorf("refused --json: %d %+v", code, rep)
	}
	var sub store.Subject
	if code := env.jsonOut(t, "agent", &sub, "subjects", "show", "sub_alice"); code != 0 || sub.Name != "A**** E******" || sub.Phone != "+44 7*** ***456" {
		t.Errorf("show --json: %d %+v", code, sub)
	}
	var subs []store.Subject
	if code := env.jsonOut(t, "analyst", &subs, "subjects", "list"); code != 0 || len(subs) != 3 || subs[1].AccountRef != "***-****7766" {
		t.Errorf("list --json: %d %+v", code, subs)
	}
	var cons []store.Consent
	if code := env.jsonOut(t, "analyst", &cons, "consent", "show", "sub_alice"); code != 0 || len(cons) != 1 || !cons[0].Active() {
		t.Fatalf("consent show --json: %d %+v", code, cons)
	}
	env.check(t, []step{
		{"withdraw", "analyst", []string{"consent", "withdraw", "sub_alice", cons[0].ID}, 0, "2 voiceprint(s) deleted", ""},
		{"withdrawn", "analyst", []string{"consent", "show", "sub_alice"}, 0, "withdrawn", ""},
		{"withdraw unknown", "analyst", []string{"consent", "withdraw", "sub_alice", "con_nope"}, exitNotFound, "", "(HTTP 404)"},
	})
	if logs := env.logs.String(); strings.Contains(logs, fullName) || strings.Contains(logs, "7911123456") || strings.Contains(logs, "99887766") || logs == "" {
		t.Errorf("server log holds personal data (or nothing): %s", logs)
	}
}

// TestRemoteVerifyIdentifyWatchlist checks verify's exit statuses (match 0, mismatch 10,
// inconclusive 11), identify's hits, the watchlist commands and a watchlist hit refusing an
// enrollment.
func TestRemoteVerifyIdentifyWatchlist(t *testing.T) {
	env := newRemoteEnv(t)
	env.check(t, []step{
		{"create", "analyst", []string{"subjects", "create", "--id", "sub_a"}, 0, "sub_a", ""},
		{"create fraudster", "analyst", []string{"subjects", "create", "--id", "sub_f"}, 0, "sub_f", ""},
		{"grant", "analyst", []string{"consent", "grant", "sub_a", "--method", "m", "--evidence", "e", "--policy", "p"}, 0, "active", ""},
		{"grant f", "analyst", []string{"consent", "grant", "sub_f", "--method", "m", "--evidence", "e", "--policy", "p"}, 0, "active", ""},
		{"enroll", "analyst", []string{"enroll", "sub_a", corpus(t, "1088/1088-134315-0001.wav")}, 0, "enrolled sub_a", ""},
		{"match", "analyst", []string{"verify", "sub_a", corpus(t, "1088/1088-134315-0000.wav")}, exitOK, "decision:    match", ""},
		{"mismatch", "analyst", []string{"verify", "sub_a", corpus(t, "118/118-47824-0000.wav")}, exitMismatch, "decision:    mismatch", ""},
		{"inconclusive", "analyst", []string{"verify", "sub_a", testAudio("silence.wav")}, exitInconclusive, "decision:    inconclusive", ""},
		{"thresholds shown", "analyst", []string{"verify", "sub_a", corpus(t, "1088/1088-134315-0000.wav")}, exitOK, "thresholds:  match >= ", ""},
		{"verify unknown subject", "analyst", []string{"verify", "sub_nobody", testAudio("tone_1khz.wav")}, exitNotFound, "", "(HTTP 404)"},
		{"verify as agent", "agent", []string{"verify", "sub_a", testAudio("tone_1khz.wav")}, exitAuth, "", "(HTTP 403)"},
		{"verify needs a file", "analyst", []string{"verify", "sub_a"}, exitUsage, "", "want at least 2 argument"},
		{"watchlist add needs a label", "analyst", []string{"watchlist", "add", corpus(t, "118/118-47824-0000.wav")}, exitUsage, "", "--label"},
		{"watchlist add", "analyst", []string{"watchlist", "add", "--label", "fraudster 31", "--legal-basis", "fraud prevention", "--case", "case-31",
			corpus(t, "118/118-47824-0000.wav")}, 0, "fraudster 31", ""},
		{"watchlist add silence", "analyst", []string{"watchlist", "add", "--label", "x", "--legal-basis", "y", "--case", "z", testAudio("silence.wav")},
			exitRefused, "", "less than 1 s of speech in the upload (HTTP 422)"},
		{"watchlist list", "analyst", []string{"watchlist", "list"}, 0, "case-31", ""},
		{"identify hit", "analyst", []string{"identify", corpus(t, "118/118-47824-0000.wav")}, 0, "1 watchlist hit(s)", ""},
		{"identify no hit", "analyst", []string{"identify", corpus(t, "1088/1088-134315-0000.wav")}, 0, "no watchlist hit", ""},
		{"enroll a fraudster", "analyst", []string{"enroll", "sub_f", corpus(t, "118/118-47824-0000.wav")}, exitRefused,
			"fraudster 31", "enrollment refused: KNOWN_FRAUDSTER (the voice matches a watchlist entry) (HTTP 422)"},
	})
	var v VerifyResult
	if code := env.jsonOut(t, "analyst", &v, "verify", "sub_a", corpus(t, "118/118-47824-0000.wav")); code != exitMismatch ||
		v.Verification.Decision != engine.Mismatch || v.Verification.LLR > v.MismatchThreshold || v.MatchThreshold <= v.MismatchThreshold {
		t.Errorf("verify --json: %d %+v", code, v)
	}
	var wl []WatchlistEntry
	if code := env.jsonOut(t, "analyst", &wl, "watchlist", "list"); code != 0 || len(wl) != 1 || wl[0].CaseRef != "case-31" {
		t.Fatalf("watchlist list --json: %d %+v", code, wl)
	}
	var id IdentifyResult
	if code := env.jsonOut(t, "analyst", &id, "identify", corpus(t, "118/118-47824-0000.wav")); code != 0 || len(id.Watchlist) != 1 || id.Watchlist[0].EntryID != wl[0].ID ||
		id.ThresholdLLRDegraded < id.ThresholdLLR {
		t.Errorf("identify --json: %d %+v", code, id)
	}
	env.check(t, []step{
		{"watchlist remove", "analyst", []string{"watchlist", "remove", wl[0].ID}, 0, "removed watchlist entry", ""},
		{"watchlist remove again", "analyst", []string{"watchlist", "remove", wl[0].ID}, exitNotFound, "", "(HTTP 404)"},
		{"identify after removal", "analyst", []string{"identify", corpus(t, "118/118-47824-0000.wav")}, 0, "no watchlist hit", ""},
	})
}

// TestRemoteCallsExportEraseAuditKeys covers calls, export, erase, the remote audit and keys
// commands, and an unreachable server.
func TestRemoteCallsExportEraseAuditKeys(t *testing.T) {
	env := newRemoteEnv(t)
	env.check(t, []step{
		{"create", "analyst", []string{"subjects", "create", "--id", "sub_c", "--name", fullName, "--phone", fullPhone}, 0, "sub_c", ""},
	})
	a, _ := json.Marshal(engine.Assessment{CallID: "call-1", Seq: 3, Final: true, SpeechSeconds: 9.5, Risk: 85, Band: engine.BandHigh,
		Verification: engine.Verification{SubjectID: "sub_c", LLR: -7.5, Decision: engine.Mismatch},
		Watchlist:    []engine.WatchlistHit{}, Reasons: []engine.Reason{engine.ReasonVoiceMismatch}})
	if err := env.st.PutCall("test", store.CallRecord{CallID: "call-1", Platform: "twilio", ANI: fullPhone, ClaimedSubject: "sub_c",
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Ended: time.Date(2026, 1, 2, 3, 6, 5, 0, time.UTC), Assessments: []json.RawMessage{a}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "export.json")
	stdinIsTerminal = func() bool { return false }
	defer func() { stdinIsTerminal = func() bool { return false } }()
	env.check(t, []step{
		{"calls list", "agent", []string{"calls", "list"}, 0, "call-1  twilio    +44 7*** ***456  sub_c    2026-01-02T03:04:05Z", ""},
		{"calls list row", "analyst", []string{"calls", "list", "--subject", "sub_c"}, 0, "85    high  mismatch      VOICE_MISMATCH", ""},
		{"calls show", "agent", []string{"calls", "show", "call-1"}, 0, "3 final", ""},
		{"calls list page", "analyst", []string{"calls", "list", "--limit", "1"}, 0, "call-1", "more may follow: --after call-1"},
		{"calls show unknown", "analyst", []string{"calls", "show", "nope"}, exitNotFound, "", "(HTTP 404)"},
		{"calls as auditor", "auditor", []string{"calls", "list"}, exitAuth, "", "(HTTP 403)"},
		{"export to a file", "analyst", []string{"export", "sub_c", "--out", out}, 0, "", "mode 0600"},
		{"export over a file", "analyst", []string{"export", "sub_c", "--out", out}, exitError, "", "file exists"},
		{"export as agent", "agent", []string{"export", "sub_c"}, exitAuth, "", "(HTTP 403)"},
		{"erase without --yes", "admin", []string{"erase", "sub_c"}, exitUsage, "", "pass --yes"},
		{"erase as analyst", "analyst", []string{"erase", "sub_c", "--yes"}, exitAuth, "", "(HTTP 403)"},
	})
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v", fi, err)
	}
	var exp store.SubjectExport
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &exp); err != nil || exp.Subject.Name != fullName || len(exp.Calls) != 1 {
		t.Errorf("export: %v %+v", err, exp)
	}
	// The export to stdout is the one place personal data is shown in full: asked for explicitly.
	if code, stdout, _ := env.as(t, "analyst", "export", "sub_c"); code != 0 || !strings.Contains(stdout, fullName) {
		t.Errorf("export to stdout: %d %q", code, stdout)
	}
	// Interactive confirmation: the wrong answer erases nothing, the subject id confirms.
	stdinIsTerminal = func() bool { return true }
	stdin = strings.NewReader("no\n")
	if code, _, errs := env.as(t, "admin", "erase", "sub_c"); code != exitUsage || !strings.Contains(errs, "nothing erased") {
		t.Errorf("erase not confirmed: %d %q", code, errs)
	}
	stdin = strings.NewReader("sub_c\n")
	code, stdout, errs := env.as(t, "admin", "erase", "sub_c")
	stdin = os.Stdin
	if code != 0 || !strings.Contains(stdout, "1 call record(s)") {
		t.Errorf("erase confirmed: %d %q %q", code, stdout, errs)
	}
	var keys struct {
		ID, Key string
	}
	env.check(t, []step{
		{"erased", "analyst", []string{"subjects", "show", "sub_c"}, exitNotFound, "", "(HTTP 404)"},
		{"erase again", "admin", []string{"erase", "sub_c", "--yes"}, exitNotFound, "", "(HTTP 404)"},
		{"audit tail", "auditor", []string{"audit", "tail", "--limit", "5"}, 0, "subject.erase", ""},
		{"audit tail from", "auditor", []string{"audit", "tail", "--from", "1", "--limit", "1"}, 0, "store.init", ""},
		{"audit tail as analyst", "analyst", []string{"audit", "tail"}, exitAuth, "", "(HTTP 403)"},
		{"audit verify", "auditor", []string{"audit", "verify"}, 0, "audit chain OK", ""},
		{"keys list", "admin", []string{"keys", "list"}, 0, "auditor", ""},
		{"keys list as analyst", "analyst", []string{"keys", "list"}, exitAuth, "", "(HTTP 403)"},
		{"keys create bad role", "admin", []string{"keys", "create", "--role", "boss"}, exitUsage, "", "--role"},
		{"keys revoke unknown", "admin", []string{"keys", "revoke", "vk_nope"}, exitNotFound, "", "(HTTP 404)"},
		{"keys with --data and --server", "admin", []string{"keys", "list", "--data", t.TempDir()}, exitUsage, "", "exclude each other"},
	})
	if code := env.jsonOut(t, "admin", &keys, "keys", "create", "--role", "analyst", "--label", "cli test"); code != 0 || !strings.HasPrefix(keys.Key, keys.ID+".") {
		t.Fatalf("keys create --json: %d %+v", code, keys)
	}
	env.keys["new"] = keys.Key
	var res AuditVerification
	if code := env.jsonOut(t, "auditor", &res, "audit", "verify"); code != 0 || !res.OK || res.Report.Entries == 0 {
		t.Errorf("audit verify --json: %d %+v", code, res)
	}
	env.check(t, []step{
		{"new key works", "new", []string{"subjects", "list"}, 0, "ID", ""},
		{"revoke", "admin", []string{"keys", "revoke", keys.ID}, 0, "revoked " + keys.ID, ""},
		{"revoked key refused", "new", []string{"subjects", "list"}, exitAuth, "", "unknown or revoked API key (HTTP 401)"},
		{"bad key refused", "", []string{"subjects", "list", "--token", "vk_x.y"}, exitAuth, "", "(HTTP 401)"},
	})

	// $VOXGUARD_SERVER selects the server when --server is not given; an unreachable one is 6.
	c, _ := NewAPIClient(env.url, "")
	if err := c.Ready(context.Background()); err != nil {
		t.Errorf("ready: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	t.Setenv(tokenEnv, env.keys["admin"])
	t.Setenv(serverEnv, env.url)
	if code, stdout, errs := runCLI("keys", "list"); code != 0 || !strings.Contains(stdout, "analyst") {
		t.Errorf("keys list via $%s: %d %q %q", serverEnv, code, stdout, errs)
	}
	t.Setenv(serverEnv, dead)
	for _, args := range [][]string{{"subjects", "list"}, {"audit", "verify"}, {"keys", "list"}, {"enroll", "sub_c", testAudio("silence.wav")}} {
		if code, _, errs := runCLI(args...); code != exitUnreachable || !strings.Contains(errs, "cannot reach the server") || strings.Contains(errs, env.keys["admin"]) {
			t.Errorf("%v on an unreachable server: %d %q", args, code, errs)
		}
	}
	if code, _, errs := runCLI("subjects", "list", "--server", "ftp://x"); code != exitUsage || !strings.Contains(errs, "want http://") {
		t.Errorf("bad server URL: %d %q", code, errs)
	}
	c, _ = NewAPIClient(dead, "")
	if err := c.Ready(context.Background()); exitCodeOf(err) != exitUnreachable {
		t.Errorf("ready on a dead server: %v", err)
	}
}
