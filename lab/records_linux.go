package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// A lab is recorded in its run's state file (<state dir>/<run id>.json,
// package internal/sim/state), whose "lab" member holds its Record: one file per
// lab, written atomically. Labs recorded by earlier versions had a second
// file, <state dir>/labs/<run id>.json; List reads it and Clean removes it.

// dirOr is dir, or the default state directory when dir is empty.
func dirOr(dir string) string {
	if dir == "" {
		return state.DefaultDir
	}
	return dir
}

// legacyDir held the second file of each lab before records moved into
// the state file.
func legacyDir(dir string) string { return filepath.Join(dirOr(dir), "labs") }

func legacyPath(dir, runID string) string { return filepath.Join(legacyDir(dir), runID+".json") }

// WriteRecord writes rec into the state file of its run (which sim made
// when it built the lab), atomically.
func WriteRecord(stateDir string, rec *Record) error {
	dir := dirOr(stateDir)
	run, err := state.Load(dir, rec.RunID)
	if err != nil {
		return fmt.Errorf("record the lab: %w", err)
	}
	if run.Lab, err = json.Marshal(rec); err != nil {
		return fmt.Errorf("record the lab: %w", err)
	}
	if err := state.Replace(dir, run); err != nil {
		return fmt.Errorf("record the lab: %w", err)
	}
	return nil
}

// readRecord returns the lab recorded with run (in its state file, or in
// an earlier version's second file); ok is false for a run that is not a
// recorded lab (a lab being built, a bench's network).
func readRecord(dir string, run *state.Run) (rec Record, ok bool, err error) {
	b := []byte(run.Lab)
	if len(b) == 0 {
		b, err = os.ReadFile(legacyPath(dir, run.RunID))
		if errors.Is(err, os.ErrNotExist) {
			return rec, false, nil
		}
		if err != nil {
			return rec, false, err
		}
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, false, fmt.Errorf("lab record of run %s: %w", run.RunID, err)
	}
	return rec, true, nil
}

// List returns the recorded labs, by start time.
func List(stateDir string) ([]Entry, error) {
	dir := dirOr(stateDir)
	ids, err := state.List(dir)
	if err != nil {
		return nil, err
	}
	var labs []Entry
	for _, id := range ids {
		run, err := state.Load(dir, id)
		if errors.Is(err, os.ErrNotExist) {
			continue // ended meanwhile
		}
		if err != nil {
			return nil, err
		}
		rec, ok, err := readRecord(dir, run)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		e := Entry{Record: rec, State: Orphaned}
		switch {
		case rec.Kept: // its owner may run on (run --library), not the lab
			e.State = Kept
		case state.Alive(run.PID, run.StartTime):
			e.State = Running
		}
		labs = append(labs, e)
	}
	sort.Slice(labs, func(i, j int) bool { return labs[i].Record.Started.Before(labs[j].Record.Started) })
	return labs, nil
}

// Choose picks the lab that key names, by run id or else by scenario name
// (when one lab only runs that scenario), or with key empty the only one.
func Choose(stateDir, key string) (Entry, error) {
	labs, err := List(stateDir)
	if err != nil {
		return Entry{}, err
	}
	if key != "" {
		var named []Entry
		for _, l := range labs {
			if l.Record.RunID == key {
				return l, nil
			}
			if l.Record.Scenario == key {
				named = append(named, l)
			}
		}
		switch len(named) {
		case 0:
			return Entry{}, fmt.Errorf("no lab %s (labs: %s)", key, names(labs))
		case 1:
			return named[0], nil
		}
		return Entry{}, fmt.Errorf("%d labs run %s (%s): choose one with --lab RUNID", len(named), key, names(named))
	}
	switch len(labs) {
	case 0:
		return Entry{}, errors.New("no lab is up (start one with mirrorlab up FILE, or keep a run's with mirrorlab run --keep)")
	case 1:
		return labs[0], nil
	}
	return Entry{}, fmt.Errorf("%d labs are up (%s): choose one with --lab RUNID", len(labs), names(labs))
}

func names(labs []Entry) string {
	if len(labs) == 0 {
		return "none"
	}
	s := make([]string, len(labs))
	for i, l := range labs {
		s[i] = l.Record.RunID + " " + l.Record.Scenario
	}
	return strings.Join(s, ", ")
}

// TakeDown ends a lab: a running one's owner is asked to stop (SIGTERM)
// and waited for (30 s at most) until the lab is gone and the owner has
// exited; a kept or orphaned one is removed here. It returns the lab with
// its last counters.
func TakeDown(stateDir string, l Entry) (Entry, error) {
	dir, id := dirOr(stateDir), l.Record.RunID
	run, err := state.Load(dir, id)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil // it ended meanwhile
	}
	if err != nil {
		return l, err
	}
	if l.State != Running {
		if err := state.Teardown(run); err != nil {
			return l, err
		}
		return l, errors.Join(state.Remove(dir, id), removeLegacy(dir, id))
	}
	if err := syscall.Kill(run.PID, syscall.SIGTERM); err != nil {
		return l, fmt.Errorf("stop its owner (pid %d): %w", run.PID, err)
	}
	// The owner writes the lab's last counters before it tears the lab
	// down; the record goes with the state file when it is done.
	deadline := time.Now().Add(30 * time.Second)
	for {
		labs, _ := List(stateDir)
		found := false
		for _, m := range labs {
			if m.Record.RunID == id {
				l.Record, found = m.Record, m.State == Running
			}
		}
		if !found && !state.Alive(run.PID, run.StartTime) {
			return l, nil
		}
		if time.Now().After(deadline) {
			return l, fmt.Errorf("its owner (pid %d) still runs after 30s", run.PID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func removeLegacy(dir, runID string) error {
	err := os.Remove(legacyPath(dir, runID))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Clean removes what dead owners left (sim.Sweep: their namespaces,
// processes and state files, kept labs included), the second files of
// labs recorded by earlier versions whose run is gone, and the logs of
// detached owners that no lab names any more (see sweepLogs). It returns
// the run ids and the logs it removed.
func Clean(stateDir string, now time.Time) (runs, logs []string, err error) {
	dir := dirOr(stateDir)
	runs, err = sim.Sweep(dir)
	if err != nil {
		return runs, nil, err
	}
	if logs, err = sweepLogs(dir, now); err != nil {
		return runs, logs, err
	}
	return runs, logs, sweepLegacy(dir)
}

// sweepLegacy removes an earlier version's lab files whose run has no
// state file any more (Sweep removed it, or its owner ended).
func sweepLegacy(dir string) error {
	paths, err := filepath.Glob(filepath.Join(legacyDir(dir), "*.json"))
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range paths {
		id := strings.TrimSuffix(filepath.Base(p), ".json")
		if state.CheckRunID(id) != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, id+".json")); errors.Is(err, os.ErrNotExist) {
			errs = append(errs, removeLegacy(dir, id))
		}
	}
	// The directory goes once nothing is left in it (logs may be).
	if err := os.Remove(legacyDir(dir)); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Netns is the network namespace (under /run/netns) of the lab's instance
// named instance.
func (e Entry) Netns(instance string) (string, error) {
	if ns, ok := e.Record.Instances[instance]; ok {
		return ns, nil
	}
	names := slices.Sorted(maps.Keys(e.Record.Instances))
	return "", fmt.Errorf("no instance %q in lab %s (instances: %s)", instance, e.Record.RunID, strings.Join(names, ", "))
}
