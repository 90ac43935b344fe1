package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/voxguard/voxguard/store"
)

func init() {
	register(command{
		name:    "backup",
		summary: "write an encrypted backup of a store (backup --data DIR --out FILE)",
		run:     runBackup,
	})
	register(command{
		name:    "restore",
		summary: "restore a backup into an empty data directory (restore --data DIR --in FILE)",
		run:     runRestore,
	})
}

func runBackup(args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("backup", "--data DIR --out FILE [--key-file F]", stderr)
	sf.register(fs)
	out := fs.String("out", "", "backup `file` to write (mode 0600; required)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *out == "" {
		return usageErrorf("--out is required")
	}
	s, err := sf.open()
	if err != nil {
		return err
	}
	defer s.Close()
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".voxguard-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	ver, err := s.Backup(cliActor, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), *out)
	}
	if err != nil {
		return fmt.Errorf("writing backup: %w", err)
	}
	fi, _ := os.Stat(*out)
	_, err = fmt.Fprintf(stdout, "backup written to %s (%d bytes, version %d, encrypted with the store key)\n", *out, fi.Size(), ver)
	return err
}

func runRestore(args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("restore", "--data DIR --in FILE [--key-file F]", stderr)
	sf.register(fs)
	in := fs.String("in", "", "backup `file` to read (required)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *in == "" {
		return usageErrorf("--in is required")
	}
	opts, err := sf.options()
	if err != nil {
		return err
	}
	opts.MustExist = false
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := store.Restore(opts, f)
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.VerifyAudit()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "restored %s into %s; audit chain OK: %d entries, head %s\n", *in, opts.Dir, rep.Entries, rep.HeadHash)
	return err
}
