package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
	"golang.org/x/sys/unix"
)

// sendUDP sends n datagrams from client to web:5000 (the vni scenario's
// session on web mirrors UDP).
func sendUDP(t *testing.T, dir, lab string, n int) {
	t.Helper()
	script := "for i in $(seq " + itoa(n) + "); do echo x >/dev/udp/10.0.0.5/5000; done"
	if code, out, errOut := mainOut(t, "exec", "--state-dir", dir, "--lab", lab, "client", "--", "bash", "-c", script); code != 0 {
		t.Fatalf("exec: %d %s %s", code, out, errOut)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

type statusOut []struct {
	RunID    string `json:"runId"`
	PID      int    `json:"pid"`
	State    string `json:"state"`
	Kept     bool   `json:"kept"`
	Log      string `json:"log"`
	Counters struct {
		Sessions []struct {
			Name     string            `json:"name"`
			Target   string            `json:"target"`
			Packets  uint64            `json:"Packets"`
			Delivery map[string]uint64 `json:"Delivery"`
		} `json:"sessions"`
	} `json:"counters"`
}

func status(t *testing.T, dir string) statusOut {
	t.Helper()
	code, out, errOut := mainOut(t, "status", "--json", "--state-dir", dir)
	var st statusOut
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("status --json: %d %s %s", code, out, errOut)
	}
	return st
}

func labByState(st statusOut, state string) (string, int) {
	for _, l := range st {
		if l.State == state {
			return l.RunID, l.PID
		}
	}
	return "", 0
}

// TestPrivilegedLabs: up -d returns once the lab is ready and its owner
// runs on in a session of its own; exec reaches it, status shows what it
// mirrored, a second lab (foreground up) and a kept run's lab live beside
// it and are chosen with --lab; down prints the last counters and removes
// each.
func TestPrivilegedLabs(t *testing.T) {
	privtest.Require(t)
	t.Setenv(asCommandEnv, "1")
	dir := t.TempDir()
	// Whatever a failure leaves up (a kept run's lab has no owner to
	// stop), before the state directory goes.
	t.Cleanup(func() { mainOut(t, "clean", "--state-dir", dir) })

	code, out, errOut := mainOut(t, "up", "-d", "--state-dir", dir, "vni")
	if code != 0 || !strings.Contains(out, "web              eth0 10.0.0.5") {
		t.Fatalf("up -d: %d\n%s\n%s", code, out, errOut)
	}
	st := status(t, dir)
	if len(st) != 1 || st[0].State != "running" || st[0].PID == os.Getpid() || st[0].Log == "" {
		t.Fatalf("after up -d: %+v", st)
	}
	detached, owner := st[0].RunID, st[0].PID
	t.Cleanup(func() { // if the test fails before down
		_ = syscall.Kill(owner, syscall.SIGTERM)
		for end := time.Now().Add(30 * time.Second); syscall.Kill(owner, 0) == nil && time.Now().Before(end); {
			time.Sleep(100 * time.Millisecond)
		}
	})
	if sid, err := unix.Getsid(owner); err != nil || sid != owner {
		t.Errorf("the owner's session is %d (%v), want its own (%d)", sid, err, owner)
	}
	// the only lab: no --lab needed
	if code, out, _ := mainOut(t, "exec", "--state-dir", dir, "web", "--", "ip", "-br", "-4", "addr", "show", "eth0"); code != 0 || !strings.Contains(out, "10.0.0.5/28") {
		t.Fatalf("exec: %d %s", code, out)
	}
	sendUDP(t, dir, detached, 5)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st = status(t, dir)
		s := st[0].Counters.Sessions
		if len(s) == 2 && s[1].Name == "web-session" && s[1].Packets == 5 && s[1].Delivery["delivered"] == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after 5 datagrams: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, out, _ := mainOut(t, "status", "--state-dir", dir); !strings.Contains(out, "web-session        -> collector-target VNI 4242     mirrored 5 packets") {
		t.Errorf("status:\n%s", out)
	}

	// a second lab, in the foreground
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		var out, errOut strings.Builder
		done <- Main(ctx, []string{"up", "--state-dir", dir, "vni"}, &out, &errOut)
	}()
	for deadline := time.Now().Add(20 * time.Second); len(status(t, dir)) < 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second lab did not come up in 20s")
		}
	}
	if code, _, errOut := mainOut(t, "exec", "--state-dir", dir, "web", "--", "true"); code != 1 || !strings.Contains(errOut, "2 labs are up") || !strings.Contains(errOut, "--lab RUNID") {
		t.Fatalf("exec with two labs: %d %s", code, errOut)
	}

	// a kept run's lab
	if code, out, errOut := mainOut(t, "run", "vni", "--keep", "-q", "--state-dir", dir); code != 0 || !strings.Contains(out, "status and down reach it") {
		t.Fatalf("run --keep: %d\n%s\n%s", code, out, errOut)
	}
	kept, _ := labByState(status(t, dir), "kept")
	if kept == "" {
		t.Fatalf("no kept lab: %+v", status(t, dir))
	}
	if code, out, _ := mainOut(t, "exec", "--state-dir", dir, "--lab", kept, "collector", "--", "ip", "-br", "-4", "addr"); code != 0 || !strings.Contains(out, "10.0.0.20/28") {
		t.Fatalf("exec in the kept lab: %d %s", code, out)
	}
	code, out, errOut = mainOut(t, "down", "--state-dir", dir, "--lab", kept)
	if code != 0 || !strings.Contains(out, "lab "+kept+"  vni") || !strings.Contains(out, "mirrored 15 packets") || !strings.Contains(out, "is down") {
		t.Fatalf("down the kept lab: %d\n%s\n%s", code, out, errOut)
	}
	if left, _ := filepath.Glob("/run/netns/ml" + kept + "-*"); len(left) > 0 {
		t.Fatalf("kept lab's namespaces left: %v", left)
	}

	// down the detached lab: its last counters, its owner gone
	code, out, errOut = mainOut(t, "down", "--state-dir", dir, "--lab", detached)
	if code != 0 || !strings.Contains(out, "mirrored 5 packets") || !strings.Contains(out, "lab "+detached+" (vni) is down") {
		t.Fatalf("down: %d\n%s\n%s", code, out, errOut)
	}
	// Exited is enough: the owner is this test process's child (up -d ran
	// in-process), so it may stay a zombie until the goroutine that waits
	// for it runs, and kill(pid, 0) succeeds on a zombie.
	if _, zombie, err := state.StartTime(owner); err == nil && !zombie {
		t.Errorf("owner %d still runs after down", owner)
	}
	if left, _ := filepath.Glob("/run/netns/ml" + detached + "-*"); len(left) > 0 {
		t.Fatalf("namespaces left behind: %v", left)
	}

	// the foreground lab ends with its context, and its record with it
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("up exited %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("up did not end")
	}
	if _, out, _ := mainOut(t, "status", "--state-dir", dir); out != "no lab is up\n" {
		t.Fatalf("status at the end:\n%s", out)
	}
	if code, _, errOut := mainOut(t, "down", "--state-dir", dir); code != 1 || !strings.Contains(errOut, "no lab is up") {
		t.Fatalf("down with no lab: %d %s", code, errOut)
	}
}
