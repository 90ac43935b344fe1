package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestServeUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"serve", "--model", "/nonexistent.vxgb"}, 1, "no such file"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
	// -h never prints secrets taken from the environment.
	t.Setenv("VOXGUARD_INGEST_KEY", "s3cret-key")
	var out, errb bytes.Buffer
	run([]string{"serve", "-h"}, &out, &errb)
	if strings.Contains(errb.String(), "s3cret-key") {
		t.Error("serve -h printed the ingest key")
	}
}
