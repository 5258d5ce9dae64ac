package suite

import (
	"context"
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	"github.com/mirrorlab/mirrorlab/internal/bench/vpc"
)

// Labels of the load balancer targets' paths: the bench session's target
// is an NLB, or a GWLB endpoint (vpc.MirrorTarget), on the same VPC path
// as ours; the copies reach the adapter through the balancer.
const (
	labelOursNLB      = "ours-nlb"
	labelOursNLBUser  = "ours-nlb-user-space"
	labelOursGWLB     = "ours-gwlb"
	labelOursGWLBUser = "ours-gwlb-user-space"
)

// targetPath is one mirror path of the bench VPC: the session's target
// and whether every packet is decided in user space.
type targetPath struct {
	label, title string
	to           vpc.Target
	userSpace    bool
}

// targetPaths are the paths of the by-target table, ENI first; the load
// balancer ones are PartLBTargets'.
var targetPaths = []targetPath{
	{labelOurs, "ENI, in-kernel path on", vpc.TargetENI, false},
	{labelOursUser, "ENI, user-space path", vpc.TargetENI, true},
	{labelOursNLB, "NLB, in-kernel path on", vpc.TargetNLB, false},
	{labelOursNLBUser, "NLB, user-space path", vpc.TargetNLB, true},
	{labelOursGWLB, "GWLB endpoint, in-kernel path on", vpc.TargetGWLB, false},
	{labelOursGWLBUser, "GWLB endpoint, user-space path", vpc.TargetGWLB, true},
}

// lbLabel reports whether label is a load balancer target's path.
func lbLabel(label string) bool {
	for _, p := range targetPaths {
		if p.label == label {
			return p.to != vpc.TargetENI
		}
	}
	return false
}

// lbUserSpace reports whether label is a load balancer target's path in
// user space: slower than the generator, so its copies at the generator's
// top rate are a measure of overload, which varies from run to run.
func lbUserSpace(label string) bool {
	for _, p := range targetPaths {
		if p.label == label {
			return p.to != vpc.TargetENI && p.userSpace
		}
	}
	return false
}

// lbSizes are the sizes the load balancer targets run at (cfg.LBSizes).
func lbSizes(cfg Config) []int {
	if cfg.LBSizes == 0 || cfg.LBSizes >= len(cfg.Sizes) {
		return nil
	}
	return cfg.Sizes[:cfg.LBSizes]
}

// lbTargets adds the load balancer targets on the bench VPC (the user-
// space ones in a full run only, as for the ENI target). Each one points
// the session at its balancer before its search and back at the ENI, in
// the kernel, after.
func (st *benchSetup) lbTargets(ctx context.Context, cfg Config) {
	for _, p := range targetPaths {
		if p.to == vpc.TargetENI || (cfg.Smoke && p.userSpace) {
			continue
		}
		t := &target{label: p.label, group: "ours", mirror: true, buildErr: st.mirrorErr, sizes: lbSizes(cfg)}
		if st.mirrorErr == nil {
			env, p := st.env, p
			t.maker = env
			t.setup = func() error { return env.MirrorTarget(ctx, p.to, p.userSpace) }
			t.teardown = func() error { return env.MirrorTarget(ctx, vpc.TargetENI, false) }
		}
		st.targets = append(st.targets, t)
	}
}

// targetTable is the mirror path by target at every size the load
// balancer targets ran at: zero-loss rate and machine CPU per packet,
// each with its ratio to tc mirred to the ENI target on the same path;
// ok is false when no load balancer target has a figure.
func (b *bench) targetTable(res *report.Result, runs string) (t report.Table, ok bool) {
	t = report.Table{Title: "Mirror path by target — the session's target an ENI, an NLB (copies on to its healthy target) or a GWLB endpoint (copies on in GENEVE), all reaching the adapter; " +
		runs + "; ratios to kernel tc mirred to the ENI on the same path, paired run by run",
		Header: []string{"IP packet size", "target and path", "zero-loss rate (pps)", "÷ tc mirred", "machine CPU-s per Mpkt", "÷ tc mirred",
			"copies delivered at generator top"}}
	for _, size := range b.cfg.Sizes {
		sp := sizeParams(size)
		if lb := lbSizes(b.cfg); lb != nil && !slices.Contains(lb, size) {
			continue
		}
		for _, p := range targetPaths {
			zl, mach := res.Find(zeroLossSpec(p.label, "", size).key()), res.Find(machineCPUSpec(p.label, "", size).key())
			if zl == nil && mach == nil {
				continue
			}
			ok = ok || lbLabel(p.label)
			t.Rows = append(t.Rows, []string{strconv.Itoa(size), p.title, withNote(zl), report.FormatRatio(zl),
				report.FormatRange(mach), report.FormatRatio(mach), percent(res.Find(report.Key("mirror/"+p.label+"/copies-delivered-at-ceiling", sp)))})
		}
		tc := res.Find(zeroLossSpec(labelTCMirredVPC, "", size).key())
		if tc != nil {
			t.Rows = append(t.Rows, []string{strconv.Itoa(size), "kernel tc mirred to the ENI (the reference)", withNote(tc), "1×",
				report.FormatRange(res.Find(machineCPUSpec(labelTCMirredVPC, "", size).key())), "1×", "—"})
		}
	}
	return t, ok
}
