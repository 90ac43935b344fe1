// Package devcond loads a development trial condition (bench/trials/make_trials.py's layout) for
// the research aids in bench/: its lists and the Baum-Welch statistics of every file it names.
package devcond

import (
	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

// Condition is a trial condition with each listed file's statistics.
type Condition struct {
	Enroll, Test []kaldiio.Pair
	Trials       []kaldiio.Trial
	Files        []string        // distinct paths of Enroll and Test, in order of first appearance
	Index        map[string]int  // path -> index in Files and Stats
	Stats        []*models.Stats // statistics of each file against b's UBM
}

// Load reads dir's lists and accumulates every file's statistics with bundle b's front end cfg.
func Load(b *models.Bundle, cfg dsp.FrontendConfig, dir string) (*Condition, error) {
	e, t, tr, err := kaldiio.ReadCondition(dir)
	if err != nil {
		return nil, err
	}
	c := &Condition{Enroll: e, Test: t, Trials: tr}
	c.Files, c.Index = kaldiio.UniquePaths(e, t)
	if c.Stats, err = recipe.FileStats(b, cfg, c.Files, 0, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadBundle loads the model bundle at path (the embedded default when "") and the front-end
// configuration it was trained with.
func LoadBundle(path string) (*models.Bundle, dsp.FrontendConfig, error) {
	b, err := models.LoadBundle(path)
	if err != nil {
		return nil, dsp.FrontendConfig{}, err
	}
	cfg, err := recipe.FrontendOf(b)
	return b, cfg, err
}
