package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// upFile is where `mirrorlab up` records its lab for exec and down.
func upFile(stateDir string) string {
	if stateDir == "" {
		stateDir = state.DefaultDir
	}
	return filepath.Join(stateDir, "up.json")
}

func readUp(stateDir string) (runner.LabInfo, error) {
	var info runner.LabInfo
	b, err := os.ReadFile(upFile(stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return info, errors.New("no lab is up (start one with mirrorlab up FILE)")
	}
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("read %s: %w", upFile(stateDir), err)
	}
	if syscall.Kill(info.PID, 0) != nil {
		return info, fmt.Errorf("the lab's owner (pid %d) is gone; run mirrorlab clean", info.PID)
	}
	return info, nil
}

// writeUp records a running lab for exec and down.
func writeUp(path string, info runner.LabInfo) error {
	b, _ := json.MarshalIndent(info, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func cmdUp(ctx context.Context, a *app, file, stateDir string) int {
	stdout, stderr := a.stdout, a.stderr
	if info, err := readUp(stateDir); err == nil {
		fmt.Fprintf(stderr, "mirrorlab up: lab %s (%s) is already up (pid %d); mirrorlab down first\n", info.RunID, info.Scenario, info.PID)
		return 1
	}
	s, err := scenarios.Load(file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	path := upFile(stateDir)
	err = runner.Up(ctx, s, runner.Options{StateDir: stateDir, Progress: stdout}, func(info runner.LabInfo) error {
		if err := writeUp(path, info); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "lab %s up (%s); instances:\n", info.RunID, s.Name)
		keys := make([]string, 0, len(info.Addrs))
		for k := range info.Addrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(stdout, "  %-24s %s\n", k, info.Addrs[k])
		}
		fmt.Fprintln(stdout, "mirrorlab exec INSTANCE -- CMD runs a command inside; Ctrl-C or mirrorlab down ends the lab")
		return nil
	})
	_ = os.Remove(path)
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab up:", err)
		return 1
	}
	fmt.Fprintln(stdout, "lab down")
	return 0
}

func cmdExec(ctx context.Context, a *app, instance string, argv []string, stateDir string) int {
	stdout, stderr := a.stdout, a.stderr
	info, err := readUp(stateDir)
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab exec:", err)
		return 1
	}
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

func cmdDown(a *app, stateDir string) int {
	stdout, stderr := a.stdout, a.stderr
	info, err := readUp(stateDir)
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab down:", err)
		return 1
	}
	if err := syscall.Kill(info.PID, syscall.SIGTERM); err != nil {
		fmt.Fprintln(stderr, "mirrorlab down:", err)
		return 1
	}
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(info.PID, 0) == nil {
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "mirrorlab down: pid %d still runs after 30s\n", info.PID)
			return 1
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintf(stdout, "lab %s (%s) is down\n", info.RunID, info.Scenario)
	return 0
}

func cmdClean(a *app, stateDir string) int {
	stdout, stderr := a.stdout, a.stderr
	removed, err := sim.Sweep(stateDir)
	for _, id := range removed {
		fmt.Fprintf(stdout, "removed run %s\n", id)
	}
	if len(removed) == 0 && err == nil {
		fmt.Fprintln(stdout, "nothing to clean")
	}
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab clean:", err)
		return 1
	}
	if _, err := readUp(stateDir); err != nil {
		_ = os.Remove(upFile(stateDir)) // its owner is gone
	}
	return 0
}
