package audio

import (
	"encoding/binary"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxguard/voxguard/internal/devcorpora"
)

// TestCorpusDecodes decodes every .wav under ../shared/corpora and checks its header facts.
func TestCorpusDecodes(t *testing.T) {
	root := devcorpora.Dir(t)
	soxPath, _ := exec.LookPath("sox")
	var files, frames int64
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".wav") {
			return nil
		}
		files++
		a, err := ReadWAVFile(path)
		if err != nil {
			t.Errorf("%v", err)
			return nil
		}
		if a.Channels < 1 || a.SampleRate < MinSampleRate || int64(len(a.Samples)) != a.Frames*int64(a.Channels) || a.Frames == 0 {
			t.Errorf("%s: implausible result %+v with %d samples", path, a.Info, len(a.Samples))
		}
		frames += a.Frames
		if soxPath != "" && files%300 == 1 {
			compareWithSox(t, soxPath, path, a)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("no .wav files under %s", root)
	}
	t.Logf("decoded %d files, %d frames", files, frames)
}

// compareWithSox checks that a's samples equal sox's 16-bit decoding of path, /32768.
func compareWithSox(t *testing.T, sox, path string, a *Audio) {
	t.Helper()
	out, err := exec.Command(sox, "-D", path, "-t", "raw", "-e", "signed", "-b", "16", "-L", "-").Output()
	if err != nil {
		t.Errorf("sox %s: %v", path, err)
		return
	}
	if len(out) != 2*len(a.Samples) {
		t.Errorf("%s: sox gives %d samples, ReadWAV %d", path, len(out)/2, len(a.Samples))
		return
	}
	for i := range a.Samples {
		if w := float32(int16(binary.LittleEndian.Uint16(out[2*i:]))) / 32768; a.Samples[i] != w {
			t.Errorf("%s: sample %d = %v, sox gives %v", path, i, a.Samples[i], w)
			return
		}
	}
}
