package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/sim/state"
)

// A lab that mirrorlab up (or run --keep) leaves running is recorded in
// <state dir>/labs/<run id>.json, for exec, status and down. The owner of
// a lab that runs (up) rewrites its record every second with the lab's
// counters; a kept run's record holds the run's last figures. The record
// lives as long as the lab: the sim state file of the same run id says
// whether its namespaces still exist.
type labRecord struct {
	runner.LabInfo
	// Kept: left by run --keep; nobody owns it and nothing mirrors any
	// more, but its namespaces and addresses are there to poke at.
	Kept bool `json:"kept,omitempty"`
	// Log is the owner's output when it runs detached (up -d).
	Log string `json:"log,omitempty"`
	// Counters are the lab's figures, as of Counters.Updated.
	Counters runner.LabStatus `json:"counters"`
}

// labState is what a record's lab is doing now.
type labState string

const (
	labRunning  labState = "running"  // its owner runs it
	labKept     labState = "kept"     // run --keep: no owner, no mirroring
	labOrphaned labState = "orphaned" // its owner died: mirrorlab clean removes it
)

func stateDirOr(dir string) string {
	if dir == "" {
		return state.DefaultDir
	}
	return dir
}

func labsDir(stateDir string) string { return filepath.Join(stateDirOr(stateDir), "labs") }

func labPath(stateDir, runID string) string {
	return filepath.Join(labsDir(stateDir), runID+".json")
}

// writeLab records a lab (atomically: readers never see half a file).
func writeLab(stateDir string, rec *labRecord) error {
	if err := state.CheckRunID(rec.RunID); err != nil {
		return err
	}
	if err := os.MkdirAll(labsDir(stateDir), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	path := labPath(stateDir, rec.RunID)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func removeLab(stateDir, runID string) error {
	err := os.Remove(labPath(stateDir, runID))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// liveLab is a recorded lab and what it is doing.
type liveLab struct {
	rec   labRecord
	state labState
}

// listLabs returns the recorded labs whose namespaces exist, by start
// time; records of labs that are gone (cleaned, or ended) are removed.
func listLabs(stateDir string) ([]liveLab, error) {
	paths, err := filepath.Glob(filepath.Join(labsDir(stateDir), "*.json"))
	if err != nil {
		return nil, err
	}
	var labs []liveLab
	for _, p := range paths {
		id := strings.TrimSuffix(filepath.Base(p), ".json")
		if state.CheckRunID(id) != nil {
			continue
		}
		var rec labRecord
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // ended meanwhile
		}
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		run, err := state.Load(stateDirOr(stateDir), id)
		if errors.Is(err, os.ErrNotExist) {
			_ = removeLab(stateDir, id) // its namespaces are gone
			continue
		}
		if err != nil {
			return nil, err
		}
		l := liveLab{rec: rec, state: labOrphaned}
		switch {
		case rec.Kept: // its owner may run on (run --library), not the lab
			l.state = labKept
		case state.Alive(run.PID, run.StartTime):
			l.state = labRunning
		}
		labs = append(labs, l)
	}
	sort.Slice(labs, func(i, j int) bool { return labs[i].rec.Started.Before(labs[j].rec.Started) })
	return labs, nil
}

// chooseLab picks the lab that id names, or the only one.
func chooseLab(stateDir, id string) (liveLab, error) {
	labs, err := listLabs(stateDir)
	if err != nil {
		return liveLab{}, err
	}
	if id != "" {
		for _, l := range labs {
			if l.rec.RunID == id {
				return l, nil
			}
		}
		return liveLab{}, fmt.Errorf("no lab %s (labs: %s)", id, labList(labs))
	}
	switch len(labs) {
	case 0:
		return liveLab{}, errors.New("no lab is up (start one with mirrorlab up FILE, or keep a run's with mirrorlab run --keep)")
	case 1:
		return labs[0], nil
	}
	return liveLab{}, fmt.Errorf("%d labs are up (%s): choose one with --lab RUNID", len(labs), labList(labs))
}

func labList(labs []liveLab) string {
	if len(labs) == 0 {
		return "none"
	}
	s := make([]string, len(labs))
	for i, l := range labs {
		s[i] = l.rec.RunID + " " + l.rec.Scenario
	}
	return strings.Join(s, ", ")
}

// writeLabSummary prints what status and down show of a lab.
func writeLabSummary(w io.Writer, l liveLab, now time.Time) {
	r := l.rec
	owner := fmt.Sprintf("pid %d", r.PID)
	switch l.state {
	case labKept:
		owner = "none (kept by run --keep: nothing mirrors any more)"
	case labOrphaned:
		owner = fmt.Sprintf("pid %d is gone (mirrorlab clean removes the lab)", r.PID)
	}
	fmt.Fprintf(w, "lab %s  %s  (%s)  %s, up %s\n", r.RunID, r.Scenario, r.File, l.state, now.Sub(r.Started).Round(time.Second))
	fmt.Fprintf(w, "  owner: %s\n", owner)
	if r.Log != "" {
		fmt.Fprintf(w, "  log: %s\n", r.Log)
	}
	writeInstances(w, r.LabInfo)
	c := r.Counters
	if len(c.Sessions) > 0 {
		fmt.Fprintln(w, "  mirror sessions:")
		for _, s := range c.Sessions {
			fmt.Fprintf(w, "    %-18s -> %-16s VNI %-8d mirrored %d packets (%d bytes), truncated %d, delivered %d%s\n",
				s.Name, s.Target, s.VNI, s.Packets, s.Bytes, s.Truncated, s.Delivery["delivered"], dropped(s.Delivery))
		}
	}
	if d := c.DataPlane; d != nil {
		fmt.Fprintf(w, "  mirror service: captured %d frames, mirrored %d, sent %d", d.Captured, d.Mirrored, d.Sent)
		if d.RingDrops > 0 {
			fmt.Fprintf(w, ", capture missed %d", d.RingDrops)
		}
		fmt.Fprintln(w)
	}
	for _, name := range sortedKeys(c.Agents) {
		st := c.Agents[name]
		fmt.Fprintf(w, "  agent %s: decoded %.0f packets, parsed %.0f requests, replayed %.0f, failed %.0f, dropped %.0f\n",
			name, st["packets"], st["requests.parsed"], st["requests.replayed"], st["requests.failed"], sumPrefix(st, "requests.dropped."))
	}
	for _, name := range sortedKeys(c.Servers) {
		fmt.Fprintf(w, "  server %s: received %d requests\n", name, c.Servers[name])
	}
	if !c.Updated.IsZero() {
		fmt.Fprintf(w, "  counters as of %s (%s ago)\n", c.Updated.Format(time.TimeOnly), now.Sub(c.Updated).Round(100*time.Millisecond))
	}
}

func writeInstances(w io.Writer, info runner.LabInfo) {
	fmt.Fprintln(w, "  instances:")
	for _, inst := range sortedKeys(info.Instances) {
		var addrs []string
		for _, k := range sortedKeys(info.Addrs) {
			if name, eni, _ := strings.Cut(k, "/"); name == inst {
				a := eni + " " + info.Addrs[k]
				if v6, ok := info.Addrs6[k]; ok {
					a += " " + v6
				}
				addrs = append(addrs, a)
			}
		}
		fmt.Fprintf(w, "    %-16s %-40s netns %s\n", inst, strings.Join(addrs, ", "), info.Instances[inst])
	}
}

// dropped lists the delivery outcomes other than delivered.
func dropped(d map[string]uint64) string {
	var parts []string
	for _, k := range sortedKeys(d) {
		if k != "delivered" && d[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, d[k]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sumPrefix(m map[string]float64, prefix string) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// logGrace is how old a detached owner's log must be before clean takes
// it for left over: up -d writes the log before the owner records its lab.
const logGrace = time.Minute

// sweepLogs removes the logs of detached owners (up-*.log in the labs
// directory) that no recorded lab names any more and that nobody wrote to
// for logGrace, and returns their paths.
func sweepLogs(stateDir string, now time.Time) ([]string, error) {
	labs, err := listLabs(stateDir)
	if err != nil {
		return nil, err
	}
	inUse := make(map[string]bool, len(labs))
	for _, l := range labs {
		if l.rec.Log != "" {
			inUse[filepath.Clean(l.rec.Log)] = true
		}
	}
	paths, err := filepath.Glob(filepath.Join(labsDir(stateDir), "up-*.log"))
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || inUse[filepath.Clean(p)] || now.Sub(fi.ModTime()) < logGrace {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, fmt.Errorf("remove left-over log: %w", err))
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}
