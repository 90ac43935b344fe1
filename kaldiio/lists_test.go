package kaldiio

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "list")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadLists(t *testing.T) {
	scp, err := ReadSCP(writeTemp(t, "# comment\nspk1 /a/b.wav\n\nspk1 /a/c d.wav\nt1 x.wav\n"))
	if err != nil || len(scp) != 3 || scp[1] != (Pair{"spk1", "/a/c d.wav"}) {
		t.Fatalf("scp: %v %v", scp, err)
	}
	tr, err := ReadTrials(writeTemp(t, "m t target\nm u nontarget\nm v\n"))
	if err != nil || len(tr) != 3 || tr[0].Label != "target" || tr[2].Label != "" {
		t.Fatalf("trials: %v %v", tr, err)
	}
	sc, err := ReadScores(writeTemp(t, "m t -1.5\n"))
	if err != nil || len(sc) != 1 || sc[0].Score != -1.5 {
		t.Fatalf("scores: %v %v", sc, err)
	}
	for _, tc := range []struct {
		name string
		read func(string) error
		text string
		line int
	}{
		{"scp one field", func(p string) error { _, err := ReadSCP(p); return err }, "ok x\nlonely\n", 2},
		{"trials label", func(p string) error { _, err := ReadTrials(p); return err }, "m t maybe\n", 1},
		{"trials fields", func(p string) error { _, err := ReadTrials(p); return err }, "m\n", 1},
		{"score nan", func(p string) error { _, err := ReadScores(p); return err }, "m t x\n", 1},
	} {
		var le *ListError
		if err := tc.read(writeTemp(t, tc.text)); !errors.As(err, &le) || le.Line != tc.line {
			t.Errorf("%s: got %v, want a ListError on line %d", tc.name, err, tc.line)
		}
	}
	if _, err := ReadSCP("/nonexistent/list"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestUniquePaths(t *testing.T) {
	paths, idx := UniquePaths([]Pair{{"a", "x.wav"}, {"a", "y.wav"}}, []Pair{{"t1", "y.wav"}, {"t2", "z.wav"}})
	if want := []string{"x.wav", "y.wav", "z.wav"}; !slices.Equal(paths, want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	for i, p := range paths {
		if idx[p] != i {
			t.Errorf("index of %s = %d, want %d", p, idx[p], i)
		}
	}
}

func TestReadCondition(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"enroll.scp": "m1 /a.wav\nm1 /b.wav\n",
		"test.scp":   "t1 /c.wav\n",
		"trials":     "m1 t1 target\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, te, tr, err := ReadCondition(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(e) != 2 || len(te) != 1 || len(tr) != 1 || e[1].Path != "/b.wav" || tr[0].Label != "target" {
		t.Fatalf("read %v, %v, %v", e, te, tr)
	}
	if err := os.Remove(filepath.Join(dir, "trials")); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ReadCondition(dir); err == nil {
		t.Fatal("a condition without its trials list read without error")
	}
}

func TestGroupPairs(t *testing.T) {
	ids, paths := GroupPairs([]Pair{{"b", "b1"}, {"a", "a1"}, {"b", "b2"}, {"c", "c 1"}})
	if !reflect.DeepEqual(ids, []string{"b", "a", "c"}) {
		t.Errorf("ids %v, want b a c (first appearance)", ids)
	}
	want := map[string][]string{"a": {"a1"}, "b": {"b1", "b2"}, "c": {"c 1"}}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	if ids, paths := GroupPairs(nil); len(ids) != 0 || len(paths) != 0 {
		t.Errorf("empty list: %v %v", ids, paths)
	}
}
