package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/mirrorlab/mirrorlab/lab"
)

// upDetached is up -d: it starts `mirrorlab up` again as the lab's owner in
// a session of its own (no terminal: closing this one does not end the
// lab), its output going to a log file in the state directory, waits until
// the owner has recorded the lab (ready) or has failed, prints the lab, and
// returns. The owner runs until mirrorlab down.
func upDetached(ctx context.Context, a *app, file string, o labOptions) int {
	fail := func(err error) int {
		fmt.Fprintln(a.stderr, "mirrorlab up:", err)
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		return fail(fmt.Errorf("find this program to start the lab's owner: %w", err))
	}
	logFile, err := lab.CreateLog(o.stateDir, time.Now())
	if err != nil {
		return fail(err)
	}
	defer logFile.Close()
	logPath := logFile.Name()
	args := []string{"up", "--daemon-log", logPath}
	if o.stateDir != "" {
		args = append(args, "--state-dir", o.stateDir)
	}
	if file != "" {
		args = append(args, "--", file)
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return fail(err)
	}
	defer devnull.Close()
	cmd := exec.Command(self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("start the lab's owner: %w", err))
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case err := <-exited:
			if err == nil {
				err = errors.New("exited")
			}
			return fail(fmt.Errorf("the lab's owner (pid %d) %v before the lab was ready; its log %s ends:\n%s", pid, err, logPath, logTail(logPath, 20)))
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM) // it tears down what it built
			<-exited
			return fail(fmt.Errorf("interrupted while the lab came up: %w", context.Cause(ctx)))
		case <-t.C:
		}
		labs, _ := lab.List(o.stateDir)
		for _, l := range labs {
			if l.Record.PID == pid {
				fmt.Fprintf(a.stdout, "lab %s up (%s), owner pid %d, log %s\n", l.Record.RunID, l.Record.Scenario, pid, logPath)
				writeInstances(a.stdout, l.Record.Info)
				fmt.Fprintln(a.stdout, "mirrorlab exec INSTANCE -- CMD runs a command inside; mirrorlab status shows the counters; mirrorlab down ends the lab")
				return 0
			}
		}
	}
}

// logTail is the last n lines of a file.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
