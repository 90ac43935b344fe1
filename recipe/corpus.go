// Package recipe holds voxguard's offline recipes, the file-level work behind `voxguard train`
// and `voxguard score`: listing corpora laid out as <corpus>/<speaker>/<utterance>.wav, turning
// files into voiced feature frames and Baum-Welch statistics on every core, training each stage
// of a model bundle with checkpoints, and scoring Kaldi-style trial lists.
package recipe

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Utt is one recording of a corpus.
type Utt struct {
	Corpus  string // base name of the corpus folder, e.g. "speechocean762"
	Speaker string // speaker folder name
	ID      string // file name without extension
	Path    string // file path
}

// SpeakerKey identifies the speaker across corpora: "corpus/speaker". Augmented copies of a
// corpus live in a folder with the same base name, so they share their speakers' keys.
func (u Utt) SpeakerKey() string { return u.Corpus + "/" + u.Speaker }

// ListCorpus returns every <dir>/<speaker>/<utt>.wav, sorted by speaker then file name.
func ListCorpus(dir string) ([]Utt, error) {
	corpus := filepath.Base(filepath.Clean(dir))
	spks, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Utt
	for _, s := range spks {
		if !s.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, s.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.IsDir() || !strings.EqualFold(filepath.Ext(f.Name()), ".wav") {
				continue
			}
			out = append(out, Utt{Corpus: corpus, Speaker: s.Name(), ID: strings.TrimSuffix(f.Name(), filepath.Ext(f.Name())),
				Path: filepath.Join(dir, s.Name(), f.Name())})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Speaker != out[j].Speaker {
			return out[i].Speaker < out[j].Speaker
		}
		return out[i].ID < out[j].ID
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no <speaker>/<utterance>.wav files", dir)
	}
	return out, nil
}

// ReadSpeakerList reads a list of "corpus/speaker" keys, one per line ('#' starts a comment).
func ReadSpeakerList(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.SplitN(sc.Text(), "#", 2)[0])
		if line == "" {
			continue
		}
		if strings.Count(line, "/") != 1 {
			return nil, fmt.Errorf("%s:%d: want corpus/speaker, got %q", path, n, line)
		}
		out[line] = true
	}
	return out, sc.Err()
}

// ReadSexes returns the sex column ("gender" in the corpora's speakers.tsv) of dir's speakers,
// keyed by SpeakerKey; a corpus without speakers.tsv, or without the column, gives none.
func ReadSexes(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "speakers.tsv"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	corpus := filepath.Base(filepath.Clean(dir))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	col := -1
	for i, h := range strings.Split(strings.TrimSpace(lines[0]), "\t") {
		if h == "gender" || h == "sex" {
			col = i
		}
	}
	if col < 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Split(strings.TrimSpace(l), "\t")
		if len(f) > col && f[col] != "" {
			out[corpus+"/"+f[0]] = strings.ToLower(f[col])
		}
	}
	return out, nil
}
