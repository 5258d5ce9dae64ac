package progress

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
)

// Display writes progress lines to w and, when w is a terminal, a status
// line kept up to date in place. Safe for concurrent use; use it as
// runner.Options.Progress and its Update as runner.Options.Live.
type Display struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	shown    bool // a status line is on the screen
}

// New returns a display on w; terminal says whether w is a terminal (see
// IsTerminal), and so whether the status line is shown.
func New(w io.Writer, terminal bool) *Display {
	return &Display{w: w, terminal: terminal}
}

// IsTerminal reports whether w is a terminal that can redraw a line: an
// *os.File on a terminal device, with TERM not "dumb".
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(f.Fd())
}

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// Write writes progress lines, first erasing the status line if one is
// shown (the next Update draws it again).
func (d *Display) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shown {
		if _, err := io.WriteString(d.w, clearLine); err != nil {
			return 0, err
		}
		d.shown = false
	}
	return d.w.Write(p)
}

// Update redraws the status line with what the run has done so far; a
// no-op when the output is not a terminal.
func (d *Display) Update(l runner.Live) {
	d.Show(fmt.Sprintf("  ▸ traffic %s %.1fs: %d packets mirrored, %d requests replayed",
		l.Step, l.Elapsed.Seconds(), l.Mirrored, l.Replayed))
}

// Show redraws the status line with status (one line, no newline), e.g.
// what several runs going at once are doing; a no-op when the output is
// not a terminal.
func (d *Display) Show(status string) {
	if !d.terminal {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	io.WriteString(d.w, clearLine+status)
	d.shown = true
}

// Done erases the status line, if one is shown.
func (d *Display) Done() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shown {
		io.WriteString(d.w, clearLine)
		d.shown = false
	}
}
