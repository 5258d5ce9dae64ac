package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/sim/state"
)

// TestSweepLogs: clean removes the logs of detached owners whose labs are
// gone, and keeps the log a recorded lab names and a log too new to judge
// (an owner that has not recorded its lab yet).
func TestSweepLogs(t *testing.T) {
	dir := t.TempDir()
	labs := labsDir(dir)
	if err := os.MkdirAll(labs, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * logGrace)
	write := func(name string, mtime time.Time) string {
		p := filepath.Join(labs, name)
		if err := os.WriteFile(p, []byte("owner output\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gone := write("up-20261129T100000-11.log", old)
	live := write("up-20261129T100001-12.log", old)
	fresh := write("up-20261129T100002-13.log", time.Now())
	other := write("notes.txt", old)

	// A recorded lab (its state file exists, so listLabs keeps it) names live.
	id := state.NewRunID()
	if err := state.Create(dir, &state.Run{RunID: id, PID: os.Getpid(), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := writeLab(dir, &labRecord{LabInfo: runner.LabInfo{RunID: id}, Log: live}); err != nil {
		t.Fatal(err)
	}

	removed, err := sweepLogs(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{gone}) {
		t.Errorf("removed %v, want only %v", removed, gone)
	}
	for _, p := range []string{live, fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v (must stay)", p, err)
		}
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Errorf("%s still there: %v", gone, err)
	}
}
