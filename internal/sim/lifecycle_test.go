package sim

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// namespacesOf lists the named namespaces of a run.
func namespacesOf(t *testing.T, runID string) []string {
	t.Helper()
	ents, err := os.ReadDir("/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), state.Prefix(runID)) {
			out = append(out, e.Name())
		}
	}
	return out
}

// proc identifies a process across PID reuse.
type proc struct {
	pid   int
	start uint64
}

func procOf(t *testing.T, pid int) proc {
	t.Helper()
	start, zombie, err := state.StartTime(pid)
	if err != nil || zombie {
		t.Fatalf("process %d is not running (%v)", pid, err)
	}
	return proc{pid, start}
}

// waitGone waits up to two seconds for the processes to end.
func waitGone(t *testing.T, what string, ps ...proc) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for _, p := range ps {
		for state.Alive(p.pid, p.start) {
			if time.Now().After(deadline) {
				t.Errorf("%s: process %d still runs", what, p.pid)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func fdCount(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// threadNamespaces returns the network namespace of every thread of the
// test process.
func threadNamespaces(t *testing.T) map[string]int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, task := range tasks {
		if l, err := os.Readlink(filepath.Join("/proc/self/task", task.Name(), "ns/net")); err == nil {
			out[l]++
		}
	}
	return out
}

// onlyHostThreads waits a little for throwaway threads to exit, then checks
// that every thread of the process is in the host namespace.
func onlyHostThreads(t *testing.T, host string) {
	t.Helper()
	var got map[string]int
	for range 200 {
		if got = threadNamespaces(t); len(got) == 1 && got[host] > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("threads of the test process in namespaces %v, want only %s", got, host)
}

// TestPrivilegedCloseLeavesNothing: after Close, no namespace, state file,
// program (including a grandchild and one that ignores SIGTERM), handle or
// thread of the lab remains.
func TestPrivilegedCloseLeavesNothing(t *testing.T) {
	privtest.Require(t)
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	fds := fdCount(t)
	dir := t.TempDir()
	lab, err := Realize(context.Background(), walkthrough(), Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	id := lab.RunID()
	if got := namespacesOf(t, id); len(got) != 5 {
		t.Fatalf("namespaces %v, want 5", got)
	}
	if _, err := os.Stat(filepath.Join(dir, id+".json")); err != nil {
		t.Fatalf("no state file: %v", err)
	}
	if _, err := lab.Instance("adapter").AddVXLAN("eth0", "vxlan0", 1); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var procs []proc
	p, err := lab.Instance("prod").Exec(ctx, []string{"sleep", "1000"}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	procs = append(procs, procOf(t, p.Pid()))
	p, err = lab.Instance("client").Exec(ctx, []string{"sh", "-c", "sleep 1000 & echo $!; wait"}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gc, err := firstLine(p, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var nsPid int
	if _, err := fmtSscan(gc, &nsPid); err != nil {
		t.Fatal(err)
	}
	gcPid, err := hostPID(p, nsPid)
	if err != nil {
		t.Fatal(err)
	}
	procs = append(procs, procOf(t, p.Pid()), procOf(t, gcPid))
	p, err = lab.Instance("testsrv").Exec(ctx, []string{"sh", "-c", `trap "" TERM; echo armed; while :; do sleep 0.05; done`}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := firstLine(p, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	stubborn := p
	procs = append(procs, procOf(t, p.Pid()))
	// A socket made inside the lab and closed again must not matter.
	_ = lab.Instance("prod").Run(func() error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			ln.Close()
		}
		return err
	})

	if err := lab.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := lab.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := namespacesOf(t, id); len(got) != 0 {
		t.Errorf("namespaces left: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, id+".json")); !os.IsNotExist(err) {
		t.Errorf("state file left (%v)", err)
	}
	waitGone(t, "after Close", procs...)
	if ws := stubborn.ExitCode(); ws != -1 {
		t.Errorf("the program ignoring SIGTERM exited with %d, want killed", ws)
	}
	onlyHostThreads(t, host)
	if got := fdCount(t); got != fds {
		t.Errorf("%d open files after Close, %d before Realize", got, fds)
	}
	if err := lab.Instance("prod").Run(func() error { return nil }); err == nil {
		t.Error("Run after Close: want an error")
	}
	if _, err := lab.Instance("prod").Exec(ctx, []string{"true"}, ExecOptions{}); err == nil {
		t.Error("Exec after Close: want an error")
	}
	if _, err := lab.Instance("adapter").AddVXLAN("eth0", "vxlan1", 1); err == nil {
		t.Error("AddVXLAN after Close: want an error")
	}
}

// startChild starts the test binary as a lab owner (childMain) and waits
// for it to be ready.
func startChild(t *testing.T, dir string) (cmd *exec.Cmd, runID string, pid, grandchild, stray proc, stderr *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=1", envChildStateDir+"="+dir)
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	id, p, gc, st := readReady(t, bufio.NewReader(out))
	// Anything the child leaves is ours to remove, even if the test fails.
	t.Cleanup(func() { state.Sweep(dir) })
	return cmd, id, procOf(t, p), procOf(t, gc), procOf(t, st), stderr
}

// TestPrivilegedSIGTERMCleansUp: a lab owner that receives SIGTERM closes
// its lab (CloseOnSignal) and then dies of the signal.
func TestPrivilegedSIGTERMCleansUp(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	cmd, id, p, gc, stray, stderr := startChild(t, dir)
	if got := namespacesOf(t, id); len(got) != 5 {
		t.Fatalf("child's namespaces %v, want 5", got)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := waitTimeout(cmd, 10*time.Second)
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("child ended with %v (%v), want death by SIGTERM; stderr:\n%s", cmd.ProcessState, err, stderr)
	}
	if !strings.Contains(stderr.String(), "child: close: <nil>") {
		t.Errorf("child did not report a successful Close; stderr:\n%s", stderr)
	}
	if got := namespacesOf(t, id); len(got) != 0 {
		t.Errorf("namespaces left: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, id+".json")); !os.IsNotExist(err) {
		t.Errorf("state file left (%v)", err)
	}
	waitGone(t, "after SIGTERM", p, gc, stray)
}

// TestPrivilegedSIGKILLThenSweep: a SIGKILLed owner's programs die with it
// (their grandchildren too), but it leaves its lab (and a process started
// in it without Exec) behind; Sweep removes them, and leaves a live run in
// the same state directory alone.
func TestPrivilegedSIGKILLThenSweep(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	live := realize(t, walkthrough())                                                      // in its own directory...
	liveInDir, err := Realize(context.Background(), walkthrough(), Options{StateDir: dir}) // ...and in the swept one
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := liveInDir.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	cmd, id, p, gc, stray, _ := startChild(t, dir)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(cmd, 10*time.Second)
	if got := namespacesOf(t, id); len(got) != 5 {
		t.Fatalf("after SIGKILL the child's namespaces are %v, want all 5 still there", got)
	}
	// A program and everything it started die with their init, which
	// dies with the owner; a process that no init of ours holds (started
	// in the namespace without Exec) outlives it, for Sweep to kill.
	waitGone(t, "program and its grandchild after their owner's SIGKILL", p, gc)
	if !state.Alive(stray.pid, stray.start) {
		t.Fatal("the stray process died with the owner; the test needs it to outlive it")
	}

	removed, err := Sweep(dir)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if len(removed) != 1 || removed[0] != id {
		t.Errorf("Sweep removed %v, want [%s]", removed, id)
	}
	if got := namespacesOf(t, id); len(got) != 0 {
		t.Errorf("namespaces left after Sweep: %v", got)
	}
	waitGone(t, "stray process after Sweep", stray)
	if _, err := os.Stat(filepath.Join(dir, id+".json")); !os.IsNotExist(err) {
		t.Errorf("state file left (%v)", err)
	}
	for _, l := range []*Lab{live, liveInDir} {
		if got := namespacesOf(t, l.RunID()); len(got) != 5 {
			t.Errorf("live run %s lost namespaces: %v", l.RunID(), got)
		}
		if _, err := os.Stat(filepath.Join(l.StateDir(), l.RunID()+".json")); err != nil {
			t.Errorf("live run %s lost its state file: %v", l.RunID(), err)
		}
	}
	// The live lab still works.
	var ln net.Listener
	srv := liveInDir.Instance("testsrv")
	if err := srv.Run(func() (err error) { ln, err = net.Listen("tcp", srv.ENIs[0].IP.String()+":0"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	if err := liveInDir.Instance("client").Run(func() error {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		t.Errorf("live lab after Sweep: %v", err)
	}
}

func waitTimeout(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		return <-done
	}
}
