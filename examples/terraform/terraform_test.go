package terraform

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// moduleVNI is the module's default virtual_network_id.
const moduleVNI = 4242

// applyPlanDestroy drives the module through its life against endpoint:
// apply, a plan that must find nothing to change, and (by the returned
// function) destroy. It checks the server's state after each step.
func applyPlanDestroy(t *testing.T, tl tools, endpoint string) (destroy func()) {
	t.Helper()
	w := newWorkspace(t, tl, endpoint)
	_, dApply := w.mustRun(t, "apply", "-auto-approve", "-input=false", "-no-color")
	outs := w.outputs(t)
	s := getSpec(t, endpoint)
	id := s.sessionWithVNI(moduleVNI)
	if id == "" || id != outs["session_id"] {
		t.Fatalf("after apply the server has no session with VNI %d, or not the module's (%v): %+v", moduleVNI, outs["session_id"], s.TrafficMirrorSessions)
	}
	t.Logf("%s apply: %v (session %s, VNI %v, source %v, target %v)", tl.toolName, dApply.Round(time.Millisecond), id, outs["virtual_network_id"], outs["source_eni_id"], outs["target_eni_id"])

	code, out, dPlan := w.run(t, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if code != 0 {
		t.Fatalf("%s plan after apply: exit %d (0: no changes, 2: changes)\n%s", tl.toolName, code, out)
	}
	t.Logf("%s plan: %v, no changes (-detailed-exitcode 0)", tl.toolName, dPlan.Round(time.Millisecond))

	return func() {
		_, dDestroy := w.mustRun(t, "destroy", "-auto-approve", "-input=false", "-no-color")
		s := getSpec(t, endpoint)
		if id := s.sessionWithVNI(moduleVNI); id != "" {
			t.Fatalf("after destroy the server still has session %s", id)
		}
		for _, f := range s.TrafficMirrorFilters {
			if f.TrafficMirrorFilterId == outs["filter_id"] {
				t.Fatalf("after destroy the server still has filter %s", f.TrafficMirrorFilterId)
			}
		}
		for _, x := range s.TrafficMirrorTargets {
			if x.TrafficMirrorTargetId == outs["target_id"] {
				t.Fatalf("after destroy the server still has target %s", x.TrafficMirrorTargetId)
			}
		}
		t.Logf("%s destroy: %v", tl.toolName, dDestroy.Round(time.Millisecond))
	}
}

// The module against the API alone (mirrorlab serve --no-lab, no root):
// apply, plan with no changes, export, destroy.
func TestTerraformNoLab(t *testing.T) {
	tl := findTools(t)
	endpoint := serve(t, tl, 30*time.Second, "--no-lab")
	destroy := applyPlanDestroy(t, tl, endpoint)

	exported := filepath.Join(t.TempDir(), "exported.yaml")
	if out, err := exec.Command(tl.mirrorlab, "export", "--endpoint", endpoint, "-o", exported).CombinedOutput(); err != nil {
		t.Fatalf("mirrorlab export: %v\n%s", err, out)
	}
	if out, err := exec.Command(tl.mirrorlab, "validate", exported).CombinedOutput(); err != nil {
		t.Fatalf("mirrorlab validate of the export: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(exported)
	for _, want := range []string{"name: tf-session", "name: tf-filter", "name: tf-target", "VirtualNetworkId: " + strconv.Itoa(moduleVNI)} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the export lacks %q:\n%s", want, b)
		}
	}
	destroy()
}

// The module on a served lab (root): after apply, copies of the client's
// HTTP requests arrive at the adapter's ENI with the module's VNI (seen by
// tcpdump there, independently of mirrorlab's counters); plan finds no
// changes; after destroy they stop while the scenario's own session (VNI 1)
// goes on.
func TestTerraformLab(t *testing.T) {
	tl := findTools(t)
	privtest.Require(t)
	stateDir := t.TempDir()
	endpoint := serve(t, tl, 2*time.Minute, "--state-dir", stateDir)

	before := captureVNIs(t, tl, stateDir)
	if before[moduleVNI] != 0 || before[1] == 0 {
		t.Fatalf("before apply: VXLAN per VNI at adapter-eni %v: want VNI 1 (the scenario's session) and no %d", before, moduleVNI)
	}
	t.Logf("before apply, at adapter-eni (tcpdump, %d HTTP requests from client to web): %v VXLAN datagrams by VNI", httpRequests, before)
	destroy := applyPlanDestroy(t, tl, endpoint)
	during := captureVNIs(t, tl, stateDir)
	if during[moduleVNI] == 0 {
		t.Fatalf("after apply no copy with VNI %d arrived at adapter-eni: %v", moduleVNI, during)
	}
	t.Logf("after apply, at adapter-eni (tcpdump): %v VXLAN datagrams by VNI", during)
	destroy()
	after := captureVNIs(t, tl, stateDir)
	if after[moduleVNI] != 0 || after[1] == 0 {
		t.Fatalf("after destroy: %v by VNI at adapter-eni: want none with VNI %d, some with VNI 1", after, moduleVNI)
	}
	t.Logf("after destroy, at adapter-eni: %v by VNI", after)
}

// httpRequests is how many requests the client sends per capture.
const httpRequests = 10

// captureVNIs captures UDP 4789 at the adapter's ENI with tcpdump while the
// client sends HTTP requests to the web server, and counts the VXLAN
// datagrams per VNI.
func captureVNIs(t *testing.T, tl tools, stateDir string) map[int]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dump := exec.CommandContext(ctx, tl.mirrorlab, "exec", "--state-dir", stateDir, "adapter", "--",
		"tcpdump", "-nn", "-l", "-i", "eth0", "udp", "port", "4789")
	dump.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errOut syncBuffer
	dump.Stdout, dump.Stderr = &out, &errOut
	if err := dump.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	stop := func() {
		_ = syscall.Kill(-dump.Process.Pid, syscall.SIGINT)
		_ = dump.Wait()
	}
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(errOut.String(), "listening on"); {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("tcpdump in adapter did not start: %s", errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	load := exec.CommandContext(ctx, tl.mirrorlab, "exec", "--state-dir", stateDir, "client", "--", "sh", "-c",
		"for i in $(seq "+strconv.Itoa(httpRequests)+"); do curl -s -m 2 -o /dev/null http://10.0.0.5/; done")
	if b, err := load.CombinedOutput(); err != nil {
		t.Logf("client load: %v %s", err, b)
	}
	time.Sleep(500 * time.Millisecond) // the last copies are on their way
	stop()
	return vniCounts(strings.NewReader(out.String()))
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
