package sim

import (
	"fmt"
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// UpdateRecord changes the lab's state file: it loads it, lets f change
// it and writes it back atomically. The lab's own changes (the namespaces
// it creates and removes while it runs) go through it too, so that no
// writer loses another's change; f must not change the run id.
func (l *Lab) UpdateRecord(f func(*state.Run) error) error {
	l.recMu.Lock()
	defer l.recMu.Unlock()
	return l.updateRecordLocked(f)
}

func (l *Lab) updateRecordLocked(f func(*state.Run) error) error {
	r, err := state.Load(l.stateDir, l.runID)
	if err != nil {
		return err
	}
	if err := f(r); err != nil {
		return err
	}
	return state.Replace(l.stateDir, r)
}

// recordNamespaces adds names to the namespaces of the lab's state file
// before any of them is created, so that Sweep removes them should this
// process die before it does (a file that lists them all already, as
// Realize writes it, is left as it is).
func (l *Lab) recordNamespaces(names []string) error {
	if len(names) == 0 {
		return nil
	}
	l.recMu.Lock()
	defer l.recMu.Unlock()
	r, err := state.Load(l.stateDir, l.runID)
	if err == nil {
		have := make(map[string]bool, len(r.Namespaces))
		for _, n := range r.Namespaces {
			have[n] = true
		}
		added := false
		for _, n := range names {
			if !have[n] {
				r.Namespaces, have[n], added = append(r.Namespaces, n), true, true
			}
		}
		if added {
			err = state.Replace(l.stateDir, r)
		}
	}
	if err != nil {
		return fmt.Errorf("record namespaces of run %s: %w", l.runID, err)
	}
	return nil
}

// forgetNamespaces removes deleted (or never created) namespaces from
// the lab's state file.
func (l *Lab) forgetNamespaces(names ...string) error {
	if len(names) == 0 {
		return nil
	}
	l.recMu.Lock()
	defer l.recMu.Unlock()
	err := l.updateRecordLocked(func(r *state.Run) error {
		r.Namespaces = slices.DeleteFunc(r.Namespaces, func(n string) bool { return slices.Contains(names, n) })
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget namespaces %v of run %s: %w", names, l.runID, err)
	}
	return nil
}
