// Command fusesys nests a second speaker system, trained on another front end, into a bundle
// and trains the fusion of their LLRs on the held-out calibration trials both training runs
// wrote to their work folders (recipe.CalibrationTrialsFile): an experiment towards a
// two-front-end default (bench/README.md, "A second front end").
//
//	go run ./bench/fusesys -a A.vxgb -a-work A.work -b B.vxgb -b-work B.work -out AB.vxgb [-fusion-max-speech 10]
//
// The fused bundle is format version 9; `voxguard score` and live sessions score with both
// systems. `voxguard train --second-frontend` trains both systems and fuses them in one run.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

func main() {
	a := flag.String("a", "", "first (primary) system's bundle; its countermeasure is kept")
	aw := flag.String("a-work", "", "the first system's training work folder")
	b := flag.String("b", "", "second system's bundle (another front end, the same training recordings)")
	bw := flag.String("b-work", "", "the second system's training work folder")
	out := flag.String("out", "", "fused bundle to write")
	maxSec := flag.Float64("fusion-max-speech", recipe.DefaultTrainConfig().FusionMaxSeconds, "test speech (`seconds`) from which trials are scored by the first system alone (0: always fused)")
	flag.Parse()
	if *a == "" || *aw == "" || *b == "" || *bw == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*a, *aw, *b, *bw, *out, *maxSec); err != nil {
		fmt.Fprintln(os.Stderr, "fusesys:", err)
		os.Exit(1)
	}
}

func run(a, aw, b, bw, out string, maxSec float64) error {
	pa, err := models.ReadBundleFile(a)
	if err != nil {
		return err
	}
	pb, err := models.ReadBundleFile(b)
	if err != nil {
		return err
	}
	ta, err := recipe.ReadCalibrationTrials(filepath.Join(aw, recipe.CalibrationTrialsFile))
	if err != nil {
		return err
	}
	tb, err := recipe.ReadCalibrationTrials(filepath.Join(bw, recipe.CalibrationTrialsFile))
	if err != nil {
		return err
	}
	f, err := recipe.FuseSystems(pa, pb, ta, tb, maxSec, os.Stderr)
	if err != nil {
		return err
	}
	if _, err := models.NewVerifier(f); err != nil {
		return err
	}
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
