package main

import (
	"bytes"
	"github.com/voxguard/voxguard/models"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScoreAndEval runs score with the embedded bundle on the project's own recordings, then
// eval on the result.
func TestScoreAndEval(t *testing.T) {
	dir := t.TempDir()
	a := func(f string) string { abs, _ := filepath.Abs(filepath.Join("../../testdata/audio", f)); return abs }
	enroll := writeFile(t, dir, "enroll.scp", "us "+a("voice_us_male.wav")+"\nscot "+a("voice_scot_male.wav")+"\n")
	test := writeFile(t, dir, "test.scp", "demo "+a("demo_en.wav")+"\ngb "+a("voice_gb_female.wav")+"\nsil "+a("silence.wav")+"\n")
	trials := writeFile(t, dir, "trials", "us demo nontarget\nus gb nontarget\nus sil nontarget\nscot demo nontarget\nscot gb target\nscot sil nontarget\n")
	scores := filepath.Join(dir, "scores")
	var out, errb bytes.Buffer
	if code := run([]string{"score", "--enroll", enroll, "--test", test, "--trials", trials, "--out", scores}, &out, &errb); code != 0 {
		t.Fatalf("score exit %d: %s", code, errb.String())
	}
	text, _ := os.ReadFile(scores)
	lines := strings.Split(strings.TrimSpace(string(text)), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d score lines, want 6:\n%s", len(lines), text)
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("bad score line %q", l)
		}
		if f[1] == "sil" && f[2] != "0.0000" {
			t.Errorf("silence scored %s, want exactly 0", f[2])
		}
	}
	if !strings.Contains(errb.String(), "2 of 6 trials had under") {
		t.Errorf("stderr does not count the insufficient-speech trials: %q", errb.String())
	}
	if !strings.Contains(errb.String(), "2 enrollment models have under 10 s of net speech") {
		t.Errorf("stderr does not count the short (3 s) enrollments: %q", errb.String())
	}
	// --second-system=false: the first system alone, which differs from the fusion (the default
	// bundle's short tests are fused) and equals it without a second system.
	first := filepath.Join(dir, "scores.first")
	if code := run([]string{"score", "--enroll", enroll, "--test", test, "--trials", trials, "--out", first, "--second-system=false"}, &out, &errb); code != 0 {
		t.Fatalf("score --second-system=false exit %d: %s", code, errb.String())
	}
	text1, _ := os.ReadFile(first)
	def, err := models.DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	if same := bytes.Equal(text, text1); same == (def.Second != nil) {
		t.Errorf("scores with the first system alone equal to the default's: %v, want %v", same, def.Second == nil)
	}
	// eval: the trial labels here are arbitrary; the command must run and report every figure.
	out.Reset()
	errb.Reset()
	det := filepath.Join(dir, "det.png")
	if code := run([]string{"eval", "--trials", trials, "--scores", scores, "--det", det}, &out, &errb); code != 0 {
		t.Fatalf("eval exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"EER", "minDCF", "actDCF", "Cllr", "1 target, 5 non-target", "nats added to every LLR would give Cllr"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("eval output lacks %q:\n%s", want, out.String())
		}
	}
	if st, err := os.Stat(det); err != nil || st.Size() < 1000 {
		t.Errorf("DET plot not written: %v", err)
	}
}

// TestScoreEnrolledCohort: --cohort enrolled scores every trial (the scores themselves are checked
// in recipe), and --cohort bundle is the default.
func TestScoreEnrolledCohort(t *testing.T) {
	dir := t.TempDir()
	a := func(f string) string { abs, _ := filepath.Abs(filepath.Join("../../testdata/audio", f)); return abs }
	enroll := writeFile(t, dir, "enroll.scp", "us "+a("voice_us_male.wav")+"\nscot "+a("voice_scot_male.wav")+"\ngb "+a("voice_gb_female.wav")+"\n")
	test := writeFile(t, dir, "test.scp", "demo "+a("demo_en.wav")+"\ngb "+a("voice_gb_female.wav")+"\n")
	trials := writeFile(t, dir, "trials", "us demo\nscot demo\ngb demo\nus gb\ngb gb\n")
	out := map[string]string{}
	for _, c := range []string{"", "bundle", "enrolled", "enrolled-test"} {
		args := []string{"score", "--enroll", enroll, "--test", test, "--trials", trials}
		if c != "" {
			args = append(args, "--cohort", c)
		}
		var o, errb bytes.Buffer
		if code := run(args, &o, &errb); code != 0 {
			t.Fatalf("--cohort %q: exit %d: %s", c, code, errb.String())
		}
		if n := strings.Count(o.String(), "\n"); n != 5 {
			t.Fatalf("--cohort %q: %d score lines, want 5:\n%s", c, n, o.String())
		}
		out[c] = o.String()
	}
	if out[""] != out["bundle"] {
		t.Error("the default cohort is not the bundle's")
	}
	if out["enrolled"] == out["bundle"] || out["enrolled-test"] == out["bundle"] {
		t.Error("the enrolled models changed no score")
	}
}

func TestScoreEvalErrors(t *testing.T) {
	dir := t.TempDir()
	scp := writeFile(t, dir, "scp", "a /nonexistent.wav\n")
	tr := writeFile(t, dir, "tr", "a b target\n")
	unl := writeFile(t, dir, "unl", "a b\n")
	sc := writeFile(t, dir, "sc", "a b 1.5\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"score no lists", []string{"score"}, 2, "required"},
		{"score unknown test id", []string{"score", "--enroll", scp, "--test", scp, "--trials", tr}, 1, `test "b" is not in the test list`},
		{"score bad cohort", []string{"score", "--enroll", scp, "--test", scp, "--trials", tr, "--cohort", "everyone"}, 2, "--cohort must be"},
		{"score bad model", []string{"score", "--enroll", scp, "--test", scp, "--trials", tr, "--model", sc}, 1, "sc"},
		{"eval no scores", []string{"eval", "--trials", tr}, 2, "required"},
		{"eval unlabelled", []string{"eval", "--trials", unl, "--scores", sc}, 1, "no target/nontarget label"},
		{"eval one class", []string{"eval", "--trials", tr, "--scores", sc}, 1, "need both target and non-target"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%s: exit %d stderr %q; want %d and %q", tc.name, code, errb.String(), tc.code, tc.want)
		}
	}
}
