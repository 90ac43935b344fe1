package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxguard/voxguard/models"
)

// TestAdapt: voxguard adapt writes a bundle centred on the recordings' mean i-vector, recording
// the adaptation, and scoring with it gives exactly what score --adapt-mean gives on the same
// files with the same prior (the deployment route and the experiment agree); bad invocations
// are usage errors.
func TestAdapt(t *testing.T) {
	dir := t.TempDir()
	a := func(f string) string { abs, _ := filepath.Abs(filepath.Join("../../testdata/audio", f)); return abs }
	enroll := writeFile(t, dir, "enroll.scp", "us "+a("voice_us_male.wav")+"\nscot "+a("voice_scot_male.wav")+"\n")
	test := writeFile(t, dir, "test.scp", "demo "+a("demo_en.wav")+"\ngb "+a("voice_gb_female.wav")+"\nsil "+a("silence.wav")+"\n")
	trials := writeFile(t, dir, "trials", "us demo nontarget\nus gb nontarget\nscot demo nontarget\nscot gb target\nscot sil nontarget\n")
	all := writeFile(t, dir, "all.scp", "1 "+a("voice_us_male.wav")+"\n2 "+a("voice_scot_male.wav")+"\n3 "+a("demo_en.wav")+"\n4 "+a("voice_gb_female.wav")+"\n5 "+a("silence.wav")+"\n")
	adapted := filepath.Join(dir, "adapted.vxgb")
	var out, errb bytes.Buffer
	if code := run([]string{"adapt", "--list", all, "--out", adapted, "--prior", "2"}, &out, &errb); code != 0 {
		t.Fatalf("adapt exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "adapted on 4 of 5 recordings (weight 0.667") {
		t.Errorf("adapt reported %q; want 4 of 5 recordings (the silence skipped), weight 4/6", out.String())
	}
	b, err := models.LoadBundle(adapted)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Meta.Extra[models.DomainAdaptedKey], "4 recordings, weight 0.667") {
		t.Errorf("adaptation not recorded: %q", b.Meta.Extra[models.DomainAdaptedKey])
	}
	score := func(extra ...string) string {
		p := filepath.Join(dir, "scores")
		var o, e bytes.Buffer
		if code := run(append([]string{"score", "--enroll", enroll, "--test", test, "--trials", trials, "--out", p}, extra...), &o, &e); code != 0 {
			t.Fatalf("score %v exit %d: %s", extra, code, e.String())
		}
		text, _ := os.ReadFile(p)
		return string(text)
	}
	viaBundle := score("--model", adapted)
	viaFlag := score("--adapt-mean", "--mean-prior", "2")
	plain := score()
	if viaBundle != viaFlag {
		t.Errorf("adapted bundle scores\n%s\ndiffer from score --adapt-mean\n%s", viaBundle, viaFlag)
	}
	if viaBundle == plain {
		t.Error("adaptation changed no score")
	}
	for _, bad := range [][]string{
		{"adapt", "--out", adapted},
		{"adapt", "--list", all},
		{"adapt", "--list", all, "--audio", dir, "--out", adapted},
		{"adapt", "--list", all, "--out", adapted, "--prior", "-1"},
	} {
		if code := run(bad, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", bad, code)
		}
	}
}
