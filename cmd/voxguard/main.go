// Command voxguard is the single binary of the voxguard voiceprint anti-fraud engine.
//
// Each subcommand lives in its own file and registers itself with register in an init
// function, so that adding a subcommand never touches another subcommand's file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand of the voxguard binary.
type command struct {
	name    string
	summary string
	// run executes the subcommand with its arguments (without the subcommand name).
	// It writes results to stdout and diagnostics to stderr and returns an error on failure.
	run func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// register adds a subcommand; it panics on a duplicate name (a programming error).
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("duplicate subcommand " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks an error caused by bad command-line input; main exits with status 2 for it.
var errUsage = errors.New("usage error")

// usageErrorf returns an error wrapping errUsage with a formatted message.
func usageErrorf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

// newFlagSet returns a flag set for a subcommand that reports errors instead of exiting.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("voxguard "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: voxguard %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs, mapping flag errors to errUsage and -h to a nil
// error with done set.
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return true, usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return false, nil
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "voxguard: voiceprint anti-fraud verification engine")
	fmt.Fprintln(w, "\nusage: voxguard <command> [flags]    (voxguard <command> -h for its flags)")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	printExitCodes(w)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "voxguard: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return 2
	}
	err := c.run(args[1:], stdout, stderr)
	if err != nil {
		if msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": "); msg != "" {
			fmt.Fprintf(stderr, "voxguard %s: %s\n", c.name, msg)
		}
	}
	return exitCodeOf(err)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
