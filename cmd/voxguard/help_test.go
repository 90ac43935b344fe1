package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
)

// groups are the commands with subcommands.
var groups = map[string][]subcommand{
	"subjects": subjectsCommands, "consent": consentCommands, "watchlist": watchlistCommands,
	"calls": callsCommands, "keys": keysCommands, "audit": auditCommands,
}

// TestHelpEverywhere checks that -h and --help print usage and exit 0 on every subcommand
// and sub-subcommand, that a group without a subcommand or with an unknown one is a usage
// error, and that help never prints the API key of the environment.
func TestHelpEverywhere(t *testing.T) {
	const secret = "vk_secret.do-not-print"
	t.Setenv(tokenEnv, secret)
	var cases [][]string
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cases = append(cases, []string{n, "-h"}, []string{n, "--help"})
		for _, s := range groups[n] {
			cases = append(cases, []string{n, s.name, "-h"}, []string{n, s.name, "--help"}, []string{n, s.name, "x", "--help"})
		}
	}
	for _, n := range []string{"subjects", "consent", "enroll", "watchlist", "verify", "identify", "calls", "export", "erase", "keys", "audit"} {
		if _, ok := commands[n]; !ok {
			t.Errorf("command %s is not registered", n)
		}
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errs := runCLI(args...)
			if code != 0 || !strings.Contains(errs, "usage") || strings.Contains(out+errs, secret) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
			}
			if len(args) == 3 && !strings.Contains(errs, "-json") && args[0] != "keys" && args[0] != "audit" {
				t.Errorf("no --json flag in the usage: %q", errs)
			}
		})
	}
	for n := range groups {
		if code, _, errs := runCLI(n); code != exitUsage || !strings.Contains(errs, "expected subcommand") {
			t.Errorf("%s without a subcommand: %d %q", n, code, errs)
		}
		if code, _, errs := runCLI(n, "bogus"); code != exitUsage || !strings.Contains(errs, `unknown subcommand "bogus"`) {
			t.Errorf("%s bogus: %d %q", n, code, errs)
		}
	}
	// voxguard help documents the exit statuses.
	_, _, errs := runCLI("help")
	for _, e := range exitCodes {
		if !strings.Contains(errs, e.what) {
			t.Errorf("help does not document exit status %d", e.code)
		}
	}
}

// TestParseArgs checks flags and positional arguments in any order.
func TestParseArgs(t *testing.T) {
	tests := []struct {
		args     []string
		min, max int
		pos      string
		json     bool
		usage    bool
	}{
		{[]string{"a", "--json", "b"}, 2, 2, "[a b]", true, false},
		{[]string{"--json", "a"}, 1, 1, "[a]", true, false},
		{[]string{"a", "--", "--json"}, 1, -1, "[a --json]", false, false},
		{[]string{}, 1, 1, "", false, true},
		{[]string{"a", "b"}, 1, 1, "", false, true},
		{[]string{"--bogus"}, 0, 0, "", false, true},
	}
	for _, tc := range tests {
		fs := newFlagSet("t", "", &strings.Builder{})
		j := fs.Bool("json", false, "")
		pos, done, err := parseArgs(fs, tc.args, tc.min, tc.max)
		if tc.usage {
			if !done || exitCodeOf(err) != exitUsage {
				t.Errorf("%q: want a usage error, got %v %v", tc.args, done, err)
			}
			continue
		}
		if done || err != nil || strings.Join(pos, " ") != strings.Trim(tc.pos, "[]") || *j != tc.json {
			t.Errorf("%q: %q %v %v json=%v", tc.args, pos, done, err, *j)
		}
	}
}

// TestExitCodeFor maps every HTTP error status the API uses.
func TestExitCodeFor(t *testing.T) {
	for status, want := range map[int]int{400: exitBadInput, 401: exitAuth, 403: exitAuth, 404: exitNotFound, 409: exitRefused,
		413: exitBadInput, 415: exitBadInput, 422: exitRefused, 500: exitError, 503: exitError} {
		if got := exitCodeOf(&APIError{Status: status}); got != want {
			t.Errorf("HTTP %d: exit %d, want %d", status, got, want)
		}
	}
	if got := exitCodeOf(&NetError{Err: io.EOF}); got != exitUnreachable {
		t.Errorf("network error: %d", got)
	}
}

// TestREADMEExitCodes keeps the README's exit status table the same as exitCodes.
func TestREADMEExitCodes(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exitCodes {
		if row := fmt.Sprintf("| %d | %s |", e.code, e.what); !strings.Contains(string(b), row) {
			t.Errorf("README lacks the row %q", row)
		}
	}
}
