package agent

import (
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The agent's own process (Config.TuneProcs) runs on one scheduler P
// while it is mostly idle and on GOMAXPROCS of them once it is busy.
//
// At a few thousand requests a second each mirrored datagram and each
// response of the test server wakes the agent from idle. With a second,
// idle P, every goroutine made ready (the reader handing a request to a
// replay worker) also wakes a second thread that spins looking for work,
// finds none, and sleeps again: in perf stat over 2.5 s of the bench's 500
// req/s load, 5 290 context switches with two Ps, 3 063 with one, and a
// third less CPU per replayed request at 1 000 and 2 000 req/s. Once the
// agent needs more than about half a core, or replays queue up, every P is
// put back.
const (
	// tuneWindow is how often the agent's CPU is looked at.
	tuneWindow = 200 * time.Millisecond
	// tuneHigh is the share of one core (over a window) from which every
	// P is used; tuneLow the share under which, tuneCalm windows in a row,
	// the agent goes back to one.
	tuneHigh = 0.5
	tuneLow  = 0.25
	tuneCalm = 5
	// tuneBacklog is the number of queued replays from which every P is
	// used, whatever the CPU.
	tuneBacklog = 64
)

// procTuner decides the number of Ps, one window at a time, and at once
// when the input reports a backlog (kick). Its functions are the
// process's CPU time so far, the replays queued and the setter
// (runtime.GOMAXPROCS in the agent; tests give their own).
type procTuner struct {
	max, cur int
	calm     int
	lastCPU  time.Duration
	cpu      func() time.Duration
	backlog  func() int64
	set      func(int)
	log      *slog.Logger
	// kicked: the input fell behind during this window; one: cur is 1
	// (read by kick on the input's goroutines); wake asks the tuner's
	// goroutine for every P at once.
	kicked atomic.Bool
	one    atomic.Bool
	wake   chan struct{}
}

// kick says the input read a full batch: datagrams were waiting. On one P
// it wakes the tuner, which gives every P back at once (a flood of copies
// would fill the socket's buffer in a window); otherwise it only keeps the
// window from counting as calm.
func (t *procTuner) kick() {
	t.kicked.Store(true)
	if t.one.Load() {
		select {
		case t.wake <- struct{}{}:
			// On one P the tuner runs only when this reader yields,
			// and a reader with datagrams waiting does not park.
			runtime.Gosched()
		default:
		}
	}
}

// step looks at the window just ended (elapsed long).
func (t *procTuner) step(elapsed time.Duration) {
	cpu := t.cpu()
	busy := float64(cpu-t.lastCPU) / float64(elapsed)
	t.lastCPU = cpu
	backlog := t.backlog()
	behind := t.kicked.Swap(false) || backlog >= tuneBacklog
	switch {
	case t.cur == 1 && (busy >= tuneHigh || behind):
		t.to(t.max, busy, backlog)
	case t.cur > 1 && busy < tuneLow && !behind:
		if t.calm++; t.calm >= tuneCalm {
			t.to(1, busy, backlog)
		}
	default:
		t.calm = 0
	}
}

func (t *procTuner) to(n int, busy float64, backlog int64) {
	t.set(n)
	t.cur, t.calm = n, 0
	t.one.Store(n == 1)
	t.log.Debug("scheduler Ps", "gomaxprocs", n, "cores_busy", busy, "replays_queued", backlog)
}

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// newProcTuner returns the tuner (Config.TuneProcs) on a machine with more
// than one P, else nil; start starts it.
func (a *Agent) newProcTuner() *procTuner {
	max := runtime.GOMAXPROCS(0)
	if !a.cfg.TuneProcs || max <= 1 {
		return nil
	}
	return &procTuner{max: max, cur: max, cpu: processCPU, set: func(n int) { runtime.GOMAXPROCS(n) }, log: a.log,
		backlog: a.counters.ReplayQueued.Load, wake: make(chan struct{}, 1)}
}

// start puts the process on one P and tunes until the returned function
// is called, which gives every P back. A nil tuner does nothing.
func (t *procTuner) start() (stop func()) {
	if t == nil {
		return func() {}
	}
	t.lastCPU = t.cpu()
	t.to(1, 0, 0) // idle at start
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(tuneWindow)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-t.wake:
				if t.cur == 1 {
					t.to(t.max, 0, t.backlog())
				}
			case now := <-tick.C:
				t.step(now.Sub(last))
				last = now
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		t.to(t.max, 0, 0)
	}
}

// inputBacklog is the hook the UDP input calls on a full batch (nil
// without a tuner).
func (t *procTuner) inputBacklog() func() {
	if t == nil {
		return nil
	}
	return t.kick
}
