package main

import (
	"context"
	"fmt"
	"io"

	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "audit",
		summary: "the hash-chained audit log: verify, tail (on a running server, or offline with --data DIR)",
		run: func(args []string, stdout, stderr io.Writer) error {
			return runGroup("audit", auditCommands, args, stdout, stderr)
		},
	})
}

var auditCommands = []subcommand{
	{"verify", "(--data DIR [--key-file F] | --server URL) [flags]", "verify the audit hash chain (exit 1 when broken)", runAuditVerify},
	{"tail", "[--from SEQ] [--limit N] (--data DIR | --server URL) [flags]", "show the last audit entries, or those from a sequence number", runAuditTail},
}

func runAuditVerify(args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := newFlagSet("audit verify", "(--data DIR [--key-file F] | --server URL) [flags]", stderr)
	af.register(fs)
	if _, done, err := parseArgs(fs, args, 0, 0); done {
		return err
	}
	remote, err := af.remote()
	if err != nil {
		return err
	}
	var res AuditVerification
	if remote {
		err = af.withClient(func(c *APIClient, ctx context.Context) error {
			res, err = c.VerifyAudit(ctx)
			return failed("verify the audit log", err)
		})
	} else {
		opts, oerr := af.sf.options()
		if oerr != nil {
			return oerr
		}
		err = withStore(opts, func(st *store.Store) error {
			res.Report, err = st.VerifyAudit()
			res.OK = err == nil
			return err
		})
	}
	if err != nil {
		return err
	}
	if af.rf.json {
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
	} else if res.OK {
		fmt.Fprintf(stdout, "audit chain OK: %d entries, head %s\n", res.Report.Entries, res.Report.HeadHash)
	}
	if !res.OK {
		return &exitStatus{code: exitError, msg: res.Problem}
	}
	return nil
}

func runAuditTail(args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := newFlagSet("audit tail", "[--from SEQ] [--limit N] (--data DIR | --server URL) [flags]", stderr)
	af.register(fs)
	from := fs.Uint64("from", 0, "first sequence `number` to show (default: the last --limit entries)")
	limit := fs.Int("limit", 20, "most entries to show, 1-10000")
	if _, done, err := parseArgs(fs, args, 0, 0); done {
		return err
	}
	if *limit < 1 || *limit > 10000 {
		return usageErrorf("--limit must be 1-10000")
	}
	remote, err := af.remote()
	if err != nil {
		return err
	}
	es := []store.AuditEntry{}
	if remote {
		err = af.withClient(func(c *APIClient, ctx context.Context) error {
			l, err := c.AuditTail(ctx, *from, *limit)
			es = append(es, l...)
			return failed("tail the audit log", err)
		})
	} else {
		opts, oerr := af.sf.options()
		if oerr != nil {
			return oerr
		}
		err = withStore(opts, func(st *store.Store) error {
			start := *from
			if start == 0 {
				head, err := st.AuditHead()
				if err != nil {
					return err
				}
				start = 1
				if head > uint64(*limit) {
					start = head - uint64(*limit) + 1
				}
			}
			l, err := st.AuditEntries(start, *limit)
			es = append(es, l...)
			return err
		})
	}
	if err != nil {
		return err
	}
	if af.rf.json {
		return writeJSON(stdout, es)
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tTARGET\tOUTCOME")
	for _, e := range es {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, ts(e.Time), e.Actor, e.Action, e.Target, e.Outcome)
	}
	return tw.Flush()
}
