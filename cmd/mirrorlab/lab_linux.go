package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/mirrorlab/mirrorlab/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/sim"
	"github.com/mirrorlab/mirrorlab/sim/state"
)

// refreshEvery is how often a lab's owner rewrites its record's counters.
const refreshEvery = time.Second

func cmdUp(ctx context.Context, a *app, file string, o labOptions) int {
	stdout, stderr := a.stdout, a.stderr
	s, err := scenarios.Load(file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if o.detach {
		return upDetached(ctx, a, file, o)
	}
	unrecord := func() {}
	err = runner.Up(ctx, s, runner.Options{StateDir: o.stateDir, Progress: stdout}, func(info runner.LabInfo) error {
		var err error
		if unrecord, err = recordLab(ctx, o.stateDir, info, o.daemonLog); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "lab %s up (%s)\n", info.RunID, s.Name)
		writeInstances(stdout, info)
		fmt.Fprintln(stdout, "mirrorlab exec INSTANCE -- CMD runs a command inside; mirrorlab status shows the counters; Ctrl-C or mirrorlab down ends the lab")
		return nil
	})
	unrecord()
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab up:", err)
		return 1
	}
	fmt.Fprintln(stdout, "lab down")
	return 0
}

// recordLab records a lab that this process owns (for exec, status and
// down) and keeps its counters fresh until ctx ends (when Up and Serve end
// the lab). Call the function it returns once the lab is down: it waits
// for the last write and removes the record.
func recordLab(ctx context.Context, stateDir string, info runner.LabInfo, log string) (func(), error) {
	rec := &labRecord{LabInfo: info, Log: log}
	if info.Status != nil {
		rec.Counters = info.Status()
	}
	if err := writeLab(stateDir, rec); err != nil {
		return func() {}, fmt.Errorf("record the lab: %w", err)
	}
	refreshed := make(chan struct{})
	go func() {
		defer close(refreshed)
		if info.Status != nil {
			refreshLab(ctx, stateDir, rec)
		}
	}()
	return func() {
		<-refreshed
		_ = removeLab(stateDir, info.RunID)
	}, nil
}

// refreshLab rewrites the lab's record with its counters every second
// until ctx ends, and once more then (the figures down prints).
func refreshLab(ctx context.Context, stateDir string, rec *labRecord) {
	t := time.NewTicker(refreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			rec.Counters = rec.Status()
			_ = writeLab(stateDir, rec)
			return
		case <-t.C:
		}
		rec.Counters = rec.Status()
		_ = writeLab(stateDir, rec) // a full disk shows as stale counters
	}
}

func cmdExec(ctx context.Context, a *app, instance string, argv []string, o labOptions) int {
	stdout, stderr := a.stdout, a.stderr
	l, err := chooseLab(o.stateDir, o.lab)
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab exec:", err)
		return 1
	}
	info := l.rec.LabInfo
	ns, ok := info.Instances[instance]
	if !ok {
		names := make([]string, 0, len(info.Instances))
		for n := range info.Instances {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(stderr, "mirrorlab exec: no instance %q in lab %s (instances: %s)\n", instance, info.RunID, strings.Join(names, ", "))
		return 1
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// The child inherits the namespace of the thread that starts it.
	if err := nsrun.RunNamed(ns, cmd.Start); err != nil {
		fmt.Fprintln(stderr, "mirrorlab exec:", err)
		return 1
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(stderr, "mirrorlab exec:", err)
		return 1
	}
	return 0
}

func cmdStatus(a *app, o labOptions) int {
	labs, err := listLabs(o.stateDir)
	if err != nil {
		fmt.Fprintln(a.stderr, "mirrorlab status:", err)
		return 1
	}
	if o.lab != "" {
		l, err := chooseLab(o.stateDir, o.lab)
		if err != nil {
			fmt.Fprintln(a.stderr, "mirrorlab status:", err)
			return 1
		}
		labs = []liveLab{l}
	}
	if o.json {
		out := make([]labStatusJSON, len(labs))
		for i, l := range labs {
			out[i] = labStatusJSON{labRecord: l.rec, State: l.state}
		}
		if err := writeJSON("-", a.stdout, out); err != nil {
			fmt.Fprintln(a.stderr, "mirrorlab status:", err)
			return 1
		}
		return 0
	}
	if len(labs) == 0 {
		fmt.Fprintln(a.stdout, "no lab is up")
		return 0
	}
	now := time.Now()
	for i, l := range labs {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		writeLabSummary(a.stdout, l, now)
	}
	return 0
}

// labStatusJSON is a lab in status --json.
type labStatusJSON struct {
	labRecord
	State labState `json:"state"`
}

func cmdDown(a *app, o labOptions) int {
	var labs []liveLab
	if o.all {
		var err error
		if labs, err = listLabs(o.stateDir); err != nil {
			fmt.Fprintln(a.stderr, "mirrorlab down:", err)
			return 1
		}
		if len(labs) == 0 {
			fmt.Fprintln(a.stdout, "no lab is up")
			return 0
		}
	} else {
		l, err := chooseLab(o.stateDir, o.lab)
		if err != nil {
			fmt.Fprintln(a.stderr, "mirrorlab down:", err)
			return 1
		}
		labs = []liveLab{l}
	}
	code := 0
	for _, l := range labs {
		last, err := takeDown(o.stateDir, l)
		writeLabSummary(a.stdout, last, time.Now())
		if err != nil {
			fmt.Fprintf(a.stderr, "mirrorlab down: lab %s: %v\n", l.rec.RunID, err)
			code = 1
			continue
		}
		fmt.Fprintf(a.stdout, "lab %s (%s) is down\n", l.rec.RunID, l.rec.Scenario)
		if l.rec.Log != "" {
			fmt.Fprintf(a.stdout, "its owner's log stays in %s (mirrorlab clean removes it)\n", l.rec.Log)
		}
	}
	return code
}

// takeDown ends a lab: a running one's owner is asked to stop (SIGTERM)
// and waited for; a kept or orphaned one is removed here. It returns the
// lab with its last counters.
func takeDown(stateDir string, l liveLab) (liveLab, error) {
	id := l.rec.RunID
	if l.state != labRunning {
		run, err := state.Load(stateDirOr(stateDir), id)
		if err != nil {
			return l, err
		}
		if err := state.Teardown(run); err != nil {
			return l, err
		}
		return l, errors.Join(state.Remove(stateDirOr(stateDir), id), removeLab(stateDir, id))
	}
	if err := syscall.Kill(l.rec.PID, syscall.SIGTERM); err != nil {
		return l, fmt.Errorf("stop its owner (pid %d): %w", l.rec.PID, err)
	}
	// The owner writes the lab's last counters before it tears the lab
	// down, and removes the record when it is done.
	deadline := time.Now().Add(30 * time.Second)
	for {
		labs, _ := listLabs(stateDir)
		found := false
		for _, m := range labs {
			if m.rec.RunID == id {
				l.rec, found = m.rec, m.state == labRunning
			}
		}
		if !found {
			return l, nil
		}
		if time.Now().After(deadline) {
			return l, fmt.Errorf("its owner (pid %d) still runs after 30s", l.rec.PID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func cmdClean(a *app, o labOptions) int {
	stdout, stderr := a.stdout, a.stderr
	removed, err := sim.Sweep(o.stateDir)
	for _, id := range removed {
		fmt.Fprintf(stdout, "removed run %s\n", id)
		_ = removeLab(o.stateDir, id)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab clean:", err)
		return 1
	}
	// listLabs (in sweepLogs) drops the records of labs that are gone,
	// then the logs their detached owners left go too.
	logs, err := sweepLogs(o.stateDir, time.Now())
	for _, p := range logs {
		fmt.Fprintf(stdout, "removed log %s\n", p)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab clean:", err)
		return 1
	}
	if len(removed)+len(logs) == 0 {
		fmt.Fprintln(stdout, "nothing to clean")
	}
	return 0
}

// recordKept records the lab that run --keep left, for exec, status and
// down.
func recordKept(stateDir string, r *runner.Result) error {
	if !r.Kept || r.Lab == nil {
		return nil
	}
	return writeLab(stateDir, &labRecord{LabInfo: *r.Lab, Kept: true, Counters: runner.StatusOf(r)})
}
