package main

import (
	"fmt"
	"io"
	"time"

	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "consent",
		summary: "consents on a running server: grant, withdraw, show",
		run: func(args []string, stdout, stderr io.Writer) error {
			return runGroup("consent", consentCommands, args, stdout, stderr)
		},
	})
}

var consentCommands = []subcommand{
	{"grant", "SUBJECT --method M --evidence REF --policy VERSION [--purpose P] [--granted TIME] [flags]", "record a subject's consent", runConsentGrant},
	{"withdraw", "SUBJECT CONSENT [flags]", "withdraw a consent (deletes the voiceprints it covered)", runConsentWithdraw},
	{"show", "SUBJECT [flags]", "list a subject's consents", runConsentShow},
}

func runConsentGrant(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("consent grant", "SUBJECT --method M --evidence REF --policy VERSION [--purpose P] [--granted TIME] [flags]", stderr)
	rf.register(fs, 30*time.Second)
	var in ConsentInput
	fs.StringVar(&in.Purpose, "purpose", store.PurposeVoiceVerification, "`purpose` consented to")
	fs.StringVar(&in.Method, "method", "", "how consent was obtained, e.g. ivr-recorded, web-form, agent-verbal (required)")
	fs.StringVar(&in.EvidenceRef, "evidence", "", "`reference` of the evidence, e.g. a recording or form id (required)")
	fs.StringVar(&in.PolicyVersion, "policy", "", "`version` of the privacy notice shown (required)")
	granted := fs.String("granted", "", "when consent was given, RFC 3339 `time` (default: now)")
	pos, done, err := parseArgs(fs, args, 1, 1)
	if done {
		return err
	}
	if in.Method == "" || in.EvidenceRef == "" || in.PolicyVersion == "" {
		return usageErrorf("--method, --evidence and --policy are required")
	}
	if *granted != "" {
		if in.Granted, err = time.Parse(time.RFC3339, *granted); err != nil {
			return usageErrorf("--granted: want an RFC 3339 time, e.g. 2026-01-31T09:30:00Z")
		}
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	con, err := c.GrantConsent(ctx, pos[0], in)
	if err != nil {
		return failed("grant consent to "+pos[0], err)
	}
	if rf.json {
		return writeJSON(stdout, con)
	}
	return printConsents(stdout, []store.Consent{con})
}

func runConsentWithdraw(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("consent withdraw", "SUBJECT CONSENT [flags]", stderr)
	rf.register(fs, 30*time.Second)
	pos, done, err := parseArgs(fs, args, 2, 2)
	if done {
		return err
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	res, err := c.WithdrawConsent(ctx, pos[0], pos[1])
	if err != nil {
		return failed("withdraw consent "+pos[1], err)
	}
	if rf.json {
		return writeJSON(stdout, res)
	}
	_, err = fmt.Fprintf(stdout, "withdrew consent %s of %s; %d voiceprint(s) deleted\n", pos[1], pos[0], res.VoiceprintsDeleted)
	return err
}

func runConsentShow(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("consent show", "SUBJECT [flags]", stderr)
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
	cs, err := c.ListConsents(ctx, pos[0])
	if err != nil {
		return failed("show consents of "+pos[0], err)
	}
	if cs == nil {
		cs = []store.Consent{}
	}
	if rf.json {
		return writeJSON(stdout, cs)
	}
	return printConsents(stdout, cs)
}

// printConsents prints consents as a table.
func printConsents(w io.Writer, cs []store.Consent) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "CONSENT\tPURPOSE\tSTATUS\tMETHOD\tEVIDENCE\tPOLICY\tGRANTED\tWITHDRAWN")
	for _, c := range cs {
		status := "active"
		if !c.Active() {
			status = "withdrawn"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Purpose, status, c.Method, c.EvidenceRef, c.PolicyVersion,
			ts(c.Granted), ts(c.Withdrawn))
	}
	return tw.Flush()
}
