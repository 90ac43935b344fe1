package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/voxguard/voxguard/internal/progress"
)

func init() {
	register(command{
		name:    "export",
		summary: "export everything a running server holds about a subject, unmasked (data-subject access request)",
		run:     runExport,
	})
	register(command{
		name:    "erase",
		summary: "erase a subject and every record naming it on a running server (admin; --yes)",
		run:     runErase,
	})
}

func runExport(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("export", "SUBJECT [--out FILE] [flags]", stderr)
	rf.register(fs, time.Minute)
	out := fs.String("out", "", "write the JSON to this `file` (created 0600) instead of stdout")
	pos, done, err := parseArgs(fs, args, 1, 1)
	if done {
		return err
	}
	c, ctx, cancel, err := rf.client()
	if err != nil {
		return err
	}
	defer cancel()
	doc, err := c.ExportSubject(ctx, pos[0])
	if err != nil {
		return failed("export subject "+pos[0], err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		return fmt.Errorf("export subject %s: malformed reply: %v", pos[0], err)
	}
	b.WriteByte('\n')
	if *out == "" {
		_, err = stdout.Write(b.Bytes())
		return err
	}
	// The export holds personal data in full: readable by its owner only, never overwritten.
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "voxguard export: wrote %s (%d bytes, mode 0600); it holds personal data in full\n", *out, b.Len())
	return nil
}

// stdin and stdinIsTerminal are erase's confirmation input (tests replace them).
var (
	stdin           io.Reader = os.Stdin
	stdinIsTerminal           = func() bool { return progress.IsTerminal(os.Stdin) }
)

func runErase(args []string, stdout, stderr io.Writer) error {
	var rf remoteFlags
	fs := newFlagSet("erase", "SUBJECT [--yes] [flags]", stderr)
	rf.register(fs, time.Minute)
	yes := fs.Bool("yes", false, "erase without asking (required when stdin is not a terminal)")
	pos, done, err := parseArgs(fs, args, 1, 1)
	if done {
		return err
	}
	id := pos[0]
	if !*yes {
		if !stdinIsTerminal() {
			return usageErrorf("erasing %s cannot be undone: pass --yes to confirm", id)
		}
		fmt.Fprintf(stderr, "Erase subject %s and every consent, voiceprint and call record naming it? This cannot be undone.\nType the subject id to confirm: ", id)
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if strings.TrimSpace(line) != id {
			return &exitStatus{code: exitUsage, msg: "not confirmed; nothing erased"}
		}
	}
	c, ctx, cancel, err := rf.client() // after the confirmation: its --timeout starts now
	if err != nil {
		return err
	}
	defer cancel()
	rep, err := c.EraseSubject(ctx, id)
	if err != nil {
		return failed("erase subject "+id, err)
	}
	if rf.json {
		return writeJSON(stdout, rep)
	}
	_, err = fmt.Fprintf(stdout, "erased %s (audit pseudonym %s): %d consent(s), %d voiceprint(s), %d call record(s)\n",
		id, rep.Pseudonym, rep.Consents, rep.Voiceprints, rep.Calls)
	return err
}
