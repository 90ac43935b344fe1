package main

import (
	"bytes"
	_ "embed"
	"errors"
	"sync"

	"github.com/voxguard/voxguard/models"
)

// defaultBundleBytes is the default model bundle, trained on ../shared/corpora (speechocean762 and
// Mini LibriSpeech) with the development speakers of bench/dev_speakers.txt held out.
//
//go:embed default.vxgb
var defaultBundleBytes []byte

var (
	defaultOnce sync.Once
	defaultB    *models.Bundle
	defaultErr  error
)

// defaultBundle parses the embedded bundle once.
func defaultBundle() (*models.Bundle, error) {
	defaultOnce.Do(func() {
		if len(defaultBundleBytes) == 0 {
			defaultErr = errors.New("this binary embeds no model bundle: pass --model FILE")
			return
		}
		defaultB, defaultErr = models.ReadBundle(bytes.NewReader(defaultBundleBytes), nil)
	})
	return defaultB, defaultErr
}
