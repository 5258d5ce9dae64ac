package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// refreshEvery is how often a lab's owner rewrites its record's counters.
const refreshEvery = time.Second

// publisher keeps a running lab's record fresh.
type publisher struct {
	quit, done chan struct{}
}

func (p *publisher) stop() {
	close(p.quit)
	<-p.done
}

// Publish records the lab in its state file (for exec, status and down in
// other processes), log naming the owner's output file when it runs
// detached, and rewrites the record with the lab's Status every second
// until the lab comes down, and once more then (the figures down prints).
// Each rewrite also lists the instances anew, so that exec finds those a
// change added while the lab runs.
func (l *Lab) Publish(log string) error {
	rec := &Record{Info: l.Info(), Log: log, Counters: l.statusNow()}
	if err := l.writeRecord(rec); err != nil {
		return err
	}
	p := &publisher{quit: make(chan struct{}), done: make(chan struct{})}
	l.mu.Lock()
	if l.done || l.pub != nil {
		l.mu.Unlock()
		return errors.New("publish the lab: it is closed, or published already")
	}
	l.pub = p
	l.mu.Unlock()
	go func() {
		defer close(p.done)
		t := time.NewTicker(refreshEvery)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				rec.Info, rec.Counters = l.Info(), l.statusNow()
				_ = l.writeRecord(rec)
				return
			case <-t.C:
			}
			rec.Info, rec.Counters = l.Info(), l.statusNow()
			_ = l.writeRecord(rec) // a full disk shows as stale counters
		}
	}()
	return nil
}

// writeRecord is WriteRecord through the lab's own writer of its state
// file, which also records the namespaces it adds and removes while it
// runs: neither write loses the other.
func (l *Lab) writeRecord(rec *Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("record the lab: %w", err)
	}
	err = l.sim.UpdateRecord(func(r *state.Run) error { r.Lab = b; return nil })
	if err != nil {
		return fmt.Errorf("record the lab: %w", err)
	}
	return nil
}
