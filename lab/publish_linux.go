package lab

import (
	"errors"
	"time"
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
func (l *Lab) Publish(log string) error {
	rec := &Record{Info: l.Info(), Log: log, Counters: l.Status()}
	dir := l.sim.StateDir()
	if err := WriteRecord(dir, rec); err != nil {
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
				rec.Counters = l.Status()
				_ = WriteRecord(dir, rec)
				return
			case <-t.C:
			}
			rec.Counters = l.Status()
			_ = WriteRecord(dir, rec) // a full disk shows as stale counters
		}
	}()
	return nil
}
