package main

import (
	"fmt"
	"io"
)

func init() {
	register(command{
		name:    "audit",
		summary: "verify the hash-chained audit log of a store (audit verify --data DIR)",
		run:     runAudit,
	})
}

func runAudit(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: voxguard audit verify --data DIR [--key-file F]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageErrorf("expected subcommand verify")
	}
	var sf storeFlags
	fs := newFlagSet("audit verify", "--data DIR [--key-file F]", stderr)
	sf.register(fs)
	if done, err := parseFlags(fs, args[1:]); done {
		return err
	}
	s, err := sf.open()
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.VerifyAudit()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "audit chain OK: %d entries, head %s\n", rep.Entries, rep.HeadHash)
	return err
}
