package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Exit statuses of voxguard, the same for every subcommand, so that scripts can branch on them.
const (
	exitOK           = 0  // success; verify: the voice matches
	exitError        = 1  // unexpected failure: server error (5xx), malformed reply, local I/O, broken audit chain
	exitUsage        = 2  // bad flags or arguments, e.g. no server token
	exitAuth         = 3  // authentication or authorisation refused (HTTP 401, 403)
	exitNotFound     = 4  // no such subject, consent, call, entry or key (HTTP 404)
	exitRefused      = 5  // refused by a rule: conflict, no consent, quality gate, watchlist hit (HTTP 409, 422)
	exitUnreachable  = 6  // the server could not be reached (connection refused, DNS, TLS, timeout)
	exitBadInput     = 7  // the server rejected the input: malformed request or audio, too large (HTTP 400, 413, 415)
	exitMismatch     = 10 // verify: the voice does not match the subject's voiceprint
	exitInconclusive = 11 // verify: neither match nor mismatch (too little speech, score between the thresholds)
)

// exitCodes is the table of exit statuses shown by `voxguard help` and in the README (a test
// keeps the two the same).
var exitCodes = []struct {
	code int
	what string
}{
	{exitOK, "success (verify: the voice matches)"},
	{exitError, "unexpected error: server error (HTTP 5xx), malformed reply, local I/O, audit chain broken"},
	{exitUsage, "usage error: bad flags or arguments, no API key"},
	{exitAuth, "authentication or authorisation refused (HTTP 401, 403)"},
	{exitNotFound, "not found (HTTP 404)"},
	{exitRefused, "refused by a rule: conflict, no consent, quality gate, watchlist hit (HTTP 409, 422)"},
	{exitUnreachable, "server unreachable: connection refused, DNS, TLS or timeout"},
	{exitBadInput, "input rejected by the server: malformed request or audio, upload too large (HTTP 400, 413, 415)"},
	{exitMismatch, "verify: mismatch"},
	{exitInconclusive, "verify: inconclusive"},
}

// printExitCodes writes the exit status table.
func printExitCodes(w io.Writer) {
	fmt.Fprintln(w, "\nexit status:")
	for _, e := range exitCodes {
		fmt.Fprintf(w, "  %-3d %s\n", e.code, e.what)
	}
}

// exitStatus is an error that sets the exit status. An empty msg prints nothing (the
// subcommand has already said what happened, e.g. verify's mismatch).
type exitStatus struct {
	code int
	msg  string
}

func (e *exitStatus) Error() string { return e.msg }

// exitCodeFor maps an HTTP error status to an exit status.
func exitCodeFor(status int) int {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return exitAuth
	case http.StatusNotFound:
		return exitNotFound
	case http.StatusConflict, http.StatusUnprocessableEntity:
		return exitRefused
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return exitBadInput
	}
	return exitError
}

// exitCodeOf returns the exit status for a subcommand's error (nil: 0).
func exitCodeOf(err error) int {
	var es *exitStatus
	var ae *APIError
	var ne *NetError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &es):
		return es.code
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.As(err, &ae):
		return exitCodeFor(ae.Status)
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return exitUnreachable
	}
	return exitError
}
