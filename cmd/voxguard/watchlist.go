package main

import (
	"fmt"
	"io"
	"time"

	"github.com/voxguard/voxguard/internal/progress"
)

func init() {
	register(command{
		name:    "watchlist",
		summary: "the fraudster watchlist of a running server: add, list, remove",
		run: func(args []string, stdout, stderr io.Writer) error {
			return runGroup("watchlist", watchlistCommands, args, stdout, stderr)
		},
	})
}

var watchlistCommands = []subcommand{
	{"add", "--label L --legal-basis B --case REF FILE.wav|FOLDER... [flags]", "add a voice to the watchlist", runWatchlistAdd},
	{"list", "[flags]", "list watchlist entries", runWatchlistList},
	{"remove", "ENTRY [flags]", "remove a watchlist entry", runWatchlistRemove},
}

func runWatchlistAdd(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("watchlist add", "--label L --legal-basis B --case REF FILE.wav|FOLDER... [flags]", stderr)
	rf.register(fs, 10*time.Minute)
	var in WatchlistInput
	fs.StringVar(&in.Label, "label", "", "`label` shown on hits, e.g. \"fraudster 2026-031\" (required)")
	fs.StringVar(&in.LegalBasis, "legal-basis", "", "the legal `basis` for keeping the voice (required)")
	fs.StringVar(&in.CaseRef, "case", "", "`reference` of the fraud case (required)")
	noProgress := fs.Bool("no-progress", false, "draw no upload progress on stderr")
	pos, done, err := parseArgs(fs, args, 1, -1)
	if done {
		return err
	}
	if in.Label == "" || in.LegalBasis == "" || in.CaseRef == "" {
		return usageErrorf("--label, --legal-basis and --case are required")
	}
	files, fromDir, err := collectWAVs(pos)
	if err != nil {
		return err
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	prog, finish := uploadProgress(stderr, fmt.Sprintf("uploading %d file(s), bytes", len(files)),
		!*noProgress && (fromDir || progress.IsTerminal(stderr)))
	e, err := c.AddWatchlist(ctx, in, files, prog)
	finish()
	if err != nil {
		return failed("add to the watchlist", err)
	}
	if rf.json {
		return writeJSON(stdout, e)
	}
	return printWatchlist(stdout, []WatchlistEntry{e})
}

func runWatchlistList(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("watchlist list", "[flags]", stderr)
	rf.register(fs, 30*time.Second)
	if _, done, err := parseArgs(fs, args, 0, 0); done {
		return err
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	es, err := c.ListWatchlist(ctx)
	if err != nil {
		return failed("list the watchlist", err)
	}
	if es == nil {
		es = []WatchlistEntry{}
	}
	if rf.json {
		return writeJSON(stdout, es)
	}
	return printWatchlist(stdout, es)
}

func runWatchlistRemove(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("watchlist remove", "ENTRY [flags]", stderr)
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
	if err := c.RemoveWatchlist(ctx, pos[0]); err != nil {
		return failed("remove watchlist entry "+pos[0], err)
	}
	if rf.json {
		return writeJSON(stdout, map[string]any{"removed": pos[0]})
	}
	_, err = fmt.Fprintf(stdout, "removed watchlist entry %s\n", pos[0])
	return err
}

// printWatchlist prints watchlist entries as a table.
func printWatchlist(w io.Writer, es []WatchlistEntry) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ENTRY\tLABEL\tCASE\tLEGAL BASIS\tSPEECH s\tADDED BY\tADDED")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%s\t%s\n", e.ID, e.Label, e.CaseRef, e.LegalBasis, e.SpeechSeconds, e.AddedBy, ts(e.Added))
	}
	return tw.Flush()
}
