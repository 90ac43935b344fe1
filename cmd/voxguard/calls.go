package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "calls",
		summary: "stored call records of a running server: list, show",
		run: func(args []string, stdout, stderr io.Writer) error {
			return runGroup("calls", callsCommands, args, stdout, stderr)
		},
	})
}

var callsCommands = []subcommand{
	{"list", "[--subject ID] [--after CALL] [--limit N] [flags]", "list call records with their last assessment", runCallsList},
	{"show", "CALL [flags]", "show a call record with every assessment", runCallsShow},
}

func runCallsList(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("calls list", "[--subject ID] [--after CALL] [--limit N] [flags]", stderr)
	rf.register(fs, 30*time.Second)
	var q CallQuery
	fs.StringVar(&q.SubjectID, "subject", "", "only calls that claimed this subject `id`")
	fs.StringVar(&q.After, "after", "", "start after this `call` id (the last of the previous page)")
	fs.IntVar(&q.Limit, "limit", 100, "most calls to list, 1-1000")
	if _, done, err := parseArgs(fs, args, 0, 0); done {
		return err
	}
	if q.Limit < 1 || q.Limit > 1000 {
		return usageErrorf("--limit must be 1-1000")
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	recs, err := c.ListCalls(ctx, q)
	if err != nil {
		return failed("list calls", err)
	}
	if recs == nil {
		recs = []store.CallRecord{}
	}
	if rf.json {
		return writeJSON(stdout, recs)
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "CALL\tPLATFORM\tCALLER\tSUBJECT\tSTARTED\tENDED\tRISK\tBAND\tVERIFICATION\tREASONS")
	for _, r := range recs {
		a, ok := lastAssessment(r)
		risk, band, dec, reasons := "-", "-", "-", "-"
		if ok {
			risk, band, dec, reasons = fmt.Sprint(a.Risk), string(a.Band), string(a.Verification.Decision), orDash(joinReasons(a.Reasons))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.CallID, orDash(r.Platform), orDash(store.MaskPhone(r.ANI)),
			orDash(r.ClaimedSubject), ts(r.Started), ts(r.Ended), risk, band, dec, reasons)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if q.SubjectID == "" && len(recs) == q.Limit {
		fmt.Fprintf(stderr, "(more may follow: --after %s)\n", recs[len(recs)-1].CallID)
	}
	return nil
}

// lastAssessment decodes a call record's last assessment.
func lastAssessment(r store.CallRecord) (engine.Assessment, bool) {
	var a engine.Assessment
	if len(r.Assessments) == 0 || json.Unmarshal(r.Assessments[len(r.Assessments)-1], &a) != nil {
		return a, false
	}
	return a, true
}

func runCallsShow(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("calls show", "CALL [flags]", stderr)
	rf.register(fs, 30*time.Second)
	pos, done, err := parseArgs(fs, args, 1, 1)
	if done {
		return err
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	r, err := c.GetCall(ctx, pos[0])
	if err != nil {
		return failed("show call "+pos[0], err)
	}
	if rf.json {
		return writeJSON(stdout, r)
	}
	tw := newTable(stdout)
	fmt.Fprintf(tw, "call:\t%s\n", r.CallID)
	fmt.Fprintf(tw, "platform:\t%s\n", orDash(r.Platform))
	fmt.Fprintf(tw, "caller:\t%s\n", orDash(store.MaskPhone(r.ANI)))
	fmt.Fprintf(tw, "subject:\t%s\n", orDash(r.ClaimedSubject))
	fmt.Fprintf(tw, "started:\t%s\n", ts(r.Started))
	fmt.Fprintf(tw, "ended:\t%s\n", ts(r.Ended))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	tw = newTable(stdout)
	fmt.Fprintln(tw, "SEQ\tSPEECH s\tVERIFICATION\tLLR\tWATCHLIST\tSPOOF\tRISK\tBAND\tREASONS")
	for _, raw := range r.Assessments {
		var a engine.Assessment
		if err := json.Unmarshal(raw, &a); err != nil {
			return fmt.Errorf("show call %s: malformed assessment: %v", r.CallID, err)
		}
		hits := make([]string, len(a.Watchlist))
		for i, h := range a.Watchlist {
			hits[i] = fmt.Sprintf("%s (%.2f)", h.Label, h.LLR)
		}
		final := ""
		if a.Final {
			final = " final"
		}
		fmt.Fprintf(tw, "%d%s\t%.1f\t%s\t%.2f\t%s\t%s\t%d\t%s\t%s\n", a.Seq, final, a.SpeechSeconds, a.Verification.Decision,
			a.Verification.LLR, orDash(strings.Join(hits, ", ")), a.Spoof.Decision, a.Risk, a.Band, orDash(joinReasons(a.Reasons)))
	}
	return tw.Flush()
}
