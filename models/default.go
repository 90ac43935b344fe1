package models

import (
	"bytes"
	_ "embed"
	"sync"
)

// defaultBundleBytes is voxguard's default model bundle: trained by `voxguard train` on
// speechocean762 and Mini LibriSpeech from ../shared/corpora (plus their degraded-channel and
// speed-perturbed copies made by bench/trials), with the development speakers of
// bench/dev_speakers.txt held out. bench/README.md gives the command and its measured accuracy.
//
//go:embed default.vxgb
var defaultBundleBytes []byte

var defaultBundle = sync.OnceValues(func() (*Bundle, error) {
	return ReadBundle(bytes.NewReader(defaultBundleBytes), nil)
})

// DefaultBundle returns the embedded default bundle, parsed once. Callers must not modify it.
func DefaultBundle() (*Bundle, error) { return defaultBundle() }

// LoadBundle returns the bundle in the file at path, or the embedded default bundle when path
// is empty (what every command's --model flag means).
func LoadBundle(path string) (*Bundle, error) {
	if path == "" {
		return DefaultBundle()
	}
	return ReadBundleFile(path)
}
