package runner

import (
	"bytes"
	"strings"
	"sync"
)

// outputTailBytes is how much of a program's output a result keeps.
const outputTailBytes = 8 << 10

// lineWatch is a program's output: it counts the lines that contain each
// watched text (output expectations), signals when the readiness text first
// appears, and keeps the tail. Safe for concurrent writers (stdout and
// stderr).
type lineWatch struct {
	mu      sync.Mutex
	partial []byte
	counts  map[string]int64
	ready   string
	readyCh chan struct{}
	tail    []byte
}

func newLineWatch(needles []string, ready string) *lineWatch {
	w := &lineWatch{counts: map[string]int64{}, ready: ready, readyCh: make(chan struct{})}
	for _, n := range needles {
		w.counts[n] = 0
	}
	if ready == "" {
		close(w.readyCh)
	}
	return w
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tail = append(w.tail, p...)
	if len(w.tail) > 2*outputTailBytes {
		w.tail = append(w.tail[:0], w.tail[len(w.tail)-outputTailBytes:]...)
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 1<<20 { // a line without end: judge what we have
		w.line(string(w.partial))
		w.partial = w.partial[:0]
	}
	return len(p), nil
}

func (w *lineWatch) line(l string) {
	for n := range w.counts {
		if strings.Contains(l, n) {
			w.counts[n]++
		}
	}
	if w.ready != "" && strings.Contains(l, w.ready) {
		w.ready = ""
		close(w.readyCh)
	}
}

// flush counts a last line without a newline.
func (w *lineWatch) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.line(string(w.partial))
		w.partial = nil
	}
}

// countsNow returns the matching-line counts by text.
func (w *lineWatch) countsNow() map[string]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int64, len(w.counts))
	for k, v := range w.counts {
		out[k] = v
	}
	return out
}

// lastOutput returns the last of the output.
func (w *lineWatch) lastOutput() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.tail
	if len(t) > outputTailBytes {
		t = t[len(t)-outputTailBytes:]
	}
	return string(t)
}
