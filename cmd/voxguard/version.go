package main

import (
	"fmt"
	"io"
)

// version is the voxguard release; overridden at link time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func init() {
	register(command{
		name:    "version",
		summary: "print the voxguard version",
		run: func(args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet("version", "", stderr)
			if done, err := parseFlags(fs, args); done {
				return err
			}
			_, err := fmt.Fprintln(stdout, "voxguard", version)
			return err
		},
	})
}
