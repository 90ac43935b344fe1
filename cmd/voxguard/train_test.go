package main

import (
	"bytes"
	"strings"
	"testing"
)

// train refuses bad front-end flags before reading any corpus.
func TestTrainUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--out", "x.vxgb"}, 2, "--corpus and --out are required"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--vad-window", "-1"}, 2, "--vad-window -1"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--pncc", "loud"}, 2, "want full, power or off"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--norm-window", "0"}, 2, "window"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--ivector-variances", "--ivector-fullcov"}, 2, "exclude each other"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--extra-copies", "some"}, 2, "--extra-copies must be all, backends, extractor or calibration"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--calibration-degraded-repeat", "0"}, 2, "--calibration-degraded-repeat must be 1 or more"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--fusion-max-speech", "8"}, 2, "go with --second-frontend"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--norm-prior-frames", "-5"}, 2, "--norm-prior-frames -5"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--norm", "warp", "--norm-prior-frames", "30"}, 2, "--norm-prior-frames needs --norm cmn"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--second-frontend", "--pncc power", "--fusion-max-speech", "-1"}, 2, "--fusion-max-speech -1"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--calibration-piece-frames", "50"}, 2, "goes with --calibration-piece-enrollments"},
		{[]string{"train", "--corpus", "c", "--out", "x.vxgb", "--calibration-piece-enrollments", "--calibration-piece-frames", "5"}, 2, "--calibration-piece-frames 5"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
