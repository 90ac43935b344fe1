package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

func init() {
	register(command{
		name:    "adapt",
		summary: "adapt a bundle to a deployment's channel and callers from unlabelled recordings (i-vector mean)",
		run:     runAdapt,
	})
}

// runAdapt centres the bundle's back ends on the mean i-vector of unlabelled recordings of the
// deployment (models.AdaptDomainMean) and writes the adapted bundle.
func runAdapt(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("adapt", "(--list FILES.scp | --audio DIR) --out FILE [--model FILE] [--prior N]", stderr)
	list := fs.String("list", "", "Kaldi-style `file` of \"id path\" lines: the unlabelled recordings")
	audio := fs.String("audio", "", "`folder` of WAV recordings, searched recursively (instead of --list)")
	out := fs.String("out", "", "adapted bundle `file` to write")
	model := fs.String("model", "", "model bundle `file` to adapt (default: the embedded bundle)")
	prior := fs.Float64("prior", 100, "weight of the training mean, in `recordings`: the adapted mean is (n·domain + prior·training) / (n + prior) for n recordings")
	workers := fs.Int("workers", 0, "goroutines (default: all cores)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if (*list == "") == (*audio == "") || *out == "" {
		return usageErrorf("one of --list or --audio, and --out, are required")
	}
	if *prior < 0 {
		return usageErrorf("--prior %g: want at least 0", *prior)
	}
	var files []string
	if *list != "" {
		pairs, err := kaldiio.ReadSCP(*list)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, p := range pairs {
			if !seen[p.Path] {
				seen[p.Path] = true
				files = append(files, p.Path)
			}
		}
	} else {
		var err error
		if files, err = recipe.ListWAVs([]string{*audio}); err != nil {
			return err
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("no recordings to adapt on")
	}
	b, err := models.LoadBundle(*model)
	if err != nil {
		return err
	}
	v, err := models.NewVerifier(b)
	if err != nil {
		return err
	}
	cfg, err := recipe.FrontendOf(b)
	if err != nil {
		return err
	}
	var log io.Writer
	if progress.IsTerminal(stderr) {
		log = stderr
	}
	stats, err := recipe.FileStats(b, cfg, files, *workers, log)
	if err != nil {
		return err
	}
	var w float64
	b, n, err := recipe.AdaptToDomain(v, stats, *prior, func(n int, weight float64) string {
		w = weight
		return fmt.Sprintf("%d recordings, weight %.3f (prior %s), %s", n, w, strconv.FormatFloat(*prior, 'g', -1, 64), time.Now().UTC().Format(time.RFC3339))
	}, *workers, log)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("none of the %d recordings has %.1f s of net speech", len(files), v.MinFrames/100)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := recipe.WriteBundleFile(*out, b); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "adapted on %d of %d recordings (weight %.3f of the domain mean); wrote %s\n", n, len(files), w, *out)
	return nil
}
