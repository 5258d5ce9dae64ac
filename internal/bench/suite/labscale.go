package suite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/mirrorlab/mirrorlab/internal/bench/gen"
	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	runreport "github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	scenario "github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// The lab-scale figures: a generated lab of n sources (gen.LabScale) run
// end to end, its phases timed, and the bare kernel work of the same
// namespaces, veth pairs and bridge ports made with netlink alone, in the
// same run, as its reference.
func labReadySpec(n int) spec {
	return spec{name: "labscale/ours/ready", group: "ours", unit: "s", params: sourcesParams(n),
		reference: labBareSpec(n).key()}
}

func labPerInterfaceSpec(n int) spec {
	return spec{name: "labscale/ours/ready-per-interface", group: "ours", unit: "ms", params: sourcesParams(n), informational: true}
}

func labPhaseSpec(n int, phase string) spec {
	p := sourcesParams(n)
	p["phase"] = phase
	return spec{name: "labscale/ours/phase", group: "ours", unit: "s", params: p, informational: true}
}

func labRSSSpec(n int) spec {
	return spec{name: "labscale/ours/peak-rss", group: "ours", unit: "MB", params: sourcesParams(n), informational: true}
}

func labBareSpec(n int) spec {
	return spec{name: "labscale/bare-netlink/ready", group: "reference", unit: "s", params: sourcesParams(n)}
}

func sourcesParams(n int) map[string]string { return map[string]string{"sources": strconv.Itoa(n)} }

// labScalePhase measures every size of cfg.LabSources once.
func (b *bench) labScalePhase(ctx context.Context, run int) error {
	for _, n := range b.cfg.LabSources {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.labScaleBare(n); err != nil {
			b.col.fail(labBareSpec(n), err)
			b.cfg.logf("  run %d lab scale %d sources, bare netlink: %v", run, n, err)
		}
		if err := b.labScaleOurs(ctx, run, n); err != nil {
			b.col.fail(labReadySpec(n), err)
			b.cfg.logf("  run %d lab scale %d sources: %v", run, n, err)
		}
		if err := b.labScaleFollow(ctx, run, n); err != nil {
			for _, sp := range labFollowSpecs(n) {
				b.col.fail(sp, err)
			}
			b.cfg.logf("  run %d lab scale %d instances running, add and remove one: %v", run, n, err)
		}
	}
	return nil
}

// labScaleOurs runs the generated scenario and records its phases.
func (b *bench) labScaleOurs(ctx context.Context, run, n int) error {
	data, err := gen.LabScale(n)
	if err != nil {
		return err
	}
	s, err := scenario.Parse(fmt.Sprintf("lab-scale-%d.yaml", n), data)
	if err != nil {
		return err
	}
	resetPeakRSS()
	steps := newStepLog()
	res := runner.Run(ctx, s, runner.Options{StateDir: b.cfg.StateDir, Logger: slog.New(steps)})
	rss, rssErr := peakRSS()
	if !res.Passed {
		return fmt.Errorf("the lab did not pass: %s", firstFailure(res))
	}
	phases := map[string]time.Duration{}
	for _, p := range res.Timeline {
		phases[p.Name] += p.End.Sub(p.Start)
		b.col.add(labPhaseSpec(n, p.Name), p.End.Sub(p.Start).Seconds())
	}
	ready := phases[runreport.PhaseBuild] + phases[runreport.PhaseDataPlane] + phases[runreport.PhasePrograms]
	ifaces := len(s.Network.Instances.List)
	b.col.add(labReadySpec(n), ready.Seconds())
	b.col.add(labPerInterfaceSpec(n), ready.Seconds()*1e3/float64(ifaces))
	if rssErr == nil {
		b.col.add(labRSSSpec(n), float64(rss)/(1<<20))
	} else {
		b.col.fail(labRSSSpec(n), rssErr)
	}
	b.cfg.logf("  run %d lab scale %d sources (%d interfaces): ready %.2f s (build %.2f, data plane %.2f, programs %.2f), collect %.2f s, teardown %.2f s, peak RSS %.0f MB",
		run, n, ifaces, ready.Seconds(), phases[runreport.PhaseBuild].Seconds(), phases[runreport.PhaseDataPlane].Seconds(), phases[runreport.PhasePrograms].Seconds(),
		phases[runreport.PhaseCollect].Seconds(), phases[runreport.PhaseTeardown].Seconds(), float64(rss)/(1<<20))
	b.labSteps(run, n, steps)
	return nil
}

// labStepsNote says how to read the data plane steps.
const labStepsNote = "labscale/ours/data-plane-step: each step's own time (load, attach, rings, plan, health: the mirror service's start; " +
	"captures: the receivers' arrival captures). Attaching, opening the rings and computing the plan run at once, so the steps overlap: " +
	"they do not add up to the data plane phase. load is what the phase waited for the programs loaded during the build."

// labSteps records the data plane phase's steps and logs them.
func (b *bench) labSteps(run, n int, steps *stepLog) {
	if !slices.Contains(b.notes, labStepsNote) {
		b.notes = append(b.notes, labStepsNote)
	}
	line := fmt.Sprintf("  run %d lab scale %d sources: data plane steps:", run, n)
	for _, st := range labDataPlaneSteps {
		d := steps.took(st)
		b.col.add(labStepSpec(n, st), d.Seconds())
		line += fmt.Sprintf(" %s %.2f s", st, d.Seconds())
	}
	b.cfg.logf("%s", line)
}

func firstFailure(res *runreport.Result) string {
	if res.Error != "" {
		return res.Error
	}
	for _, v := range res.Expectations {
		if !v.Passed {
			return v.Name + ": observed " + v.Observed
		}
	}
	return "no reason given"
}

// labScaleBare makes, with netlink alone, what the lab of n sources is
// made of: a namespace per instance and one fabric namespace with a
// bridge, a veth pair per instance with one end in the instance and the
// other a bridge port, all up; then removes it. Only the making is timed.
func (b *bench) labScaleBare(n int) error {
	instances := labInterfaces(n)
	roles := []string{"fabric"}
	for i := range instances {
		roles = append(roles, "i"+strconv.Itoa(i))
	}
	start := time.Now()
	nss, err := sim.NewNamespaces(b.cfg.StateDir, roles...)
	if err != nil {
		return err
	}
	err = bareLab(nss, roles, n)
	elapsed := time.Since(start)
	if err = errors.Join(err, nss.Close()); err != nil {
		return err
	}
	b.col.add(labBareSpec(n), elapsed.Seconds())
	return nil
}

// bareLab makes the namespaces of roles (the fabric first), and in the
// fabric a bridge for the first sources instances and one for the others
// (as the lab's subnets: a bridge takes at most 1024 ports), each
// instance joined to its bridge by a veth pair, everything up.
func bareLab(nss *sim.Namespaces, roles []string, sources int) error {
	fabric, err := nss.Add(roles[0])
	if err != nil {
		return err
	}
	var bridges [2]*netlink.Bridge
	for i := range bridges {
		bridges[i] = &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br" + strconv.Itoa(i)}}
		if err := fabric.Netlink().LinkAdd(bridges[i]); err != nil {
			return fmt.Errorf("add bridge: %w", err)
		}
		if err := fabric.Netlink().LinkSetUp(bridges[i]); err != nil {
			return fmt.Errorf("bridge up: %w", err)
		}
	}
	for i, role := range roles[1:] {
		in, err := nss.Add(role)
		if err != nil {
			return err
		}
		br := bridges[0]
		if i >= sources {
			br = bridges[1]
		}
		la := netlink.NewLinkAttrs()
		la.Name, la.MasterIndex, la.Flags = "p"+strconv.Itoa(i), br.Index, net.FlagUp
		veth := &netlink.Veth{LinkAttrs: la, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(in.Handle()))}
		if err := fabric.Netlink().LinkAdd(veth); err != nil {
			return fmt.Errorf("add veth for %s: %w", in.Name, err)
		}
		peer, err := in.Netlink().LinkByName("eth0")
		if err == nil {
			err = in.Netlink().LinkSetUp(peer)
		}
		if err != nil {
			return fmt.Errorf("%s: eth0 up: %w", in.Name, err)
		}
	}
	return nil
}

// labInterfaces is how many instances (one interface each) the lab of n
// sources has: the sources, a target per ten of them, and the client.
func labInterfaces(n int) int {
	return n + (n+gen.LabScaleSessionsPerTarget-1)/gen.LabScaleSessionsPerTarget + 1
}

// labScalePlots are the lab-scale part's plots, by number of sources:
// the time until the lab is ready and the cost per interface, ours
// against the bare netlink work; the time of each phase; the peak
// resident size.
func (b *bench) labScalePlots(res *report.Result) []report.Plot {
	srcs := b.cfg.LabSources
	const bareLabel, bareColor = "bare netlink", "#7f7f7f"
	ready := report.Plot{ID: "lab-scale", Title: "Time until the lab is ready by its number of sources",
		Note:   "ours: build, data plane, programs; bare netlink: its namespaces, veths, bridge ports alone; median, bars min–max",
		XLabel: "source instances", YLabel: "seconds", LogX: true}
	addSeries(&ready, figureSeries(res, labelOurs, srcs, func(n int) string { return labReadySpec(n).key() }, same))
	bare := figureSeries(res, bareLabel, srcs, func(n int) string { return labBareSpec(n).key() }, same)
	bare.Color = bareColor
	addSeries(&ready, bare)

	per := report.Plot{ID: "lab-scale-per-interface", Title: "Time until ready per interface by the lab's number of sources",
		Note:   "ready time ÷ instances (sources, a target per ten, the client); flat is linear; median, bars min–max",
		XLabel: "source instances", YLabel: "ms per interface", LogX: true}
	addSeries(&per, figureSeries(res, labelOurs, srcs, func(n int) string { return labPerInterfaceSpec(n).key() }, same))
	barePer := report.Series{Label: bareLabel, Color: bareColor}
	for _, pt := range bare.Points {
		k := 1e3 / float64(labInterfaces(int(pt.X)))
		barePer.Points = append(barePer.Points, report.Point{X: pt.X, Y: pt.Y * k, YMin: pt.YMin * k, YMax: pt.YMax * k})
	}
	addSeries(&per, barePer)

	phases := report.Plot{ID: "lab-scale-phases", Title: "Time of each phase of the lab run by its number of sources",
		Note:   "the runner's phases (traffic and settle left out: the scenario sets them); median, bars min–max",
		XLabel: "source instances", YLabel: "seconds", LogX: true}
	for _, ph := range []string{runreport.PhaseBuild, runreport.PhaseDataPlane, runreport.PhasePrograms, runreport.PhaseCollect, runreport.PhaseTeardown} {
		addSeries(&phases, figureSeries(res, ph, srcs, func(n int) string { return labPhaseSpec(n, ph).key() }, same))
	}

	rss := report.Plot{ID: "lab-scale-rss", Title: "Peak resident size of the lab's owner by its number of sources",
		Note:   "the bench process's VmHWM over the run (reset before it); median, bars min–max",
		XLabel: "source instances", YLabel: "MB", LogX: true}
	addSeries(&rss, figureSeries(res, labelOurs, srcs, func(n int) string { return labRSSSpec(n).key() }, same))

	follow := report.Plot{ID: "lab-scale-follow", Title: "Adding or removing one instance on a running lab by its size",
		Note:   "add: until its packets are mirrored; remove: until it is gone; first: the first change to the freshly built lab; goal 100 ms; median, bars min–max",
		XLabel: "instances in the running lab", YLabel: "ms", LogX: true}
	addSeries(&follow, figureSeries(res, "add one", srcs, func(n int) string { return labAddSpec(n).key() }, same))
	addSeries(&follow, figureSeries(res, "remove one", srcs, func(n int) string { return labRemoveSpec(n).key() }, same))
	addSeries(&follow, figureSeries(res, "first add", srcs, func(n int) string { return labFirstAddSpec(n).key() }, same))
	addSeries(&follow, figureSeries(res, "first remove", srcs, func(n int) string { return labFirstRemoveSpec(n).key() }, same))
	return []report.Plot{ready, per, phases, rss, follow}
}

func same(v float64) float64 { return v }

// resetPeakRSS returns the memory the process no longer uses to the
// system (a larger lab before this one would otherwise count) and resets
// its peak resident size (VmHWM) to what is left, so that peakRSS reads
// the peak of what follows (Linux 4.0+).
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns this process's peak resident size in bytes.
func peakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}
