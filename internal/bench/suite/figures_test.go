package suite

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	runreport "github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	scenariospec "github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

// figureResult fills a result as two runs of the load balancer targets
// and the kernel share would: tc mirred to the ENI at 200 000 pps and 1
// CPU-s per Mpkt, the NLB target at nlb pps (2 CPU-s per Mpkt), the GWLB
// at 100 000, and kernel shares from counts.
func figureResult(t *testing.T, nlb float64, counts map[string][2]uint64) (*bench, *report.Result) {
	t.Helper()
	cfg := Defaults(true)
	cfg.Runs = 2
	b := &bench{cfg: cfg, col: newCollector()}
	for run := 1; run <= 2; run++ {
		b.col.add(zeroLossSpec(labelTCMirredVPC, "reference", 64), 200_000)
		b.col.add(machineCPUSpec(labelTCMirredVPC, "reference", 64), 1)
		b.col.add(zeroLossSpec(labelOurs, "ours", 64), 180_000)
		b.col.add(zeroLossSpec(labelOursNLB, "ours", 64), nlb)
		b.col.add(machineCPUSpec(labelOursNLB, "ours", 64), 2)
		b.col.add(zeroLossSpec(labelOursGWLB, "ours", 64), 100_000)
		var sc []shareCount
		for _, k := range shareKinds {
			c := counts[k.name]
			sc = append(sc, shareCount{copies: c[0], kernel: c[1]})
			if c[1] == 0 && k.name == "gwlb" {
				sc[len(sc)-1].userSpace = []string{"gwlb-two-appliances: eni-web ingress: target is a GWLB endpoint"}
			}
		}
		b.recordShares(run, sc)
	}
	res := &report.Result{Schema: report.Schema, Runs: 2}
	b.col.fill(res)
	if err := res.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	return b, res
}

var shareCounts = map[string][2]uint64{"eni": {100, 100}, "nlb": {200, 150}, "gwlb": {200, 0}, "cross-vpc": {50, 50}, "ipv6": {50, 0}}

func TestLoadBalancerTargetFigures(t *testing.T) {
	b, res := figureResult(t, 150_000, shareCounts)
	nlb := res.Find(zeroLossSpec(labelOursNLB, "", 64).key())
	if nlb == nil || nlb.Informational || nlb.Ratio == nil || nlb.Ratio.Median != 0.75 ||
		nlb.Reference != zeroLossSpec(labelOurs, "", 64).reference {
		t.Fatalf("NLB rate = %+v, want compared, 0.75× tc mirred to the ENI", nlb)
	}
	cpu := res.Find(machineCPUSpec(labelOursNLB, "", 64).key())
	if cpu == nil || cpu.Informational || cpu.Ratio == nil || cpu.Ratio.Median != 2 {
		t.Fatalf("NLB machine CPU = %+v, want compared, 2× tc mirred's", cpu)
	}
	// The user-space path's copies at the generator's top rate measure
	// overload: shown, not compared; the in-kernel path's are compared.
	if sp := throughputSpecsFor(&target{label: labelOursNLBUser, group: "ours", mirror: true}, 64); !sp.copies.informational || sp.zl.informational || sp.mach.informational {
		t.Errorf("NLB user-space specs: %+v", sp)
	}
	if sp := throughputSpecsFor(&target{label: labelOursNLB, group: "ours", mirror: true}, 64); sp.copies.informational {
		t.Errorf("NLB in-kernel copies not compared: %+v", sp.copies)
	}
	tt, ok := b.targetTable(res, "runs")
	if !ok {
		t.Fatal("no table by target")
	}
	rows := map[string]string{}
	for _, r := range tt.Rows {
		rows[r[1]] = strings.Join(r, " | ")
	}
	for title, want := range map[string]string{
		"ENI, in-kernel path on":                      "64 | ENI, in-kernel path on | 180 000 | 0.900×",
		"NLB, in-kernel path on":                      "64 | NLB, in-kernel path on | 150 000 | 0.750× | 2.000 | 2.000×",
		"GWLB endpoint, in-kernel path on":            "64 | GWLB endpoint, in-kernel path on | 100 000 | 0.500×",
		"kernel tc mirred to the ENI (the reference)": "64 | kernel tc mirred to the ENI (the reference) | 200 000 | 1× | 1.000 | 1×",
	} {
		if !strings.HasPrefix(rows[title], want) {
			t.Errorf("row %q, want it to start %q", rows[title], want)
		}
	}
	if _, ok := rows["NLB, user-space path"]; ok {
		t.Error("a row for a path that was not measured")
	}
	// Without a load balancer figure there is no such table.
	if _, ok := (&bench{cfg: b.cfg}).targetTable(&report.Result{}, "runs"); ok {
		t.Error("table by target without figures")
	}
}

func TestKernelShareFigures(t *testing.T) {
	b, res := figureResult(t, 150_000, shareCounts)
	share := res.Find(shareSpecsFor("nlb").share.key())
	if share == nil || share.Informational || !share.HigherIsBetter || share.Unit != "fraction" || share.Median != 0.75 {
		t.Fatalf("NLB kernel share = %+v, want 0.75, compared, higher is better", share)
	}
	all := res.Find(shareSpecsFor(shareAll).share.key())
	if all == nil || all.Median != 0.5 { // 300 of 600
		t.Fatalf("share over every kind = %+v, want 0.5", all)
	}
	if m := res.Find(shareSpecsFor("ipv6").copies.key()); m == nil || !m.Informational || m.Median != 50 {
		t.Errorf("IPv6 copies = %+v", m)
	}
	kt, ok := b.kernelShareTable(res, "runs")
	if !ok || len(kt.Rows) != len(shareKinds)+1 { // no library figure: no row
		t.Fatalf("kernel share table = %+v", kt)
	}
	for i, want := range map[int]string{
		0: "ENI target | vni | 100 | 100 | 100.00% | —",
		1: "NLB target | nlb-two-agents | 200 | 150 | 75.00% | none listed (decided packet by packet)",
		2: "GWLB endpoint target | gwlb-two-appliances | 200 | 0 | 0.00% | gwlb-two-appliances: eni-web ingress: target is a GWLB endpoint",
		4: "IPv6 sources and copies | ipv6-dual-stack | 50 | 0 | 0.00% | none listed (decided packet by packet)",
		5: "all of the above | — | 600 | 300 | 50.00% | none listed (decided packet by packet)",
	} {
		if got := strings.Join(kt.Rows[i], " | "); got != want {
			t.Errorf("row %d %q, want %q", i, got, want)
		}
	}
	var md bytes.Buffer
	res.Summary = b.summary(res)
	if err := report.WriteMarkdown(&md, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| ours | kernelshare/ours/share | kind=nlb | 0.750 |", "| ours | throughput/ours-nlb/zero-loss-rate | size=64 | 150 000 |",
		"Kernel share — copies decided by the in-kernel path", "| 64 | NLB, in-kernel path on |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// TestCompareWatchesTargetsAndShares: a load balancer target falling
// against tc mirred, and a kernel share falling, are regressions; a share
// that rises (IPv6 into the kernel) is not.
func TestCompareWatchesTargetsAndShares(t *testing.T) {
	_, old := figureResult(t, 150_000, shareCounts)
	worse := map[string][2]uint64{"eni": {100, 100}, "nlb": {200, 100}, "gwlb": {200, 0}, "cross-vpc": {50, 50}, "ipv6": {50, 50}}
	_, new := figureResult(t, 100_000, worse)
	got := map[string]report.Finding{}
	for _, f := range report.Compare(old, new, 0.1) {
		got[f.Key] = f
	}
	for key, regressed := range map[string]bool{
		zeroLossSpec(labelOursNLB, "", 64).key():  true,
		zeroLossSpec(labelOursGWLB, "", 64).key(): false,
		shareSpecsFor("nlb").share.key():          true,
		shareSpecsFor("ipv6").share.key():         false,
		shareSpecsFor(shareAll).share.key():       false, // 300 → 300 of 600
	} {
		f, ok := got[key]
		if !ok {
			t.Errorf("%s is not compared", key)
			continue
		}
		if f.Regressed != regressed {
			t.Errorf("%s: %+v, want regressed %v", key, f, regressed)
		}
	}
	if f := got[zeroLossSpec(labelOursNLB, "", 64).key()]; !strings.HasPrefix(f.Basis, "ratio to throughput/"+labelTCMirredVPC) {
		t.Errorf("NLB rate compared on basis %q, want its ratio to tc mirred", f.Basis)
	}
	if f := got[shareSpecsFor("ipv6").share.key()]; f.Change != 1 {
		t.Errorf("IPv6 share 0 → 1: change %v", f.Change)
	}
}

// The whole library's figure has its own row, after the kinds' sum.
func TestKernelShareOfTheLibrary(t *testing.T) {
	b, _ := figureResult(t, 150_000, shareCounts)
	b.recordShare(1, shareLibrary, shareCount{copies: 2547, kernel: 2433})
	res := &report.Result{}
	b.col.fill(res)
	kt, _ := b.kernelShareTable(res, "runs")
	last := kt.Rows[len(kt.Rows)-1]
	_, names := scenarios.Library()
	want := fmt.Sprintf("the whole library | every one (%d; those the provider refuses, as they expect, build nothing) | 2547 | 2433 | 95.52%%", len(names))
	if got := strings.Join(last, " | "); !strings.HasPrefix(got, want) {
		t.Errorf("library row %q, want it to start %q", got, want)
	}
	if kindScenarios(Defaults(true), libraryKind())[0] != names[0] || len(kindScenarios(Defaults(true), libraryKind())) != len(names) {
		t.Error("the smoke limit of scenarios per kind cut the library")
	}
	if Defaults(true).ShareLibrary || !Defaults(false).ShareLibrary {
		t.Error("the whole library belongs to the full run only")
	}
}

// A kind whose scenarios could not run carries the error, and the sum over
// every kind is not made of the others alone.
func TestKernelShareOfAFailedKind(t *testing.T) {
	b := &bench{cfg: Defaults(true), col: newCollector()}
	counts := make([]shareCount, len(shareKinds))
	for i := range counts {
		counts[i] = shareCount{copies: 10, kernel: 5}
	}
	counts[4].err = errors.New("scenario ipv6-dual-stack: build the VPC: no root")
	b.recordShares(1, counts)
	res := &report.Result{}
	b.col.fill(res)
	if m := res.Find(shareSpecsFor("ipv6").share.key()); m == nil || !strings.Contains(m.Error, "no root") {
		t.Errorf("failed kind = %+v", m)
	}
	if m := res.Find(shareSpecsFor("eni").share.key()); m == nil || m.Median != 0.5 {
		t.Errorf("ENI = %+v", m)
	}
	if m := res.Find(shareSpecsFor(shareAll).share.key()); m == nil || len(m.Runs) != 0 || !strings.Contains(m.Error, "kind ipv6") {
		t.Errorf("share over every kind = %+v, want an error naming ipv6", m)
	}
}

func TestShareCountAdd(t *testing.T) {
	var c shareCount
	ok := &runreport.Result{Passed: true, DataPlane: &runreport.DataPlaneStats{Mirrored: 10, Kernel: 4, UserSpace: []string{"eni-1 ingress: IPv6"}}}
	failed := &runreport.Result{Error: "expectations", DataPlane: &runreport.DataPlaneStats{Mirrored: 5, Kernel: 5, KernelOff: "no BTF"}}
	if err := c.add("a", ok); err != nil {
		t.Fatal(err)
	}
	if err := c.add("b", failed); err != nil {
		t.Fatal(err)
	}
	if c.copies != 15 || c.kernel != 9 || len(c.failed) != 1 || !strings.HasPrefix(c.failed[0], "b (") ||
		strings.Join(c.userSpace, "; ") != "a: eni-1 ingress: IPv6; b: in-kernel path off: no BTF" {
		t.Fatalf("count = %+v", c)
	}
	for _, r := range []*runreport.Result{{Error: "build the VPC: no root"}, {Passed: false}} {
		if err := c.add("x", r); err == nil || !strings.Contains(err.Error(), "scenario x") {
			t.Errorf("result %+v: error %v, want one naming the scenario", r, err)
		}
	}
	// A refusal the scenario expects builds nothing and adds nothing, as
	// does a run that mirrored nothing.
	refused := &runreport.Result{Passed: true, Validation: scenariospec.Problems{{File: "quota.yaml", Line: 3, Message: "quota"}}}
	for _, r := range []*runreport.Result{refused, {Passed: true, DataPlane: &runreport.DataPlaneStats{}}} {
		if err := c.add("y", r); err != nil || c.copies != 15 {
			t.Errorf("result %+v: %v, copies %d", r, err, c.copies)
		}
	}
}

func TestPartSelectionOfTheNewFigures(t *testing.T) {
	full, smoke := Defaults(false), Defaults(true)
	if lbSizes(full) != nil || len(lbSizes(smoke)) != 1 || lbSizes(smoke)[0] != smoke.Sizes[0] {
		t.Errorf("load balancer sizes: full %v, smoke %v", lbSizes(full), lbSizes(smoke))
	}
	for _, k := range shareKinds {
		if got := kindScenarios(smoke, k); len(got) != 1 || got[0] != k.scenarios[0] {
			t.Errorf("smoke runs %v of kind %s", got, k.name)
		}
		if got := kindScenarios(full, k); len(got) != len(k.scenarios) {
			t.Errorf("full run runs %v of kind %s", got, k.name)
		}
	}
	for _, p := range []string{PartLBTargets, PartKernelShare} {
		c := Defaults(true)
		c.Parts = []string{p}
		if err := c.Validate(); err != nil || !c.wants(p) || c.wants(PartMirror) {
			t.Errorf("--only %s: %v", p, err)
		}
	}
	for _, mod := range []func(*Config){func(c *Config) { c.LBSizes = -1 }, func(c *Config) { c.ShareScenarios = -1 }} {
		c := Defaults(true)
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
