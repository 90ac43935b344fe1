package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestBarLine(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	b := New(&buf, "stats", 100)
	b.start = t0
	b.now = func() time.Time { return t0.Add(10 * time.Second) }
	b.Add(25)
	line := b.Line(t0.Add(10 * time.Second))
	for _, want := range []string{"stats", "25/100", "25.0%", "elapsed 10s", "ETA 30s", "[======"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	b.Done()
	if !strings.Contains(buf.String(), "25/100") {
		t.Errorf("non-terminal output %q lacks the count", buf.String())
	}
	var nilBar *Bar
	nilBar.Add(1) // a nil bar is a no-op
	New(nil, "x", 1).Add(1)
}
