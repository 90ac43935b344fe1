package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Environment variables of the commands that talk to a running server.
const (
	serverEnv     = "VOXGUARD_SERVER" // server URL
	tokenEnv      = "VOXGUARD_TOKEN"  // API key, ID.SECRET
	defaultServer = "http://127.0.0.1:8080"
)

// remoteFlags are the flags shared by subcommands that talk to a running server.
type remoteFlags struct {
	server  string
	token   string
	json    bool
	timeout time.Duration
}

// register adds --server, --token, --json and --timeout (defaulting to timeout) to fs. The
// token's default is not shown: -h must not print a secret.
func (f *remoteFlags) register(fs *flag.FlagSet, timeout time.Duration) {
	fs.StringVar(&f.server, "server", "", "server `URL` (default $"+serverEnv+", else "+defaultServer+")")
	fs.StringVar(&f.token, "token", "", "API `key` ID.SECRET (default $"+tokenEnv+"; prefer the variable: flags show in ps)")
	fs.BoolVar(&f.json, "json", false, "print the server's JSON on stdout instead of a table")
	fs.DurationVar(&f.timeout, "timeout", timeout, "give up on the server after this `duration`")
}

// serverURL returns --server, else $VOXGUARD_SERVER, else the default.
func (f *remoteFlags) serverURL() string {
	switch {
	case f.server != "":
		return f.server
	case os.Getenv(serverEnv) != "":
		return os.Getenv(serverEnv)
	}
	return defaultServer
}

// client returns the API client and a context bounded by --timeout; the caller calls cancel.
func (f *remoteFlags) client() (*APIClient, context.Context, context.CancelFunc, error) {
	tok := f.token
	if tok == "" {
		tok = strings.TrimSpace(os.Getenv(tokenEnv))
	}
	if tok == "" {
		return nil, nil, nil, usageErrorf("no API key: set $%s (or --token) to a key from `voxguard keys create`", tokenEnv)
	}
	if f.timeout <= 0 {
		return nil, nil, nil, usageErrorf("--timeout must be positive")
	}
	c, err := NewAPIClient(f.serverURL(), tok)
	if err != nil {
		return nil, nil, nil, usageErrorf("%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	return c, ctx, cancel, nil
}

// subcommand is one subcommand of a command group, e.g. "subjects show".
type subcommand struct {
	name    string
	args    string // synopsis of its arguments and flags
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// groupUsage writes the usage of a command group.
func groupUsage(w io.Writer, group string, subs []subcommand) {
	fmt.Fprintf(w, "usage:\n")
	for _, s := range subs {
		fmt.Fprintf(w, "  voxguard %s %s %s\n", group, s.name, s.args)
	}
	fmt.Fprintf(w, "\n")
	for _, s := range subs {
		fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\n(voxguard %s <subcommand> -h for its flags)\n", group)
}

// runGroup dispatches args to a subcommand of group; -h, --help and help print the group's
// usage and succeed.
func runGroup(group string, subs []subcommand, args []string, stdout, stderr io.Writer) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 {
		groupUsage(stderr, group, subs)
		return usageErrorf("expected subcommand %s", strings.Join(names, ", "))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		groupUsage(stderr, group, subs)
		return nil
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(args[1:], stdout, stderr)
		}
	}
	groupUsage(stderr, group, subs)
	return usageErrorf("unknown subcommand %q (want %s)", args[0], strings.Join(names, ", "))
}

// parseArgs parses flags and positional arguments in any order (flags may follow arguments; a
// "--" ends the flags) and checks there are between min and max positional arguments (max < 0:
// no limit). done is true when the subcommand should return err at once (-h gives a nil err).
func parseArgs(fs *flag.FlagSet, args []string, min, max int) (pos []string, done bool, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, true, nil
			}
			return nil, true, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	switch {
	case len(pos) < min:
		fs.Usage()
		return nil, true, usageErrorf("want at least %d argument(s), got %d", min, len(pos))
	case max >= 0 && len(pos) > max:
		return nil, true, usageErrorf("unexpected argument %q", pos[max])
	}
	return pos, false, nil
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns a tabwriter for a table of columns separated by tabs.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// ts formats a time for tables: UTC to the second, "-" when zero.
func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// failed wraps a failed remote operation with what was being done: the final message reads
// "voxguard <command>: <what>: <server detail> (HTTP <status>)".
func failed(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
