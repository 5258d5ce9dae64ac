package sim

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// envChild makes the test binary play a lab owner for the signal and sweep
// tests (see childMain); envChildStateDir is the state directory it uses.
const (
	envChild         = "MIRRORLAB_SIM_TEST_CHILD"
	envChildStateDir = "MIRRORLAB_SIM_TEST_STATEDIR"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		os.Exit(childMain())
	}
	goleak.VerifyTestMain(m)
}

// childMain realises the walk-through, starts two programs (one of which
// leaves a grandchild), starts a stray process in a lab namespace without
// Exec (so no init of ours holds it), arranges CloseOnSignal, prints
// "ready RUNID PID GRANDCHILD STRAY" and waits to be signalled.
func childMain() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 1 }
	lab, err := Realize(context.Background(), walkthrough(), Options{StateDir: os.Getenv(envChildStateDir)})
	if err != nil {
		return fail(err)
	}
	CloseOnSignal(lab, func(err error) { fmt.Fprintln(os.Stderr, "child: close:", err) })
	p1, err := lab.Instance("prod").Exec(context.Background(), []string{"sleep", "1000"}, ExecOptions{})
	if err != nil {
		return fail(err)
	}
	p2, err := lab.Instance("client").Exec(context.Background(),
		[]string{"sh", "-c", "sleep 1000 & echo $!; wait"}, ExecOptions{})
	if err != nil {
		return fail(err)
	}
	line, err := firstLine(p2, 5*time.Second)
	if err != nil {
		return fail(err)
	}
	var nsPid int
	if _, err := fmt.Sscan(line, &nsPid); err != nil {
		return fail(err)
	}
	grandchild, err := hostPID(p2, nsPid)
	if err != nil {
		return fail(err)
	}
	var stray *exec.Cmd
	if err := lab.Instance("testsrv").Run(func() error {
		stray = exec.Command("sleep", "1000")
		stray.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		return stray.Start()
	}); err != nil {
		return fail(err)
	}
	fmt.Printf("ready %s %d %d %d\n", lab.RunID(), p1.Pid(), grandchild, stray.Process.Pid)
	select {}
}

// firstLine waits for the first complete line of p's standard output.
func firstLine(p *Process, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, _ := p.Stdout()
		if line, _, ok := strings.Cut(string(out), "\n"); ok {
			return line, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "", fmt.Errorf("%v printed no line in %v", p.Argv, timeout)
}

// hostPID translates nsPid, a PID in the PID namespace of p (what the
// program prints as $!), into this process's PID namespace.
func hostPID(p *Process, nsPid int) (int, error) {
	pidns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p.Pid()))
	if err != nil {
		return 0, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ns, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || ns != pidns {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for l := range strings.Lines(string(b)) {
			if f, ok := strings.CutPrefix(l, "NSpid:"); ok {
				ids := strings.Fields(f)
				if len(ids) > 0 && ids[len(ids)-1] == strconv.Itoa(nsPid) {
					return pid, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("no process %d in the PID namespace of %v", nsPid, p.Argv)
}

// readReady reads the child's "ready" line.
func readReady(t *testing.T, r *bufio.Reader) (runID string, pid, grandchild, stray int) {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("child did not get ready: %v", err)
	}
	if _, err := fmt.Sscanf(line, "ready %s %d %d %d", &runID, &pid, &grandchild, &stray); err != nil {
		t.Fatalf("child said %q: %v", line, err)
	}
	return runID, pid, grandchild, stray
}

func fmtSscan(s string, v ...any) (int, error) { return fmt.Sscan(s, v...) }
