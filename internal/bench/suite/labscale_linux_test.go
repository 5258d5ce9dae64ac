package suite

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/mirrorlab/mirrorlab/internal/bench/gen"
	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	runreport "github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	scenario "github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// TestPrivilegedLargeLabLeavesNothing: a lab of 1000 sources (100 with
// -short) comes up, mirrors what its expectations say (five datagrams for
// every tenth source, no more, no fewer, as the sessions count them and as
// the targets' sinks receive them), and leaves nothing behind: no
// namespace, no state file, no BPF program, link or map held by this
// process (the lab's tc filters and links live in its namespaces, which
// must be gone), no child process. Not timed: the lab-scale bench part
// measures. (About 17 s at 1000 on a loaded 2-core machine, so it runs in
// make test.)
func TestPrivilegedLargeLabLeavesNothing(t *testing.T) {
	privtest.Require(t)
	n := 1000
	if testing.Short() {
		n = 100
	}
	data, err := gen.LabScale(n)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Parse("lab-scale.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	bpfBefore, childrenBefore := bpfFDs(t), children(t)
	stateDir := t.TempDir()
	res := runner.Run(context.Background(), s, runner.Options{StateDir: stateDir})
	if !res.Passed {
		t.Fatalf("lab of %d sources did not pass: %s", n, firstFailure(res))
	}
	want := 5 * ((n + 9) / 10)
	if res.DataPlane == nil || res.DataPlane.Mirrored != uint64(want) {
		t.Errorf("data plane %+v: want %d copies mirrored", res.DataPlane, want)
	}
	if got := sinkDatagrams(res); got != int64(want) {
		t.Errorf("the targets' sinks received %d copies, want %d", got, want)
	}
	left, err := os.ReadDir("/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	prefix := "ml" + res.RunID + "-"
	for _, e := range left {
		if strings.HasPrefix(e.Name(), prefix) {
			t.Errorf("namespace %s left behind", e.Name())
		}
	}
	if files, _ := os.ReadDir(stateDir); len(files) > 0 {
		t.Errorf("state files left behind: %v", files)
	}
	if after := bpfFDs(t); after > bpfBefore {
		t.Errorf("%d BPF objects (programs, links, maps) still held, %d before the lab", after, bpfBefore)
	}
	if after := children(t); len(after) > len(childrenBefore) {
		t.Errorf("child processes left behind: %v (before the lab: %v)", after, childrenBefore)
	}
}

// sinkDatagrams adds up what the udp-sink programs received.
func sinkDatagrams(res *runreport.Result) int64 {
	var n int64
	for _, p := range res.Programs {
		if p.Kind == scenario.BuiltinUDPSink {
			n += p.Datagrams
		}
	}
	return n
}

// bpfFDs counts this process's open BPF objects (programs, links, maps):
// file descriptors on an anon inode named bpf-….
func bpfFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(target, "anon_inode:bpf") {
			n++
		}
	}
	return n
}

// children lists the processes whose parent is this one, as pid and name.
func children(t *testing.T) []string {
	t.Helper()
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	self := strconv.Itoa(os.Getpid())
	var out []string
	for _, p := range procs {
		stat, err := os.ReadFile("/proc/" + p.Name() + "/stat")
		if err != nil {
			continue // not a process, or gone
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(stat), ')')
		fields := strings.Fields(string(stat[i+1:]))
		if i > 0 && len(fields) > 1 && fields[1] == self {
			out = append(out, p.Name()+" "+string(stat[strings.IndexByte(string(stat), '(')+1:i]))
		}
	}
	return out
}

// TestPrivilegedLabScalePart: the bench part records, for each size, the
// lab's readiness against the bare netlink reference with a ratio, its
// phases, its peak resident size, and the times to add and remove an
// instance (the first change apart), and plots both series.
func TestPrivilegedLabScalePart(t *testing.T) {
	privtest.Require(t)
	cfg := Defaults(true)
	cfg.LabSources, cfg.StateDir = []int{10}, t.TempDir()
	b := &bench{cfg: cfg, col: newCollector()}
	if err := b.labScalePhase(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	res := &report.Result{Schema: report.Schema, Runs: 1}
	b.col.fill(res)
	if err := res.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	ready := res.Find(labReadySpec(10).key())
	if ready == nil || ready.Error != "" || len(ready.Runs) != 1 || ready.Ratio == nil || ready.Runs[0] <= 0 {
		t.Fatalf("ready = %+v", ready)
	}
	for _, sp := range append([]spec{labBareSpec(10), labRSSSpec(10), labPhaseSpec(10, runreport.PhaseDataPlane), labPhaseSpec(10, runreport.PhaseTeardown)},
		labFollowSpecs(10)...) {
		if m := res.Find(sp.key()); m == nil || m.Error != "" || len(m.Runs) != 1 || m.Runs[0] <= 0 {
			t.Errorf("%s = %+v", sp.key(), m)
		}
	}
	if p := b.labScalePlots(res)[0]; len(p.Series) != 2 {
		t.Errorf("plot has %d series, want ours and bare netlink", len(p.Series))
	}
	if files, _ := os.ReadDir(cfg.StateDir); len(files) > 0 {
		t.Errorf("state files left behind: %v", files)
	}
}

// TestPrivilegedLeftoverProbes: the probes that the large lab test trusts
// see a BPF map this process holds and a child process it started.
func TestPrivilegedLeftoverProbes(t *testing.T) {
	privtest.Require(t)
	before, kids := bpfFDs(t), children(t)
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := bpfFDs(t); got != before+1 {
		t.Errorf("%d BPF objects with a map open, want %d", got, before+1)
	}
	m.Close()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	if got := children(t); len(got) != len(kids)+1 || !strings.Contains(strings.Join(got, ","), strconv.Itoa(cmd.Process.Pid)+" sleep") {
		t.Errorf("children %v with sleep running, before %v", got, kids)
	}
}
