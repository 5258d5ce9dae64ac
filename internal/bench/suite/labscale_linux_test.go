package suite

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/bench/gen"
	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	runreport "github.com/mirrorlab/mirrorlab/scenarios/report"
	"github.com/mirrorlab/mirrorlab/scenarios/runner"
	scenario "github.com/mirrorlab/mirrorlab/scenarios/spec"
)

// TestPrivilegedLargeLabLeavesNothing: a lab of 1000 sources (100 with
// -short) comes up, mirrors what its expectations say (five datagrams for
// every tenth source, no more, no fewer), and leaves no namespace nor
// state file behind. Not timed: the lab-scale bench part measures.
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
	stateDir := t.TempDir()
	res := runner.Run(context.Background(), s, runner.Options{StateDir: stateDir})
	if !res.Passed {
		t.Fatalf("lab of %d sources did not pass: %s", n, firstFailure(res))
	}
	if res.DataPlane == nil || res.DataPlane.Mirrored != uint64(5*((n+9)/10)) {
		t.Errorf("data plane %+v: want %d copies mirrored", res.DataPlane, 5*((n+9)/10))
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
}

// TestPrivilegedLabScalePart: the bench part records, for each size, the
// lab's readiness against the bare netlink reference with a ratio, its
// phases and its peak resident size, and plots both series.
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
	for _, sp := range []spec{labBareSpec(10), labRSSSpec(10), labPhaseSpec(10, runreport.PhaseDataPlane), labPhaseSpec(10, runreport.PhaseTeardown)} {
		if m := res.Find(sp.key()); m == nil || m.Error != "" || len(m.Runs) != 1 || m.Runs[0] <= 0 {
			t.Errorf("%s = %+v", sp.key(), m)
		}
	}
	if p := b.labScalePlot(res); len(p.Series) != 2 {
		t.Errorf("plot has %d series, want ours and bare netlink", len(p.Series))
	}
	if files, _ := os.ReadDir(cfg.StateDir); len(files) > 0 {
		t.Errorf("state files left behind: %v", files)
	}
}
