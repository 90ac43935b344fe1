package kaldiio

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ListError reports a malformed line of a Kaldi-style list.
type ListError struct {
	File string // list file name
	Line int    // 1-based line number
	Msg  string // what is wrong
}

func (e *ListError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Pair is one line of an scp list: an id and a path (the rest of the line, which may contain spaces).
type Pair struct {
	ID, Path string
}

// Trial is one line of a trials list: model id, test id and, when given, whether it is a target
// trial (Label is "target", "nontarget" or "").
type Trial struct {
	Model, Test, Label string
}

// Score is one line of a scores file: model id, test id and score.
type Score struct {
	Model, Test string
	Score       float64
}

// eachLine calls fn for every non-blank line that is not a '#' comment, with its fields.
func eachLine(path string, fn func(line int, text string, fields []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return scanLines(f, path, fn)
}

func scanLines(r io.Reader, name string, fn func(line int, text string, fields []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if err := fn(n, text, strings.Fields(text)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ReadSCP reads an scp list (`id path`); ids may repeat (several enrollment files of one model).
func ReadSCP(path string) ([]Pair, error) {
	var out []Pair
	err := eachLine(path, func(n int, text string, f []string) error {
		if len(f) < 2 {
			return &ListError{path, n, "want `id path`"}
		}
		out = append(out, Pair{ID: f[0], Path: strings.TrimSpace(text[len(f[0]):])})
		return nil
	})
	return out, err
}

// GroupPairs groups an scp list's paths by id: ids in order of first appearance, and each id's
// paths in list order (a model id repeated in enroll.scp names several enrollment files).
func GroupPairs(pairs []Pair) (ids []string, paths map[string][]string) {
	paths = map[string][]string{}
	for _, p := range pairs {
		if _, ok := paths[p.ID]; !ok {
			ids = append(ids, p.ID)
		}
		paths[p.ID] = append(paths[p.ID], p.Path)
	}
	return ids, paths
}

// ReadTrials reads a trials list (`model test [target|nontarget]`).
func ReadTrials(path string) ([]Trial, error) {
	var out []Trial
	err := eachLine(path, func(n int, _ string, f []string) error {
		t := Trial{}
		switch len(f) {
		case 3:
			if f[2] != "target" && f[2] != "nontarget" {
				return &ListError{path, n, fmt.Sprintf("label %q is neither target nor nontarget", f[2])}
			}
			t.Label = f[2]
			fallthrough
		case 2:
			t.Model, t.Test = f[0], f[1]
		default:
			return &ListError{path, n, "want `model test [target|nontarget]`"}
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// ReadScores reads a scores file (`model test score`).
func ReadScores(path string) ([]Score, error) {
	var out []Score
	err := eachLine(path, func(n int, _ string, f []string) error {
		if len(f) != 3 {
			return &ListError{path, n, "want `model test score`"}
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return &ListError{path, n, fmt.Sprintf("score %q is not a number", f[2])}
		}
		out = append(out, Score{f[0], f[1], v})
		return nil
	})
	return out, err
}

// UniquePaths returns the distinct paths of the given scp lists in order of first appearance and
// each path's index in that slice (a file listed as an enrollment and as a test is read once).
func UniquePaths(lists ...[]Pair) (paths []string, index map[string]int) {
	index = map[string]int{}
	for _, l := range lists {
		for _, p := range l {
			if _, ok := index[p.Path]; !ok {
				index[p.Path] = len(paths)
				paths = append(paths, p.Path)
			}
		}
	}
	return paths, index
}

// ReadCondition reads a trial condition laid out as bench/trials/make_trials.py writes one: the
// lists dir/enroll.scp, dir/test.scp and dir/trials.
func ReadCondition(dir string) (enroll, test []Pair, trials []Trial, err error) {
	if enroll, err = ReadSCP(filepath.Join(dir, "enroll.scp")); err != nil {
		return nil, nil, nil, err
	}
	if test, err = ReadSCP(filepath.Join(dir, "test.scp")); err != nil {
		return nil, nil, nil, err
	}
	if trials, err = ReadTrials(filepath.Join(dir, "trials")); err != nil {
		return nil, nil, nil, err
	}
	return enroll, test, trials, nil
}
