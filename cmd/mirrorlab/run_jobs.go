package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/progress"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// runFunc runs one scenario and returns its result: runner.Run, or a fake
// in tests.
type runFunc func(ctx context.Context, s *spec.Scenario, opts runner.Options) *report.Result

// jobs runs scenarios, up to n at a time, each in its own lab.
//
// With n = 1 a scenario's lines appear as it goes, as they always did.
// With n > 1 each scenario's lines (its header, progress lines when not
// quiet, and summary) are kept until it finishes and then printed whole,
// so two runs never interleave; on a terminal a status line says what
// each running scenario is doing. The results keep the scenarios' order
// whatever order they finish in.
type jobs struct {
	n       int
	run     runFunc
	opts    runner.Options    // shared; Progress, Live and Logger set per scenario
	human   io.Writer         // summaries and progress lines
	stderr  io.Writer         // errors
	display *progress.Display // nil: quiet

	mu      sync.Mutex     // serialises output and guards the fields below
	running map[int]string // scenario index → what it is doing
	names   []string       // the scenarios' names, for the status line
	done    int
}

// runAll runs list, returning the results of the scenarios it started in
// list's order (a prefix of list: after ctx is done none starts) and how
// many passed.
func (j *jobs) runAll(ctx context.Context, list []*spec.Scenario) (results []*report.Result, passed int) {
	results = make([]*report.Result, len(list))
	j.running = map[int]string{}
	for _, s := range list {
		j.names = append(j.names, s.Name)
	}
	var mu sync.Mutex
	next := 0
	take := func() int { // the next scenario to start, -1 when none
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || next == len(list) {
			return -1
		}
		next++
		return next - 1
	}
	var wg sync.WaitGroup
	for range min(max(j.n, 1), len(list)) {
		wg.Go(func() {
			for i := take(); i >= 0; i = take() {
				results[i] = j.runOne(ctx, i, list[i])
			}
		})
	}
	wg.Wait()
	results = results[:next]
	for _, r := range results {
		if r.Passed {
			passed++
		}
	}
	return results, passed
}

// runOne runs scenario i and prints its lines.
func (j *jobs) runOne(ctx context.Context, i int, s *spec.Scenario) *report.Result {
	opts := j.opts
	var out io.Writer = j.human
	if j.display != nil {
		out = j.display
		opts.Progress, opts.Live = j.display, j.display.Update
	}
	var buf *lockedBuffer
	if j.n > 1 {
		buf = &lockedBuffer{}
		out = buf
		if j.display != nil {
			opts.Progress = io.MultiWriter(buf, &stepWriter{j: j, i: i})
			opts.Live = func(l runner.Live) {
				j.setStatus(i, fmt.Sprintf("%s %.0fs: %d mirrored", l.Step, l.Elapsed.Seconds(), l.Mirrored))
			}
		}
		if opts.Logger != nil {
			opts.Logger = opts.Logger.With("scenario", s.Name)
		}
		j.setStatus(i, "starting")
	}
	fmt.Fprintf(out, "=== %s (%s)\n", s.Name, s.File)
	r := j.run(ctx, s, opts)
	j.mu.Lock()
	defer j.mu.Unlock()
	report.WriteSummary(out, r)
	if err := recordKept(opts.StateDir, r); err != nil {
		fmt.Fprintln(j.stderr, "mirrorlab run: record the kept lab:", err)
	} else if r.Kept {
		fmt.Fprintf(out, "  mirrorlab exec --lab %s INSTANCE -- CMD, status and down reach it\n", r.RunID)
	}
	if buf != nil {
		j.done++
		delete(j.running, i)
		w := j.human
		if j.display != nil {
			w = j.display // erases the status line first
		}
		w.Write(buf.Bytes()) // one write: the scenario's lines stay together
		j.showLocked()
	}
	return r
}

// setStatus records what scenario i is doing and redraws the status line.
func (j *jobs) setStatus(i int, what string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.running[i] = what
	j.showLocked()
}

// statusWidth bounds the status line so that it never wraps on an
// 80-column terminal (a wrapped line cannot be redrawn in place).
const statusWidth = 79

// showLocked draws the status line: how many scenarios are done and what
// each running one is doing, in the scenarios' order, each cut to an equal
// share of the line so that all of them show.
func (j *jobs) showLocked() {
	if j.display == nil || len(j.running) == 0 {
		return
	}
	line := fmt.Sprintf("▸ %d/%d done", j.done, len(j.names))
	share := (statusWidth - utf8.RuneCountInString(line)) / len(j.running)
	for _, i := range slices.Sorted(maps.Keys(j.running)) {
		line += cut(fmt.Sprintf(" │ %s: %s", j.names[i], j.running[i]), share)
	}
	j.display.Show(line)
}

// cut shortens s to n runes, ending with … when it cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(append(r[:max(n-1, 0)], '…'))
}

// stepWriter turns scenario i's progress lines ("  [ 1.2s] building the
// VPC") into its part of the status line.
type stepWriter struct {
	j *jobs
	i int
}

func (w *stepWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if k := strings.Index(line, "] "); strings.HasPrefix(line, "[") && k > 0 {
		line = line[k+2:]
	}
	if line != "" {
		w.j.setStatus(w.i, line)
	}
	return len(p), nil
}

// lockedBuffer is a bytes.Buffer safe for the runner's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Bytes returns a copy of what was written.
func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}
