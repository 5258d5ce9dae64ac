package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// killScenario starts tcpdump, which drops to user tcpdump (-Z) once it has
// opened vxlan0, so a parent-death signal set on it would be cleared; and a
// shell that leaves a grandchild behind. Short traffic and settle keep each
// run around a second or two.
const killScenario = `name: kill-test
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      subnets:
        - {name: public, CidrBlock: 10.0.0.0/28}
        - {name: adapter, CidrBlock: 10.0.0.16/28}
  instances:
    - name: web
      networkInterfaces: [{name: web-eni, SubnetId: public, PrivateIpAddress: 10.0.0.5}]
    - name: client
      networkInterfaces: [{name: client-eni, SubnetId: public, PrivateIpAddress: 10.0.0.6}]
    - name: adapter
      networkInterfaces: [{name: adapter-eni, SubnetId: adapter, PrivateIpAddress: 10.0.0.20}]
      vxlanDevices: [{name: vxlan0, vni: 1}]
mirror:
  filters:
    - name: web-in
      rules:
        - {TrafficDirection: ingress, RuleNumber: 100, RuleAction: accept, Protocol: 6, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}
  targets:
    - {name: adapter-target, NetworkInterfaceId: adapter-eni}
  sessions:
    - {name: web-session, NetworkInterfaceId: web-eni, TrafficMirrorTargetId: adapter-target, TrafficMirrorFilterId: web-in, SessionNumber: 1, VirtualNetworkId: 1}
programs:
  - {name: production, instance: web, builtin: http-server}
  - name: tcpdump
    instance: adapter
    command: [tcpdump, -Z, tcpdump, -i, vxlan0, -n, -l, -U, "tcp dst port 80"]
    ready: {logContains: "listening on vxlan0", timeout: 10s}
  - name: lingerer
    instance: client
    command: [sh, -c, "sleep 1000 & echo started; wait"]
    ready: {logContains: started, timeout: 10s}
traffic:
  - {name: web-load, from: client, http: {to: web, count: 10, keepAlive: false}}
settle: 200ms
expect:
  - requests: {program: production, equals: 10}
`

// TestPrivilegedSIGKILLedRunLeavesNoProcess SIGKILLs the built mirrorlab
// binary's run at random points of a scenario whose tcpdump changes user,
// and checks that no process of the run survives it (before any clean),
// and that clean then leaves no namespace and no state file.
func TestPrivilegedSIGKILLedRunLeavesNoProcess(t *testing.T) {
	privtest.Require(t)
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Fatal("tcpdump is not installed (make deps installs it)")
	}
	tcpdumpUser, err := user.Lookup("tcpdump")
	if err != nil {
		t.Fatalf("no user tcpdump (the tcpdump package creates it): %v", err)
	}
	tcpdumpUID, _ := strconv.Atoi(tcpdumpUser.Uid)
	bin := buildMirrorlab(t)
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	scen := filepath.Join(dir, "kill.yaml")
	if err := os.WriteFile(scen, []byte(killScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	// Whatever a failing iteration leaves, remove it.
	t.Cleanup(func() { _, _ = state.Sweep(stateDir) })

	// One whole run: the scenario works, and its length bounds the delays.
	begin := time.Now()
	out, err := exec.Command(bin, "run", "-q", "--state-dir", stateDir, scen).CombinedOutput()
	if err != nil {
		t.Fatalf("a whole run failed: %v\n%s", err, out)
	}
	whole := time.Since(begin)

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 12))
	t.Logf("a whole run takes %v; random kills within 110%% of it (seed %d)", whole.Round(time.Millisecond), seed)
	const kills = 20
	var noState, userChanged, finished int
	for i := range kills {
		delay := time.Duration(rng.Int64N(int64(whole) * 11 / 10))
		cmd := exec.Command(bin, "run", "-q", "--state-dir", stateDir, scen)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Watch the run until the kill: its id, and whether a program of
		// it runs as another user at that moment. Every other kill waits
		// for that moment (tcpdump as user tcpdump), then comes within
		// the delay's first tenth: on a loaded machine a run can take far
		// longer than the measured one, and uniform delays would all land
		// before tcpdump starts.
		targeted := i%2 == 0
		if targeted {
			delay /= 10
		}
		var run *state.Run
		sawUser := false
		deadline := time.Now().Add(delay)
		for giveUp := time.Now().Add(30 * time.Second); ; {
			if run == nil {
				run = loadOnlyRun(t, stateDir)
			}
			if run != nil {
				for _, p := range processesIn(t, run) {
					sawUser = sawUser || p.uid == tcpdumpUID
				}
			}
			if targeted && !sawUser {
				if time.Now().After(giveUp) {
					t.Errorf("kill %d: tcpdump did not run as user tcpdump within 30s", i)
					break
				}
				deadline = time.Now().Add(delay)
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(min(20*time.Millisecond, time.Until(deadline)))
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Exited() {
			finished++ // the run ended before the kill
		}
		if run == nil {
			run = loadOnlyRun(t, stateDir)
		}
		if run == nil {
			noState++
			continue // killed before it recorded (and so created) anything
		}
		if sawUser {
			userChanged++
		}
		// No clean yet: every process of the run must be gone by itself.
		var left []proc
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if left = processesIn(t, run); len(left) == 0 {
				break
			}
		}
		if len(left) > 0 {
			t.Errorf("kill %d after %v: processes of run %s still alive: %v", i, delay, run.RunID, left)
		}
		if code, out, errOut := mainOut(t, "clean", "--state-dir", stateDir); code != 0 {
			t.Fatalf("kill %d: clean exited %d: %s%s", i, code, out, errOut)
		}
		if ns, _ := filepath.Glob("/run/netns/" + state.Prefix(run.RunID) + "*"); len(ns) > 0 {
			t.Errorf("kill %d: namespaces left after clean: %v", i, ns)
		}
		if ids, _ := state.List(stateDir); len(ids) > 0 {
			t.Errorf("kill %d: state files left after clean: %v", i, ids)
		}
	}
	t.Logf("%d kills: %d before the state file, %d while tcpdump ran as user tcpdump, %d after the run ended",
		kills, noState, userChanged, finished)
	// The point of the test is programs that changed user: a sample
	// without any is no proof (half the kills wait for it).
	if userChanged < 3 {
		t.Errorf("only %d of %d kills came while tcpdump ran as user tcpdump; want at least 3", userChanged, kills)
	}
}

// buildMirrorlab builds this command into a temporary directory.
func buildMirrorlab(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build mirrorlab: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mirrorlab")
	out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// loadOnlyRun returns the run recorded in dir (the test's runs are one at
// a time), or nil.
func loadOnlyRun(t *testing.T, dir string) *state.Run {
	ids, err := state.List(dir)
	if err != nil || len(ids) == 0 {
		return nil
	}
	if len(ids) > 1 {
		t.Fatalf("several runs in %s: %v", dir, ids)
	}
	r, err := state.Load(dir, ids[0])
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return nil // being written
	}
	return r
}

type proc struct {
	pid, uid int
	comm     string
}

func (p proc) String() string { return fmt.Sprintf("%d %s (uid %d)", p.pid, p.comm, p.uid) }

// processesIn lists the processes whose network namespace is one of the
// run's.
func processesIn(t *testing.T, r *state.Run) []proc {
	t.Helper()
	ids := map[[2]uint64]bool{}
	for _, n := range r.Namespaces {
		var st syscall.Stat_t
		if syscall.Stat("/run/netns/"+n, &st) == nil {
			ids[[2]uint64{st.Dev, st.Ino}] = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat("/proc/"+e.Name()+"/ns/net", &st) != nil || !ids[[2]uint64{st.Dev, st.Ino}] {
			continue
		}
		var pst syscall.Stat_t
		if syscall.Stat("/proc/"+e.Name(), &pst) != nil {
			continue
		}
		comm, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		if s, _ := os.ReadFile("/proc/" + e.Name() + "/stat"); strings.Contains(string(s), ") Z ") {
			continue // a zombie holds nothing
		}
		out = append(out, proc{pid: pid, uid: int(pst.Uid), comm: strings.TrimSpace(string(comm))})
	}
	return out
}
