package lab

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// errClosed: the lab is closed (or left to run --keep's users).
var errClosed = errors.New("the lab is not running")

// Apply makes one change to the running lab; see the kinds of Change.
// Changes are applied one at a time; once the lab comes down, Apply
// refuses them.
func (l *Lab) Apply(ctx context.Context, c Change) error {
	l.applyMu.Lock()
	defer l.applyMu.Unlock()
	l.mu.Lock()
	done := l.done
	l.mu.Unlock()
	if done {
		return errClosed
	}
	switch c := c.(type) {
	case StartMirror:
		if l.Service() != nil {
			return errors.New("start the mirror service: it runs already")
		}
		model, err := cloudmock.New(c.Mirror.Spec, c.Mirror.ModelOptions...)
		if err != nil {
			return fmt.Errorf("build the provider model: %w", err)
		}
		return l.startMirror(ctx, c.Mirror, model)
	case StopMirror:
		return l.stopMirror()
	case FollowSpec:
		return l.follow(ctx, c.Spec)
	case SetSpec:
		svc := l.Service()
		if svc == nil {
			return errClosed
		}
		if err := svc.Apply(c.Spec); err != nil {
			return err
		}
		l.mu.Lock()
		l.spec = c.Spec
		l.mu.Unlock()
		return nil
	}
	return fmt.Errorf("lab: unknown change %T", c)
}

func (l *Lab) stopMirror() error {
	l.mu.Lock()
	svc := l.svc
	l.svc = nil
	l.mu.Unlock()
	if svc == nil {
		return nil
	}
	if err := svc.Close(); err != nil {
		return fmt.Errorf("stop the mirror service: %w", err)
	}
	return nil
}

// RunID is the lab's run id (its kernel objects are named ml<id>-...).
func (l *Lab) RunID() string { return l.sim.RunID() }

// Sim is the lab's emulated network.
func (l *Lab) Sim() *sim.Lab { return l.sim }

// Service is the running mirror service, or nil.
func (l *Lab) Service() *dataplane.Service {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.svc
}

// Model is the running mirror service's model, or nil.
func (l *Lab) Model() *cloudmock.Model {
	if svc := l.Service(); svc != nil {
		return svc.Model()
	}
	return nil
}

// TargetHealth says whether a load balancer's registered target is
// healthy, as the data plane's health checks last found it.
func (l *Lab) TargetHealth(loadBalancer, eni string) (bool, error) {
	m := l.Model()
	if m == nil {
		return false, errClosed
	}
	return m.TargetHealth(loadBalancer, eni)
}

// OnClose registers f to run when the lab comes down, after its record's
// last write and before the mirror service stops (the caller's programs
// and captures); the last registered runs first.
func (l *Lab) OnClose(f func() error) {
	l.mu.Lock()
	l.closers = append(l.closers, f)
	l.mu.Unlock()
}

// Close takes the lab down: the record's last counters, the OnClose
// functions, the mirror service, the namespaces and the state file. It
// returns every error; calling it again returns nil.
func (l *Lab) Close() error { return l.end(false) }

// Leave is Close that leaves the namespaces and the state file (run
// --keep): exec, status, down and clean reach them through the record
// that WriteRecord writes.
func (l *Lab) Leave() error { return l.end(true) }

func (l *Lab) end(keep bool) error {
	l.applyMu.Lock() // no change is under way from here on
	l.mu.Lock()
	done := l.done
	l.done = true
	pub, closers := l.pub, l.closers
	l.mu.Unlock()
	l.applyMu.Unlock()
	if done {
		return nil
	}
	var errs []error
	if pub != nil {
		pub.stop()
	}
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i]())
	}
	errs = append(errs, l.stopMirror())
	if !keep {
		errs = append(errs, l.sim.Close()) // with the run's directory (user data)
	}
	return errors.Join(errs...)
}
