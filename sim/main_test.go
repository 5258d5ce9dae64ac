package sim

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
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
// leaves a grandchild that no parent-death signal reaches), arranges
// CloseOnSignal, prints "ready RUNID PID GRANDCHILD" and waits to be
// signalled.
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
	grandchild, err := firstLine(p2, 5*time.Second)
	if err != nil {
		return fail(err)
	}
	fmt.Printf("ready %s %d %s\n", lab.RunID(), p1.Pid(), grandchild)
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

// readReady reads the child's "ready" line.
func readReady(t *testing.T, r *bufio.Reader) (runID string, pid, grandchild int) {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("child did not get ready: %v", err)
	}
	if _, err := fmt.Sscanf(line, "ready %s %d %d", &runID, &pid, &grandchild); err != nil {
		t.Fatalf("child said %q: %v", line, err)
	}
	return runID, pid, grandchild
}

func fmtSscan(s string, v ...any) (int, error) { return fmt.Sscan(s, v...) }
