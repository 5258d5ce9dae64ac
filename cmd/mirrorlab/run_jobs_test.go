package main

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/progress"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

func fakeList(n int) []*spec.Scenario {
	list := make([]*spec.Scenario, n)
	for i := range list {
		list[i] = &spec.Scenario{Name: fmt.Sprintf("s%d", i), File: fmt.Sprintf("dir/s%d.yaml", i)}
	}
	return list
}

// fakeRunner stands for runner.Run: it writes progress lines, reports a
// live step, and takes longer for earlier scenarios, so that with several
// jobs they end in another order than they started. It records how many
// ran at once.
type fakeRunner struct {
	active, most atomic.Int32
	gate         chan struct{} // closed when `wait` runs have started
	wait         int32
	once         sync.Once
}

func newFakeRunner(wait int) *fakeRunner {
	return &fakeRunner{gate: make(chan struct{}), wait: int32(wait)}
}

func (f *fakeRunner) run(ctx context.Context, s *spec.Scenario, opts runner.Options) *report.Result {
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	if n >= f.wait {
		f.once.Do(func() { close(f.gate) })
	}
	var i int
	fmt.Sscanf(s.Name, "s%d", &i)
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "  [%5.1fs] building the VPC of %s\n", 0.0, s.Name)
	}
	if opts.Live != nil {
		opts.Live(runner.Live{Step: "load-" + s.Name, Elapsed: time.Second, Mirrored: uint64(i)})
	}
	select { // the first runs wait for each other: proof they run at once
	case <-f.gate:
	case <-time.After(10 * time.Second):
	}
	time.Sleep(time.Duration(8-i%8) * 3 * time.Millisecond)
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "  [%5.1fs] lab of %s torn down\n", 0.1, s.Name)
	}
	return &report.Result{Scenario: s.Name, File: s.File, Provider: "aws", Passed: i%3 != 0,
		Expectations: []report.Verdict{{Name: "count of " + s.Name, Kind: "count", Passed: i%3 != 0, Want: "= 1", Observed: "1"}}}
}

// blocks splits run's output into the scenarios' blocks ("=== " to the
// next), sorted, after the lines before the first.
func blocks(out string) []string {
	parts := strings.Split(out, "=== ")
	rest := parts[1:]
	slices.Sort(rest)
	return append([]string{parts[0]}, rest...)
}

// TestJobsSameResultsAsSequential: with 4 jobs, 11 scenarios give the same
// results, in the same order, the same JSON and the same blocks of output
// as one at a time, and 4 (never more) ran at once.
func TestJobsSameResultsAsSequential(t *testing.T) {
	list := fakeList(11)
	run := func(n int) ([]*report.Result, int, string, *fakeRunner) {
		var out, errOut bytes.Buffer
		f := newFakeRunner(n)
		results, passed := runScenarios(context.Background(), list, runOptions{jobs: n}, &out, &errOut, f.run)
		if errOut.Len() != 0 {
			t.Errorf("jobs %d: stderr %q", n, errOut.String())
		}
		return results, passed, out.String(), f
	}
	r1, p1, out1, f1 := run(1)
	r4, p4, out4, f4 := run(4)
	if got := f1.most.Load(); got != 1 {
		t.Errorf("jobs 1: %d ran at once", got)
	}
	if got := f4.most.Load(); got != 4 {
		t.Errorf("jobs 4: %d ran at once, want 4", got)
	}
	if len(r1) != len(list) || !reflect.DeepEqual(r1, r4) || p1 != p4 || p1 != 7 {
		t.Fatalf("results differ: %d passed of %d, %d of %d", p1, len(r1), p4, len(r4))
	}
	for i, r := range r4 {
		if r.Scenario != list[i].Name {
			t.Fatalf("result %d is %s", i, r.Scenario)
		}
	}
	var j1, j4 bytes.Buffer
	if writeJSON("-", &j1, r1) != nil || writeJSON("-", &j4, r4) != nil || j1.String() != j4.String() {
		t.Fatalf("JSON differs:\n%s\n%s", j1.String(), j4.String())
	}
	b1, b4 := blocks(out1), blocks(out4)
	if b1[0] != "" || b4[0] != "running 11 scenarios, 4 at a time: each one's lines appear when it ends\n" {
		t.Errorf("before the blocks: %q, %q", b1[0], b4[0])
	}
	if !slices.Equal(b1[1:], b4[1:]) {
		t.Fatalf("blocks differ: one at a time\n%s\nfour at a time\n%s", out1, out4)
	}
	if !strings.Contains(out4, "building the VPC of s3\n  [  0.1s] lab of s3 torn down\n") {
		t.Errorf("a scenario's progress lines are not together:\n%s", out4)
	}
}

// TestJobsInterrupted: after ctx is done no scenario starts; the results
// are those of the ones that started, a prefix of the list in its order.
func TestJobsInterrupted(t *testing.T) {
	for _, n := range []int{1, 2} {
		list := fakeList(6)
		ctx, cancel := context.WithCancel(context.Background())
		f := newFakeRunner(1)
		run := func(ctx context.Context, s *spec.Scenario, opts runner.Options) *report.Result {
			if s.Name == "s2" {
				cancel() // Ctrl-C during the third
			}
			return f.run(ctx, s, opts)
		}
		var out bytes.Buffer
		results, _ := runScenarios(ctx, list, runOptions{jobs: n, quiet: true}, &out, &out, run)
		cancel()
		if len(results) < 3 || len(results) > 2+n {
			t.Fatalf("jobs %d: %d results", n, len(results))
		}
		for i, r := range results {
			if r == nil || r.Scenario != list[i].Name {
				t.Fatalf("jobs %d: result %d is %+v", n, i, r)
			}
		}
		if strings.Count(out.String(), "=== ") != len(results) {
			t.Errorf("jobs %d: output of other scenarios than the %d run:\n%s", n, len(results), out.String())
		}
	}
}

// TestJobsTerminalStatus: on a terminal, a status line says what each
// running scenario does, never wider than 79 columns, and erasing it
// leaves exactly the blocks printed off a terminal.
func TestJobsTerminalStatus(t *testing.T) {
	list := fakeList(5)
	list[4].Name = "s4-" + strings.Repeat("x", 100)
	plain := func(term bool) (string, []string) {
		var out bytes.Buffer
		j := &jobs{n: 2, run: newFakeRunner(2).run, human: &out, stderr: &out, display: progress.New(&out, term)}
		j.runAll(context.Background(), list)
		j.display.Done()
		var text strings.Builder
		var status []string
		for i, part := range strings.Split(out.String(), "\r\x1b[K") {
			if i > 0 && strings.HasPrefix(part, "▸ ") && !strings.Contains(part, "\n") {
				status = append(status, part)
				continue
			}
			text.WriteString(part)
		}
		return text.String(), status
	}
	want, none := plain(false)
	got, status := plain(true)
	if len(none) != 0 || len(status) == 0 {
		t.Fatalf("status lines: %d off a terminal, %d on one", len(none), len(status))
	}
	if !slices.Equal(blocks(got), blocks(want)) {
		t.Fatalf("terminal blocks\n%s\nwant\n%s", got, want)
	}
	seen := false
	for _, s := range status {
		if len([]rune(s)) > statusWidth {
			t.Errorf("status line of %d columns: %q", len([]rune(s)), s)
		}
		seen = seen || strings.HasPrefix(s, "▸ 0/5 done │ s0: ") && strings.Contains(s, "│ s1: ")
	}
	if !seen || !strings.Contains(strings.Join(status, "\n"), "│ s1: load-s1 1s: 1 mirrored") {
		t.Errorf("no status line shows s0 and s1 running with their steps:\n%s", strings.Join(status, "\n"))
	}
}
