package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultDir is where run state files live unless a caller names another
// directory.
const DefaultDir = "/run/mirrorlab"

// maxRunIDLen bounds run ids so interface names "ml<id>-p<n>" fit in 15 bytes.
const maxRunIDLen = 6

// Run is the content of one state file.
type Run struct {
	RunID string `json:"run_id"`
	// PID and StartTime identify the owner process; StartTime is field 22 of
	// /proc/<pid>/stat (clock ticks after boot).
	PID       int       `json:"pid"`
	StartTime uint64    `json:"start_time"`
	Created   time.Time `json:"created"`
	// Namespaces are the named network namespaces (under /run/netns) of the
	// run; every one starts with Prefix(RunID). Removing them removes every
	// link of the run, since no link lives anywhere else.
	Namespaces []string `json:"namespaces"`
	// Lab is what the layer above (package lab) records of the run: its
	// instances, addresses and counters. Opaque here; Sweep ignores it.
	Lab json.RawMessage `json:"lab,omitempty"`
}

// Prefix is the prefix of every kernel object name of a run: "ml<id>-".
func Prefix(runID string) string { return "ml" + runID + "-" }

// NewRunID returns a random run id of maxRunIDLen (6) hex digits.
func NewRunID() string {
	var b [maxRunIDLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

// CheckRunID accepts 1 to maxRunIDLen (6) lower-case letters and digits.
func CheckRunID(id string) error {
	if id == "" || len(id) > maxRunIDLen {
		return fmt.Errorf("run id %q: want 1 to %d characters", id, maxRunIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return fmt.Errorf("run id %q: only lower-case letters and digits are allowed", id)
		}
	}
	return nil
}

// check verifies that the record is well formed and that every name it
// lists belongs to its run, so a damaged or foreign file cannot make Sweep
// delete what is not ours.
func (r *Run) check() error {
	if err := CheckRunID(r.RunID); err != nil {
		return err
	}
	if r.PID <= 0 {
		return fmt.Errorf("run %s: bad owner pid %d", r.RunID, r.PID)
	}
	p := Prefix(r.RunID)
	for _, ns := range r.Namespaces {
		if !strings.HasPrefix(ns, p) || len(ns) == len(p) || strings.ContainsAny(ns, "/\x00") {
			return fmt.Errorf("run %s: namespace %q is not named %s<name>", r.RunID, ns, p)
		}
	}
	return nil
}

func path(dir, runID string) string { return filepath.Join(dir, runID+".json") }

// A state file describes kernel objects (namespaces, their links) that
// never outlive the kernel: it must outlive its owner process, which the
// page cache ensures, not the machine. So it is written without fsync:
// with the state directory on a disk (not the usual tmpfs /run), each
// fsync waited for the journal to commit whatever the machine had
// changed, the lab's own /run/netns entries included; the first change
// to a lab of 1000 instances just built paid up to a third of a second
// for it, a later change a few milliseconds, on a loaded disk more.

// Create writes the state file of a new run. It fails if the directory holds
// a run with the same id already (the file appears complete or not at all).
func Create(dir string, r *Run) error {
	if err := r.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	tmp, err := writeTemp(dir, r)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path(dir, r.RunID)); err != nil {
		return fmt.Errorf("record run %s: %w", r.RunID, err)
	}
	return nil
}

// Replace rewrites the state file of a run atomically: readers see the old
// file or the new one, never half of one (a temporary file of a unique
// name in the same directory, renamed over the old file; not fsynced,
// see above).
func Replace(dir string, r *Run) error {
	if err := r.check(); err != nil {
		return err
	}
	tmp, err := writeTemp(dir, r)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path(dir, r.RunID)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record run %s: %w", r.RunID, err)
	}
	return nil
}

func writeTemp(dir string, r *Run) (string, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode run %s: %w", r.RunID, err)
	}
	f, err := os.CreateTemp(dir, "."+r.RunID+"-*.tmp")
	if err != nil {
		return "", fmt.Errorf("record run %s: %w", r.RunID, err)
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("record run %s: %w", r.RunID, err)
	}
	return f.Name(), nil
}

// RunDir is a directory for a run's files (<dir>/<run id>.d: the user
// data scripts of its instances, their working directories); whoever
// needs it creates it, and Remove (so Sweep) deletes it with the state
// file.
func RunDir(dir, runID string) string { return filepath.Join(dir, runID+".d") }

// Remove deletes the state file of a run and its RunDir; missing ones are
// not an error.
func Remove(dir, runID string) error {
	if err := os.RemoveAll(RunDir(dir, runID)); err != nil {
		return fmt.Errorf("remove files of run %s: %w", runID, err)
	}
	if err := os.Remove(path(dir, runID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove state of run %s: %w", runID, err)
	}
	return nil
}

// Load reads the state file of one run.
func Load(dir, runID string) (*Run, error) {
	b, err := os.ReadFile(path(dir, runID))
	if err != nil {
		return nil, fmt.Errorf("read state of run %s: %w", runID, err)
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path(dir, runID), err)
	}
	if r.RunID != runID {
		return nil, fmt.Errorf("%s: records run %q", path(dir, runID), r.RunID)
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path(dir, runID), err)
	}
	return &r, nil
}

// List returns the run ids that have a state file in dir.
func List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var ids []string
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && e.Type().IsRegular() && CheckRunID(id) == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
