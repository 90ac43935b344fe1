package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models/metrics"
)

func init() {
	register(command{
		name:    "eval",
		summary: "EER, minDCF, Cllr and a DET plot for scores against a keyed trials list",
		run:     runEval,
	})
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "--trials TRIALS --scores SCORES [--det det.png]", stderr)
	trials := fs.String("trials", "", "trials `list` with target/nontarget labels")
	scores := fs.String("scores", "", "scores `file` (model_id test_id llr)")
	det := fs.String("det", "", "write a DET curve to this PNG (or .svg/.pdf) `file`")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *trials == "" || *scores == "" {
		return usageErrorf("--trials and --scores are required")
	}
	tr, err := kaldiio.ReadTrials(*trials)
	if err != nil {
		return err
	}
	sc, err := kaldiio.ReadScores(*scores)
	if err != nil {
		return err
	}
	tar, non, err := splitScores(tr, sc)
	if err != nil {
		return err
	}
	s := metrics.Evaluate(tar, non)
	fmt.Fprintf(stdout, "trials      %d target, %d non-target\n", s.Targets, s.NonTargets)
	fmt.Fprintf(stdout, "EER         %.2f%%\n", 100*s.EER)
	fmt.Fprintf(stdout, "minDCF      %.4f (P_tar 0.01)   %.4f (P_tar 0.001)\n", s.MinDCF01, s.MinDCF001)
	fmt.Fprintf(stdout, "actDCF      %.4f (P_tar 0.01)   %.4f (P_tar 0.001)   at the Bayes threshold of the LLRs\n", s.ActDCF01, s.ActDCF001)
	fmt.Fprintf(stdout, "Cllr        %.4f bits   minCllr %.4f bits\n", s.Cllr, s.MinCllr)
	if s.Targets > 0 && s.NonTargets > 0 {
		dir := "the LLRs run high"
		switch {
		case math.Abs(s.BestOffset) < 0.005:
			dir = "no shift to make"
		case s.BestOffset > 0:
			dir = "the LLRs run low"
		}
		fmt.Fprintf(stdout, "offset      %+.2f nats added to every LLR would give Cllr %.4f bits (%s)\n", s.BestOffset, s.OffsetCllr, dir)
	}
	if *det != "" {
		if err := plotDET(*det, metrics.DET(tar, non), s.EER); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", *det)
	}
	return nil
}

// splitScores joins scores to labelled trials; every labelled trial needs exactly one score.
func splitScores(tr []kaldiio.Trial, sc []kaldiio.Score) (tar, non []float64, err error) {
	byKey := make(map[[2]string]float64, len(sc))
	for _, s := range sc {
		byKey[[2]string{s.Model, s.Test}] = s.Score
	}
	for i, t := range tr {
		v, ok := byKey[[2]string{t.Model, t.Test}]
		switch {
		case t.Label == "":
			return nil, nil, fmt.Errorf("trial %d (%s %s) has no target/nontarget label", i+1, t.Model, t.Test)
		case !ok:
			return nil, nil, fmt.Errorf("trial %d (%s %s) has no score", i+1, t.Model, t.Test)
		case t.Label == "target":
			tar = append(tar, v)
		default:
			non = append(non, v)
		}
	}
	if len(tar) == 0 || len(non) == 0 {
		return nil, nil, fmt.Errorf("need both target and non-target trials (have %d and %d)", len(tar), len(non))
	}
	return tar, non, nil
}

// probit is the standard normal quantile, the DET plot's axis warping.
func probit(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// detTicks labels probit-warped axes with percentages.
type detTicks struct{}

func (detTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, pct := range []float64{0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 40, 60} {
		if v := probit(pct / 100); v >= min && v <= max {
			out = append(out, plot.Tick{Value: v, Label: strings.TrimSuffix(fmt.Sprintf("%g", pct), ".0")})
		}
	}
	return out
}

func plotDET(path string, pts []metrics.Point, eer float64) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("DET (EER %.2f%%)", 100*eer)
	p.X.Label.Text = "false-alarm rate (%)"
	p.Y.Label.Text = "miss rate (%)"
	lo, hi := probit(0.0005), probit(0.6)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	p.X.Tick.Marker, p.Y.Tick.Marker = detTicks{}, detTicks{}
	clamp := func(v float64) float64 {
		return math.Min(hi, math.Max(lo, probit(math.Min(math.Max(v, 1e-6), 1-1e-6))))
	}
	xy := make(plotter.XYs, 0, len(pts))
	for _, pt := range pts {
		xy = append(xy, plotter.XY{X: clamp(pt.PFA), Y: clamp(pt.PMiss)})
	}
	line, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	diag, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	diag.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(plotter.NewGrid(), diag, line)
	return p.Save(5*vg.Inch, 5*vg.Inch, path)
}
