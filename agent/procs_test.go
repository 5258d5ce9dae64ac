package agent

import (
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
)

// fakeTuner is a procTuner on a made-up CPU clock and replay queue.
type fakeTuner struct {
	procTuner
	cpuNow time.Duration
	queued int64
	sets   []int
}

func newFakeTuner(max int) *fakeTuner {
	f := &fakeTuner{}
	f.procTuner = procTuner{max: max, cur: 1, log: slog.New(slog.DiscardHandler),
		cpu: func() time.Duration { return f.cpuNow }, backlog: func() int64 { return f.queued },
		set: func(n int) { f.sets = append(f.sets, n) }}
	return f
}

// window runs one window in which the process used share of a core.
func (f *fakeTuner) window(share float64) {
	f.cpuNow += time.Duration(share * float64(tuneWindow))
	f.step(tuneWindow)
}

func TestProcTunerRaisesWhenBusy(t *testing.T) {
	f := newFakeTuner(4)
	f.window(0.3)
	if f.cur != 1 || len(f.sets) != 0 {
		t.Fatalf("at 0.3 of a core: %d Ps (sets %v), want 1 and no change", f.cur, f.sets)
	}
	f.window(0.6)
	if f.cur != 4 || len(f.sets) != 1 || f.sets[0] != 4 {
		t.Fatalf("at 0.6 of a core: %d Ps (sets %v), want every P (4)", f.cur, f.sets)
	}
}

func TestProcTunerRaisesOnReplayBacklog(t *testing.T) {
	f := newFakeTuner(2)
	f.queued = tuneBacklog
	f.window(0.05)
	if f.cur != 2 {
		t.Fatalf("%d replays queued: %d Ps, want 2", f.queued, f.cur)
	}
}

// Back to one P only after tuneCalm quiet windows in a row, with no
// backlog; a busy window in between starts the count again.
func TestProcTunerLowersAfterCalm(t *testing.T) {
	f := newFakeTuner(2)
	f.window(0.9)
	for i := 0; i < tuneCalm-1; i++ {
		f.window(0.1)
	}
	f.window(0.4) // not calm: the count restarts
	for i := 0; i < tuneCalm-1; i++ {
		f.window(0.1)
	}
	if f.cur != 2 {
		t.Fatalf("after %d calm windows then a busy one then %d calm: %d Ps, want still 2", tuneCalm-1, tuneCalm-1, f.cur)
	}
	f.queued = tuneBacklog
	f.window(0.1)
	if f.cur != 2 {
		t.Fatal("lowered with replays queued")
	}
	f.queued = 0 // the backlog restarted the count too
	for i := 0; i < tuneCalm-1; i++ {
		f.window(0.1)
	}
	if f.cur != 2 {
		t.Fatal("lowered before tuneCalm calm windows after the backlog")
	}
	f.window(0.1)
	if f.cur != 1 || f.sets[len(f.sets)-1] != 1 {
		t.Fatalf("after %d calm windows: %d Ps (sets %v), want 1", tuneCalm, f.cur, f.sets)
	}
}

// A full input batch raises to every P at the next window, and keeps a
// window from counting as calm.
func TestProcTunerKickedIsBehind(t *testing.T) {
	f := newFakeTuner(2)
	f.kick()
	f.window(0.05)
	if f.cur != 2 {
		t.Fatalf("kicked: %d Ps, want 2", f.cur)
	}
	for i := 0; i < tuneCalm-1; i++ {
		f.window(0.05)
	}
	f.kick()
	f.window(0.05)
	for i := 0; i < tuneCalm-1; i++ {
		f.window(0.05)
	}
	if f.cur != 2 {
		t.Fatal("lowered although a window of the count was kicked")
	}
}

// Without TuneProcs (a library caller) the process's GOMAXPROCS is left
// alone; with it, the agent starts on one P, a kick gives every P back at
// once, and stopping gives every P back.
func TestProcTunerStart(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	if before < 2 {
		t.Skip("one CPU: nothing to tune")
	}
	a := &Agent{log: slog.New(slog.DiscardHandler), counters: metrics.New()}
	if tn := a.newProcTuner(); tn != nil || tn.inputBacklog() != nil {
		t.Fatal("a tuner without TuneProcs")
	}
	a.cfg.TuneProcs = true
	tn := a.newProcTuner()
	stop := tn.start()
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("tuning, idle: GOMAXPROCS %d, want 1", got)
	}
	tn.inputBacklog()()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.GOMAXPROCS(0) != before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("kicked: GOMAXPROCS %d, want %d", got, before)
	}
	stop()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("after stop GOMAXPROCS %d, want %d back", got, before)
	}
}
