package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/voxguard/voxguard/engine"
)

func init() {
	register(command{
		name:    "verify",
		summary: "verify a recording against a subject's voiceprint (exit 0 match, 10 mismatch, 11 inconclusive)",
		run:     runVerify,
	})
	register(command{
		name:    "identify",
		summary: "search a running server's watchlist for the voice of a recording",
		run:     runIdentify,
	})
}

// decisionExit is verify's exit status for each decision.
var decisionExit = map[engine.Decision]int{
	engine.Match:        exitOK,
	engine.Mismatch:     exitMismatch,
	engine.Inconclusive: exitInconclusive,
}

func runVerify(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("verify", "SUBJECT FILE.wav... [flags]", stderr)
	rf.register(fs, 2*time.Minute)
	pos, done, err := parseArgs(fs, args, 2, -1)
	if done {
		return err
	}
	subject := pos[0]
	files, _, err := collectWAVs(pos[1:])
	if err != nil {
		return err
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	res, err := c.Verify(ctx, subject, files)
	if err != nil {
		return failed("verify "+subject, err)
	}
	v := res.Verification
	if rf.json {
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
	} else {
		tw := newTable(stdout)
		fmt.Fprintf(tw, "subject:\t%s\n", subject)
		fmt.Fprintf(tw, "decision:\t%s\n", v.Decision)
		fmt.Fprintf(tw, "llr:\t%.2f\n", v.LLR)
		fmt.Fprintf(tw, "thresholds:\tmatch >= %.2f, mismatch <= %.2f\n", res.MatchThreshold, res.MismatchThreshold)
		fmt.Fprintf(tw, "speech:\t%.1f s\n", res.SpeechSeconds)
		fmt.Fprintf(tw, "risk:\t%d (%s)\n", res.Risk, res.Band)
		fmt.Fprintf(tw, "reasons:\t%s\n", orDash(joinReasons(res.Reasons)))
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	code, ok := decisionExit[v.Decision]
	if !ok {
		return fmt.Errorf("verify %s: unexpected decision %q", subject, v.Decision)
	}
	if code != exitOK {
		return &exitStatus{code: code}
	}
	return nil
}

func joinReasons(rs []engine.Reason) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func runIdentify(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("identify", "FILE.wav... [flags]", stderr)
	rf.register(fs, 2*time.Minute)
	pos, done, err := parseArgs(fs, args, 1, -1)
	if done {
		return err
	}
	files, _, err := collectWAVs(pos)
	if err != nil {
		return err
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	res, err := c.Identify(ctx, files)
	if err != nil {
		return failed("identify", err)
	}
	if res.Watchlist == nil {
		res.Watchlist = []engine.WatchlistHit{}
	}
	if rf.json {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "speech %.1f s, risk %d (%s), reasons: %s\n", res.SpeechSeconds, res.Risk, res.Band, orDash(joinReasons(res.Reasons)))
	th := fmt.Sprintf("threshold LLR %.2f", res.ThresholdLLR)
	if res.ThresholdLLRDegraded > res.ThresholdLLR {
		th += fmt.Sprintf(", %.2f through a degraded channel", res.ThresholdLLRDegraded)
	}
	if len(res.Watchlist) == 0 {
		_, err := fmt.Fprintf(stdout, "no watchlist hit (%s)\n", th)
		return err
	}
	fmt.Fprintf(stdout, "%d watchlist hit(s) (%s):\n", len(res.Watchlist), th)
	return printHits(stdout, res.Watchlist)
}
