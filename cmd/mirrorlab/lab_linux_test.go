package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/scenarios/runner"
)

// TestPrivilegedUpExecDown brings a lab up, runs a command inside one of
// its instances, and takes it down again.
func TestPrivilegedUpExecDown(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		var out, errOut strings.Builder
		done <- Main(ctx, []string{"up", "--state-dir", dir, "vni"}, &out, &errOut)
	}()
	path := upFile(dir)
	var info runner.LabInfo
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && json.Unmarshal(b, &info) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lab did not come up in 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, out, errOut := mainOut(t, "exec", "--state-dir", dir, "web", "--", "ip", "-br", "-4", "addr", "show", "eth0")
	if code != 0 || !strings.Contains(out, "10.0.0.5/28") {
		t.Fatalf("exec: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := mainOut(t, "exec", "--state-dir", dir, "web", "--", "false"); code != 1 {
		t.Fatalf("exec false exited %d, want 1", code)
	}
	if code, _, errOut := mainOut(t, "up", "--state-dir", dir, "vni"); code != 1 || !strings.Contains(errOut, "already up") {
		t.Fatalf("second up: %d %s", code, errOut)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("up exited %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("up did not end")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("up file left behind: %v", err)
	}
	left, _ := filepath.Glob("/run/netns/ml" + info.RunID + "-*")
	if len(left) > 0 {
		t.Fatalf("namespaces left behind: %v", left)
	}
}
