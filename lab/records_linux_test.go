package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// newRun makes the state file of a run whose owner is this process when
// alive (Clean leaves it), or a process long gone (Clean removes it).
func newRun(t *testing.T, dir string, alive bool) string {
	t.Helper()
	r := &state.Run{RunID: state.NewRunID(), PID: os.Getpid(), Created: time.Now()}
	if alive {
		_, start, err := state.Self()
		if err != nil {
			t.Fatal(err)
		}
		r.StartTime = start
	} else {
		r.StartTime = 1 // the pid's start time is not this: its owner is gone
	}
	if err := state.Create(dir, r); err != nil {
		t.Fatal(err)
	}
	return r.RunID
}

// TestRecordInTheStateFile: a lab's record lives in its run's one state
// file, which stays the only file; List reads it back with its state, and
// a run without a record (being built, a bench's network) is no lab.
func TestRecordInTheStateFile(t *testing.T) {
	dir := t.TempDir()
	id := newRun(t, dir, true)
	newRun(t, dir, true) // not a lab
	rec := &Record{Info: Info{RunID: id, Scenario: "vni", PID: os.Getpid()}, Counters: Status{Servers: map[string]int{"web": 3}}}
	if err := WriteRecord(dir, rec); err != nil {
		t.Fatal(err)
	}
	rec.Counters.Servers["web"] = 4
	if err := WriteRecord(dir, rec); err != nil {
		t.Fatal(err)
	}
	labs, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(labs) != 1 || labs[0].Record.RunID != id || labs[0].State != Running || labs[0].Record.Counters.Servers["web"] != 4 {
		t.Fatalf("List = %+v", labs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 2 {
		t.Fatalf("files: %v, want the two runs' state files only", files)
	}
	run, err := state.Load(dir, id)
	if err != nil || run.PID != os.Getpid() {
		t.Fatalf("the run's own fields after WriteRecord: %+v, %v", run, err)
	}
	if _, err := Choose(dir, "zz"); err == nil || !strings.Contains(err.Error(), "no lab zz (labs: "+id+" vni)") {
		t.Fatalf("Choose of an unknown id: %v", err)
	}
	l, err := Choose(dir, "")
	if err != nil || l.Record.RunID != id {
		t.Fatalf("Choose the only lab: %+v, %v", l, err)
	}
	if l, err := Choose(dir, "vni"); err != nil || l.Record.RunID != id {
		t.Fatalf("Choose by scenario name: %+v, %v", l, err)
	}
	other := newRun(t, dir, true)
	if err := WriteRecord(dir, &Record{Info: Info{RunID: other, Scenario: "vni"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Choose(dir, "vni"); err == nil || !strings.Contains(err.Error(), "2 labs run vni") {
		t.Fatalf("Choose by a name two labs run: %v", err)
	}
	if l, err := Choose(dir, other); err != nil || l.Record.RunID != other {
		t.Fatalf("Choose by run id among two: %+v, %v", l, err)
	}
	rec.Instances = map[string]string{"web": "mlab-web", "client": "mlab-client"}
	if err := WriteRecord(dir, rec); err != nil {
		t.Fatal(err)
	}
	l, _ = Choose(dir, id)
	if ns, err := l.Netns("web"); err != nil || ns != "mlab-web" {
		t.Fatalf("Netns(web) = %q, %v", ns, err)
	}
	if _, err := l.Netns("db"); err == nil || !strings.Contains(err.Error(), `no instance "db" in lab `+id+" (instances: client, web)") {
		t.Fatalf("Netns(db): %v", err)
	}
}

// TestLegacyRecord: a lab recorded by an earlier version (a second file,
// labs/<id>.json, beside the state file) is listed, and Clean removes it
// with its run once the owner is gone, and an orphaned second file too.
func TestLegacyRecord(t *testing.T) {
	dir := t.TempDir()
	id := newRun(t, dir, false)
	if err := os.MkdirAll(legacyDir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Record{Info: Info{RunID: id, Scenario: "old"}, Kept: true})
	if err := os.WriteFile(legacyPath(dir, id), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(legacyPath(dir, "gone1"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	labs, err := List(dir)
	if err != nil || len(labs) != 1 || labs[0].Record.Scenario != "old" || labs[0].State != Kept {
		t.Fatalf("List = %+v, %v", labs, err)
	}
	runs, _, err := Clean(dir, time.Now())
	if err != nil || !slices.Equal(runs, []string{id}) {
		t.Fatalf("Clean = %v, %v", runs, err)
	}
	for _, p := range []string{legacyPath(dir, id), legacyPath(dir, "gone1"), filepath.Join(dir, id+".json"), legacyDir(dir)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after Clean: %v", p, err)
		}
	}
}

// TestSweepLogs: Clean removes the logs of detached owners whose labs are
// gone (where this version and earlier ones put them), and keeps the log
// a recorded lab names and a log too new to judge (an owner that has not
// recorded its lab yet).
func TestSweepLogs(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * logGrace)
	write := func(d, name string, mtime time.Time) string {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, []byte("owner output\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gone := write(logsDir(dir), "up-20261129T100000-11.log", old)
	goneLegacy := write(legacyDir(dir), "up-20261129T100000-10.log", old)
	live := write(logsDir(dir), "up-20261129T100001-12.log", old)
	fresh := write(logsDir(dir), "up-20261129T100002-13.log", time.Now())
	other := write(logsDir(dir), "notes.txt", old)

	// A recorded lab names live.
	id := newRun(t, dir, true)
	if err := WriteRecord(dir, &Record{Info: Info{RunID: id}, Log: live}); err != nil {
		t.Fatal(err)
	}
	runs, removed, err := Clean(dir, time.Now())
	if err != nil || len(runs) != 0 {
		t.Fatalf("Clean: %v, %v", runs, err)
	}
	slices.Sort(removed)
	if want := []string{goneLegacy, gone}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, p := range []string{live, fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v (must stay)", p, err)
		}
	}
	if _, err := os.Stat(legacyDir(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the earlier versions' directory, emptied, is still there: %v", err)
	}
}

// TestSupported: one check, one text, matched with errors.Is.
func TestSupported(t *testing.T) {
	if err := supported(0); err != nil {
		t.Fatalf("root: %v", err)
	}
	err := fmt.Errorf("mirrorlab run: %w", supported(1000))
	if !errors.Is(err, ErrNeedsRoot) || !strings.Contains(err.Error(), "needs root: it creates network namespaces") {
		t.Fatalf("not root: %v", err)
	}
}
