package server

import (
	"bytes"
	"strings"
	"testing"
)

func TestLoggerMasks(t *testing.T) {
	var b bytes.Buffer
	l := NewLogger(&b)
	l.Info("x", "ani", "+44 20 7946 0123", "name", "Alice Example", "account_ref", "GB00123456789", "call_id", "c-1")
	l.Info("y", "ani", MaskANI("+1 555 555 1234"))
	out := b.String()
	for _, leak := range []string{"7946", "Alice Example", "123456"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, `"call_id":"c-1"`) || !strings.Contains(out, "34\"") {
		t.Errorf("log lost what it may show: %s", out)
	}
}
