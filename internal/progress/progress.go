// Package progress draws a one-line progress bar with rate and ETA on a terminal, and prints
// occasional plain lines otherwise (so logs of long jobs stay readable).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Bar reports progress of a job of Total units. It is safe for concurrent use.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	total    int
	done     int
	start    time.Time
	last     time.Time
	terminal bool
	finished bool // the final line has been drawn
	now      func() time.Time
}

// IsTerminal reports whether w is a character device (an interactive terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// New starts a bar for total units labelled label, drawing on w (nil: draw nothing).
func New(w io.Writer, label string, total int) *Bar {
	b := &Bar{w: w, label: label, total: total, now: time.Now}
	b.start = b.now()
	b.terminal = w != nil && IsTerminal(w)
	return b
}

// Add records n more units done and redraws at most ten times a second on a terminal, or every
// ten seconds otherwise.
func (b *Bar) Add(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if b.w == nil {
		return
	}
	now := b.now()
	every := 10 * time.Second
	if b.terminal {
		every = 100 * time.Millisecond
	}
	if now.Sub(b.last) < every && b.done < b.total {
		return
	}
	b.last = now
	b.draw(now, b.done >= b.total)
}

// Done finishes the bar with a final line.
func (b *Bar) Done() {
	if b == nil || b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.finished {
		b.draw(b.now(), true)
	}
}

// Line renders the bar's text at time now (exported for tests and plain logs).
func (b *Bar) Line(now time.Time) string {
	el := now.Sub(b.start)
	frac := 0.0
	if b.total > 0 {
		frac = float64(b.done) / float64(b.total)
	}
	const width = 24
	fill := int(frac * width)
	eta := "--"
	if b.done > 0 && b.done < b.total {
		eta = (time.Duration(float64(el) / frac * (1 - frac))).Round(time.Second).String()
	} else if b.done >= b.total {
		eta = "0s"
	}
	return fmt.Sprintf("%s [%s%s] %d/%d %5.1f%% elapsed %s ETA %s", b.label,
		strings.Repeat("=", min(fill, width)), strings.Repeat(" ", width-min(fill, width)),
		b.done, b.total, 100*frac, el.Round(time.Second), eta)
}

func (b *Bar) draw(now time.Time, final bool) {
	b.finished = final
	line := b.Line(now)
	switch {
	case b.terminal && final:
		fmt.Fprintf(b.w, "\r%s\n", line)
	case b.terminal:
		fmt.Fprintf(b.w, "\r%s", line)
	default:
		fmt.Fprintln(b.w, line)
	}
}
