package suite

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/gen"
	"github.com/mirrorlab/mirrorlab/internal/bench/report"
)

// Labels of the throughput paths.
const (
	labelOurs     = "ours"
	labelTCMirred = "kernel-tc-mirred"
	// labelTCMirredVPC is tc mirred on our own path through the bench VPC
	// (production's fabric port, copies routed by the fabric to the
	// adapter): the reference ours is divided by. labelTCMirred runs on two
	// bare veth pairs (no bridge, router or bridge netfilter), a cheaper
	// path than any copy in the VPC takes.
	labelTCMirredVPC = "kernel-tc-mirred-vpc"
	// labelOursUser is our mirror deciding every packet in user space
	// (dataplane.Config.UserSpaceOnly): what the in-kernel path is
	// measured against.
	labelOursUser = "ours-user-space"
)

// paired reports the labels whose figures are divided by the same-path tc
// mirred reference's.
func paired(label string) bool { return label == labelOurs || label == labelOursUser || lbLabel(label) }

// pathMaker builds a generator path of a packet size (ref.Setup, vpc.Env).
type pathMaker interface {
	Path(size int, trial, settle time.Duration) (*gen.Path, error)
}

// target is one path the throughput search runs on.
type target struct {
	label, group string
	mirror       bool // it has mirror copies to count
	maker        pathMaker
	buildErr     error
	// setup, when set, runs before each search on the target and teardown
	// after it (the in-VPC tc reference swaps itself for our mirror).
	setup, teardown func() error
	// sizes, when set, are the only packet sizes the target runs at.
	sizes []int
}

type curvePoint struct{ offered, loss float64 }

func sizeParams(size int) map[string]string { return map[string]string{"size": strconv.Itoa(size)} }

func zeroLossSpec(label, group string, size int) spec {
	s := spec{name: "throughput/" + label + "/zero-loss-rate", group: group, unit: "pps", params: sizeParams(size), higherIsBetter: true}
	if paired(label) {
		s.reference = report.Key("throughput/"+labelTCMirredVPC+"/zero-loss-rate", sizeParams(size))
	}
	return s
}

// machineCPUSpec is the machine's CPU per million packets at the zero-loss
// rate: ours (the ENI target's and the load balancer targets') is a goal
// (≤ the same-path tc mirred's), the others inform.
func machineCPUSpec(label, group string, size int) spec {
	s := spec{name: "throughput/" + label + "/machine-cpu-per-mpkt", group: group, unit: "cpu-s/Mpkt", params: sizeParams(size), informational: label != labelOurs && !lbLabel(label)}
	if paired(label) {
		s.reference = report.Key("throughput/"+labelTCMirredVPC+"/machine-cpu-per-mpkt", sizeParams(size))
	}
	return s
}

// throughputSpecs are the figures of one target at one size.
type throughputSpecs struct {
	zl, ceil, mach, copies, prodLoss, cpu spec
	// How busy the generator's thread (with the kernel work done in its
	// context) was in the unpaced trial: near 1 core, a path that lost
	// nothing ran on the sender's core and is bound by it.
	genCores spec
	// all are the figures failed together when the search cannot run.
	all []spec
}

func throughputSpecsFor(t *target, size int) throughputSpecs {
	sp := throughputSpecs{
		zl:       zeroLossSpec(t.label, t.group, size),
		ceil:     spec{name: "throughput/" + t.label + "/generator-ceiling", group: t.group, unit: "pps", params: sizeParams(size), informational: true},
		mach:     machineCPUSpec(t.label, t.group, size),
		copies:   spec{name: "mirror/" + t.label + "/copies-delivered-at-ceiling", group: t.group, unit: "fraction", params: sizeParams(size), higherIsBetter: true},
		prodLoss: spec{name: "mirror/" + t.label + "/production-loss-at-ceiling", group: t.group, unit: "fraction", params: sizeParams(size)},
		cpu:      spec{name: "mirror/" + t.label + "/cpu-per-mpkt", group: t.group, unit: "cpu-s/Mpkt", params: sizeParams(size)},
		genCores: spec{name: "throughput/" + t.label + "/generator-thread-cores", group: t.group, unit: "cores", params: sizeParams(size), informational: true},
	}
	if lbUserSpace(t.label) {
		// Overload figures: shown, not compared.
		sp.copies.informational, sp.prodLoss.informational = true, true
	}
	sp.all = []spec{sp.zl, sp.ceil, sp.mach}
	if t.mirror {
		sp.all = append(sp.all, sp.copies, sp.prodLoss)
	}
	if paired(t.label) {
		sp.all = append(sp.all, sp.cpu)
	}
	return sp
}

// throughput runs the search on t at size and records the figures.
func (b *bench) throughput(ctx context.Context, run int, t *target, size int) error {
	sp := throughputSpecsFor(t, size)
	res, err := b.search(ctx, run, t, size)
	if err != nil {
		for _, s := range sp.all {
			b.col.fail(s, err)
		}
		return err
	}
	b.recordThroughput(run, t, size, sp, res)
	return nil
}

// search sets t up, builds its path of size, warms it up and runs the
// zero-loss search on it.
func (b *bench) search(ctx context.Context, run int, t *target, size int) (gen.SearchResult, error) {
	if t.buildErr != nil {
		return gen.SearchResult{}, t.buildErr
	}
	if t.setup != nil {
		err := t.setup()
		defer func() {
			if terr := t.teardown(); terr != nil {
				b.cfg.logf("  run %d %s %dB: %v", run, t.label, size, terr)
			}
		}()
		if err != nil {
			return gen.SearchResult{}, err
		}
	}
	p, err := t.maker.Path(size, b.cfg.Trial, b.cfg.Settle)
	if err != nil {
		return gen.SearchResult{}, err
	}
	defer p.Sender.Close()
	// Warm-up: neighbour entries, caches, rings.
	p.Trial = b.cfg.Trial / 4
	if _, err := p.Run(ctx, 0); err != nil {
		return gen.SearchResult{}, fmt.Errorf("warm-up: %w", err)
	}
	p.Trial = b.cfg.Trial
	sc := gen.SearchConfig{Resolution: b.cfg.Resolution, CurvePoints: b.cfg.CurvePoints, Confirmations: b.cfg.Confirmations, Progress: func(tr gen.TrialResult) {
		b.cfg.logf("    %s %dB: offered %8.0f pps (asked %8.0f) loss %.4f%%", t.label, size, tr.Offered, tr.Requested, 100*tr.Loss)
	}}
	return gen.Search(ctx, sc, p.Run)
}

// recordThroughput records the figures of a search on t at size, and its
// loss curve.
func (b *bench) recordThroughput(run int, t *target, size int, sp throughputSpecs, res gen.SearchResult) {
	best := 0.0
	if res.Found {
		best = res.Best.Offered
	} else {
		b.col.note(sp.zl, "lost packets at every rate tried")
	}
	if res.GeneratorLimited {
		b.col.note(sp.zl, "generator-limited: no loss at the generator's top rate (a lower bound)")
	}
	b.col.add(sp.zl, best)
	b.col.add(sp.ceil, res.Ceiling.Offered)
	b.col.add(sp.genCores, res.Ceiling.Extra["gen_cpu_s_per_mpkt"]*res.Ceiling.Offered/1e6)
	if res.Found {
		b.col.add(sp.mach, res.Best.Extra["machine_cpu_s_per_mpkt"])
	}
	if t.mirror {
		c := res.Ceiling
		if c.Sent > 0 {
			b.col.add(sp.copies, min(1, c.Extra["mirrored"]/float64(c.Sent)))
			b.col.add(sp.prodLoss, max(0, 1-c.Extra["delivered"]/float64(c.Sent)))
		}
	}
	if paired(t.label) && res.Found {
		b.col.add(sp.cpu, res.Best.Extra["proc_cpu_s_per_mpkt"])
	}
	// The loss curve of the last run is plotted.
	pts := []curvePoint{}
	if res.Found {
		pts = append(pts, curvePoint{res.Best.Offered, 0})
	}
	for _, c := range res.Curve {
		pts = append(pts, curvePoint{c.Offered, c.Loss})
	}
	if b.curves[size] == nil {
		b.curves[size] = map[string][]curvePoint{}
	}
	b.curves[size][t.label] = pts
	if res.Unkept > 0 {
		b.col.note(sp.zl, fmt.Sprintf("%d trial(s) could not keep the asked pace (busy machine) and counted as failed", res.Unkept))
	}
	if res.Confirmed > 0 {
		b.col.note(sp.zl, "a rate that passed once failed its repeat trial (noisy machine); the search went on below it")
	}
	b.cfg.logf("  run %d %s %dB: zero-loss %.0f pps (generator top %.0f pps, %d trials)", run, t.label, size, best, res.Ceiling.Offered, res.Trials)
}
