package suite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	runreport "github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

// shareKind is a kind of scenario whose copies the kernel share counts,
// and the library scenarios that represent it.
type shareKind struct {
	name, title string
	scenarios   []string
}

// shareKinds are issue 23's kinds, each represented by library scenarios
// (a smoke run takes the first of each only: cfg.ShareScenarios).
var shareKinds = []shareKind{
	{"eni", "ENI target", []string{"vni", "shadow-baseline"}},
	{"nlb", "NLB target", []string{"nlb-two-agents"}},
	{"gwlb", "GWLB endpoint target", []string{"gwlb-two-appliances"}},
	{"cross-vpc", "target in another VPC (transit gateway, peering)", []string{"central-inspection-tgw", "central-inspection"}},
	{"ipv6", "IPv6 sources and copies", []string{"ipv6-dual-stack"}},
}

// shareAll names the sum over every kind; shareLibrary the whole
// library's figures (cfg.ShareLibrary), issue 23's goal.
const (
	shareAll     = "all"
	shareLibrary = "library"
)

// libraryKind is every scenario of the embedded library.
func libraryKind() shareKind {
	_, names := scenarios.Library()
	return shareKind{name: shareLibrary, title: "the whole library", scenarios: names}
}

func kindParams(kind string) map[string]string { return map[string]string{"kind": kind} }

// shareSpecs are a kind's figures: its copies, those decided by the
// in-kernel path, and the share (the one compared between results).
type shareSpecs struct{ copies, kernel, share spec }

func shareSpecsFor(kind string) shareSpecs {
	p := kindParams(kind)
	return shareSpecs{
		copies: spec{name: "kernelshare/ours/copies", group: "ours", unit: "copies", params: p, informational: true},
		kernel: spec{name: "kernelshare/ours/kernel-copies", group: "ours", unit: "copies", params: p, informational: true},
		share:  spec{name: "kernelshare/ours/share", group: "ours", unit: "fraction", params: p, higherIsBetter: true},
	}
}

// shareCount is what one kind's scenarios mirrored in one run.
type shareCount struct {
	copies, kernel uint64
	userSpace      []string // the data plane's reasons for user space
	failed         []string // scenarios that did not pass their expectations
	err            error    // why the kind's copies could not be counted
}

// kindScenarios are the scenarios of k that cfg runs.
func kindScenarios(cfg Config, k shareKind) []string {
	if k.name != shareLibrary && cfg.ShareScenarios > 0 && cfg.ShareScenarios < len(k.scenarios) {
		return k.scenarios[:cfg.ShareScenarios]
	}
	return k.scenarios
}

// kernelSharePhase runs every kind's scenarios as `mirrorlab run` does
// (the library's file, runner.Run, default options: the in-kernel path
// on) and records each kind's copies, kernel copies and share, and their
// sum over the kinds; then, when cfg asks, the whole library's.
func (b *bench) kernelSharePhase(ctx context.Context, run int) error {
	counts := make([]shareCount, len(shareKinds))
	for i, k := range shareKinds {
		counts[i] = b.shareOfKind(ctx, run, k)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	b.recordShares(run, counts)
	if !b.cfg.ShareLibrary {
		return nil
	}
	c := b.shareOfKind(ctx, run, libraryKind())
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if c.err != nil {
		sp := shareSpecsFor(shareLibrary)
		for _, s := range []spec{sp.copies, sp.kernel, sp.share} {
			b.col.fail(s, c.err)
		}
		b.cfg.logf("  run %d kernel share, the whole library: %v", run, c.err)
		return nil
	}
	b.recordShare(run, shareLibrary, c)
	return nil
}

// recordShares records one run of every kind's figures (counts by
// shareKinds' order) and of their sum, which needs every kind.
func (b *bench) recordShares(run int, counts []shareCount) {
	var all shareCount
	for i, k := range shareKinds {
		c := counts[i]
		if c.err != nil {
			sp := shareSpecsFor(k.name)
			for _, s := range []spec{sp.copies, sp.kernel, sp.share} {
				b.col.fail(s, c.err)
			}
			b.cfg.logf("  run %d kernel share, %s: %v", run, k.name, c.err)
			all.err = fmt.Errorf("kind %s: %w", k.name, c.err)
			continue
		}
		b.recordShare(run, k.name, c)
		all.copies, all.kernel = all.copies+c.copies, all.kernel+c.kernel
	}
	if all.err != nil {
		b.col.fail(shareSpecsFor(shareAll).share, all.err)
		return
	}
	b.recordShare(run, shareAll, all)
}

// shareOfKind runs k's scenarios and sums their data plane's counters
// (c.err: why they could not be counted).
func (b *bench) shareOfKind(ctx context.Context, run int, k shareKind) (c shareCount) {
	for _, name := range kindScenarios(b.cfg, k) {
		s, err := scenarios.LoadContext(ctx, name)
		if err != nil {
			c.err = fmt.Errorf("load scenario %s: %w", name, err)
			return c
		}
		copies, kernel := c.copies, c.kernel
		if c.err = c.add(name, runner.Run(ctx, s, runner.Options{StateDir: b.cfg.StateDir})); c.err != nil {
			return c
		}
		b.cfg.logf("  run %d kernel share, %s: scenario %s mirrored %d copies, %d by the in-kernel path", run, k.name, name, c.copies-copies, c.kernel-kernel)
	}
	return c
}

// add adds a scenario's result to c. A scenario whose configuration the
// provider refuses, as it expects, builds nothing and adds nothing; any
// other run that did not get as far as the mirror service is an error.
func (c *shareCount) add(name string, res *runreport.Result) error {
	d := res.DataPlane
	switch {
	case d == nil && res.Passed && res.Error == "" && len(res.Validation) > 0:
		return nil
	case d == nil && res.Error != "":
		return fmt.Errorf("scenario %s: %s", name, res.Error)
	case d == nil:
		return fmt.Errorf("scenario %s: no mirror data plane counters", name)
	}
	if !res.Passed {
		c.failed = append(c.failed, name+" ("+firstFailure(res)+")")
	}
	c.copies += d.Mirrored
	c.kernel += d.Kernel
	if d.KernelOff != "" {
		c.userSpace = append(c.userSpace, name+": in-kernel path off: "+d.KernelOff)
	}
	for _, u := range d.UserSpace {
		c.userSpace = append(c.userSpace, name+": "+u)
	}
	return nil
}

// recordShare records one run of a kind's figures.
func (b *bench) recordShare(run int, kind string, c shareCount) {
	sp := shareSpecsFor(kind)
	b.col.add(sp.copies, float64(c.copies))
	b.col.add(sp.kernel, float64(c.kernel))
	if c.copies == 0 {
		b.col.fail(sp.share, errors.New("no copies"))
		return
	}
	share := float64(c.kernel) / float64(c.copies)
	b.col.add(sp.share, share)
	if len(c.failed) > 0 {
		b.col.note(sp.share, "did not pass its expectations: "+strings.Join(c.failed, "; "))
	}
	if len(c.userSpace) > 0 {
		b.col.note(sp.copies, "decided in user space: "+strings.Join(slices.Compact(slices.Sorted(slices.Values(c.userSpace))), "; "))
	}
	b.cfg.logf("  run %d kernel share, %s: %d copies, %d by the in-kernel path (%.1f%%)", run, kind, c.copies, c.kernel, 100*share)
}

// kernelShareTable is the kernel share by kind of scenario; ok is false
// when the part has no figure.
func (b *bench) kernelShareTable(res *report.Result, runs string) (t report.Table, ok bool) {
	t = report.Table{Title: "Kernel share — copies decided by the in-kernel path ÷ all copies, library scenarios run as `mirrorlab run` runs them, by kind; " +
		runs + "; issue 23's goal: at least 95% over the library",
		Header: []string{"kind", "scenarios", "copies", "by the in-kernel path", "kernel share", "source directions the data plane left to user space, and why"}}
	for _, k := range append(slices.Clone(shareKinds), shareKind{name: shareAll, title: "all of the above"}, libraryKind()) {
		sp := shareSpecsFor(k.name)
		share, copies := res.Find(sp.share.key()), res.Find(sp.copies.key())
		if share == nil && copies == nil {
			continue
		}
		ok = true
		names := strings.Join(kindScenarios(b.cfg, k), ", ")
		if k.name == shareLibrary {
			names = fmt.Sprintf("every one (%d; those the provider refuses, as they expect, build nothing)", len(k.scenarios))
		}
		why := "—"
		if copies != nil && strings.HasPrefix(copies.Note, "decided in user space: ") {
			why = strings.TrimPrefix(copies.Note, "decided in user space: ")
		} else if share != nil && len(share.Runs) > 0 && share.Min < 1 {
			why = "none listed (decided packet by packet)"
		}
		t.Rows = append(t.Rows, []string{k.title, cmp.Or(names, "—"), countRange(copies), countRange(res.Find(sp.kernel.key())),
			percent(share), why})
	}
	return t, ok
}

// countRange prints a count's median (min–max) in whole numbers.
func countRange(m *report.Measurement) string {
	if m == nil || m.Error != "" || len(m.Runs) == 0 {
		return "—"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	if m.Min == m.Max {
		return f(m.Median)
	}
	return f(m.Median) + " (" + f(m.Min) + "–" + f(m.Max) + ")"
}

// shareNote says what the kernel share part measures, for the result's
// notes.
func shareNote(cfg Config) string {
	var kinds []string
	for _, k := range shareKinds {
		kinds = append(kinds, k.name+": "+strings.Join(kindScenarios(cfg, k), ", "))
	}
	return "Kernel share: each kind's library scenarios run as `mirrorlab run` runs them (in-kernel path on, no pcap); " +
		"copies are the mirror data plane's, kernel copies those it decided and sent in the kernel; the share is their quotient, " +
		"summed over the kind's scenarios (" + strings.Join(kinds, "; ") + "), and over every kind for " + strconv.Quote(shareAll) +
		"; " + strconv.Quote(shareLibrary) + ", in a full run, is every scenario of the embedded library (issue 23's goal: at least 95%)."
}

// figureTables are issue 23's tables that have figures: the mirror path by
// target and the kernel share by kind.
func (b *bench) figureTables(res *report.Result, runs string) []report.Table {
	var out []report.Table
	if t, ok := b.targetTable(res, runs); ok {
		out = append(out, t)
	}
	if t, ok := b.kernelShareTable(res, runs); ok {
		out = append(out, t)
	}
	return out
}
