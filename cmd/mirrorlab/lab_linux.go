package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/lab"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

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
	err = runner.Up(ctx, s, runner.Options{StateDir: o.stateDir, Progress: stdout}, func(l *lab.Lab) error {
		if err := l.Publish(o.daemonLog); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "lab %s up (%s)\n", l.RunID(), s.Name)
		writeInstances(stdout, l.Info())
		fmt.Fprintln(stdout, "mirrorlab exec INSTANCE -- CMD runs a command inside; mirrorlab status shows the counters; Ctrl-C or mirrorlab down ends the lab")
		return nil
	})
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab up:", err)
		return 1
	}
	fmt.Fprintln(stdout, "lab down")
	return 0
}

func cmdExec(ctx context.Context, a *app, instance string, argv []string, o labOptions) int {
	stdout, stderr := a.stdout, a.stderr
	l, err := lab.Choose(o.stateDir, o.lab)
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab exec:", err)
		return 1
	}
	ns, err := l.Netns(instance)
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab exec:", err)
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
	labs, err := labsOf(o, o.lab == "")
	if err != nil {
		fmt.Fprintln(a.stderr, "mirrorlab status:", err)
		return 1
	}
	if o.json {
		out := make([]labStatusJSON, len(labs))
		for i, l := range labs {
			out[i] = labStatusJSON{Record: l.Record, State: l.State}
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
	lab.Record
	State lab.State `json:"state"`
}

func cmdDown(a *app, o labOptions) int {
	labs, err := labsOf(o, o.all)
	if err != nil {
		fmt.Fprintln(a.stderr, "mirrorlab down:", err)
		return 1
	}
	if len(labs) == 0 {
		fmt.Fprintln(a.stdout, "no lab is up")
		return 0
	}
	code := 0
	for _, l := range labs {
		last, err := lab.TakeDown(o.stateDir, l)
		writeLabSummary(a.stdout, last, time.Now())
		if err != nil {
			fmt.Fprintf(a.stderr, "mirrorlab down: lab %s: %v\n", l.Record.RunID, err)
			code = 1
			continue
		}
		fmt.Fprintf(a.stdout, "lab %s (%s) is down\n", l.Record.RunID, l.Record.Scenario)
		if l.Record.Log != "" {
			fmt.Fprintf(a.stdout, "its owner's log stays in %s (mirrorlab clean removes it)\n", l.Record.Log)
		}
	}
	return code
}

// labsOf returns every lab that is up (all), or the one --lab names (the
// only one when --lab is not given).
func labsOf(o labOptions, all bool) ([]lab.Entry, error) {
	if all {
		return lab.List(o.stateDir)
	}
	l, err := lab.Choose(o.stateDir, o.lab)
	if err != nil {
		return nil, err
	}
	return []lab.Entry{l}, nil
}

func cmdClean(a *app, o labOptions) int {
	runs, logs, err := lab.Clean(o.stateDir, time.Now())
	for _, id := range runs {
		fmt.Fprintf(a.stdout, "removed run %s\n", id)
	}
	for _, p := range logs {
		fmt.Fprintf(a.stdout, "removed log %s\n", p)
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "mirrorlab clean:", err)
		return 1
	}
	if len(runs)+len(logs) == 0 {
		fmt.Fprintln(a.stdout, "nothing to clean")
	}
	return 0
}

// recordKept records the lab that run --keep left, for exec, status and
// down.
func recordKept(stateDir string, r *report.Result) error {
	if !r.Kept || r.Lab == nil {
		return nil
	}
	return lab.WriteRecord(stateDir, &lab.Record{Info: *r.Lab, Kept: true, Counters: report.StatusOf(r)})
}
