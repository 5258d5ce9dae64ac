package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/interrupt"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/lab"
)

// Run builds the scenario's lab, starts the mirror service and the
// programs, drives the traffic, lets it settle, collects what happened,
// tears everything down (also when ctx is cancelled, e.g. on Ctrl-C) and
// judges the expectations. It always returns a Result; a run that ctx
// ended says so (lab.ErrInterrupted) first.
func Run(ctx context.Context, s *spec.Scenario, opts Options) *report.Result {
	r := newRun(s, opts)
	r.judging = true
	return r.finish(interrupt.Mark(ctx, r.execute(ctx)))
}

// run is one scenario run in progress.
type run struct {
	s    *spec.Scenario
	opts Options
	res  *report.Result
	obs  *report.Observations
	log  *slog.Logger

	mspec    cloudmock.Spec
	allENIs  bool              // capture every ENI (a served lab)
	judging  bool              // a run, not a lab to poke at: capture at the receivers
	ids      map[string]string // scenario name → model id, where they differ (a served lab)
	lab      *lab.Lab
	progs    []*program
	captures []*arrivalCapture
}

func newRun(s *spec.Scenario, opts Options) *run {
	log := cmp.Or(opts.Logger, slog.New(slog.DiscardHandler))
	provider := cmp.Or(s.Profile.Provider, "aws")
	return &run{
		s: s, opts: opts, log: log,
		res: &report.Result{Scenario: s.Name, File: s.File, Provider: provider, Started: time.Now()},
		obs: &report.Observations{
			Arrivals: map[string]*report.Arrival{}, Requests: map[string][]workload.Request{},
			AgentStats: map[string]map[string]float64{}, Compare: map[string]*compare.Stats{}, Output: map[string]map[string]int64{},
			Traffic: map[string]report.TrafficResult{},
		},
	}
}

func (r *run) progress(format string, args ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "  [%5.1fs] %s\n", time.Since(r.res.Started).Seconds(), fmt.Sprintf(format, args...))
	}
}

// execute does the run; teardown always happens before it returns.
func (r *run) execute(ctx context.Context) (err error) {
	expectRefusal := r.s.ExpectsRefusal()
	if ps := r.s.ModelProblems(); ps != nil {
		r.obs.Validation, r.res.Validation = ps, ps
		r.progress("the provider refuses the configuration (%d problem(s)); nothing is built", len(ps))
		if !expectRefusal {
			return refusal(ps)
		}
		return nil
	}
	if expectRefusal {
		r.progress("the provider accepts the configuration; the scenario expected a refusal: nothing is built")
		return nil
	}
	r.mspec = r.s.Model()
	buildErr := r.build(ctx)
	if r.lab == nil {
		return buildErr
	}
	defer func() { err = errors.Join(err, r.timed(report.PhaseTeardown, r.teardown)) }()
	if buildErr != nil {
		return buildErr
	}
	_ = r.timed(report.PhaseTraffic, func() error { r.runTraffic(ctx); return nil })
	settle := r.s.Settle.Or(time.Second)
	r.progress("settling for %s", settle)
	if err := r.timed(report.PhaseSettle, func() error {
		select {
		case <-ctx.Done():
			return interrupt.Mark(ctx, nil)
		case <-time.After(settle):
			return nil
		}
	}); err != nil {
		return err
	}
	_ = r.timed(report.PhaseCollect, func() error { r.collect(); return nil })
	r.obs.Ran = true
	return nil
}

// timed runs one phase of the run and records it in the timeline.
func (r *run) timed(name string, f func() error) error {
	p := report.Phase{Name: name, Start: time.Now()}
	err := f()
	p.End = time.Now()
	if err != nil {
		p.Error = err.Error()
	}
	r.res.Timeline = append(r.res.Timeline, p)
	return err
}

// id is the model's id of a scenario name.
func (r *run) id(name string) string {
	if id, ok := r.ids[name]; ok {
		return id
	}
	return name
}

// collect reads every counter; programs are stopped first so that agents
// drain their replays into the test servers.
func (r *run) collect() {
	r.stopPrograms()
	for _, a := range stopCaptures(r.captures) {
		r.obs.Arrivals[a.ENI] = a
		r.res.Arrivals = append(r.res.Arrivals, *a)
	}
	r.captures = nil
	// The service's snapshot adds what the in-kernel path counted to the
	// model's counters before reading them.
	snap := r.lab.Service().Snapshot()
	r.obs.Model = snap.Model
	t := snap.Totals
	r.res.DataPlane = &report.DataPlaneStats{Captured: t.Captured, Mirrored: t.Mirrored, Sent: t.Sent, RingDrops: t.RingDrops, Dropped: t.Dropped,
		Kernel: t.Kernel, KernelOff: snap.Kernel.Why}
	for _, d := range slices.Sorted(maps.Keys(snap.Kernel.Decided)) {
		if why := snap.Kernel.Decided[d]; why != "" {
			r.res.DataPlane.UserSpace = append(r.res.DataPlane.UserSpace, strings.Replace(d, "/", " ", 1)+": "+why)
		}
	}
	r.res.ENIs = r.obs.Model.ENIs
	for _, ss := range r.s.Mirror.Sessions {
		vni, _ := r.lab.Model().SessionVNI(ss.TrafficMirrorSessionId)
		r.res.Sessions = append(r.res.Sessions, report.SessionResult{
			Name: ss.TrafficMirrorSessionId, Target: ss.TrafficMirrorTargetId, VNI: vni, SessionCounters: r.obs.Model.Sessions[ss.TrafficMirrorSessionId],
		})
	}
	for _, p := range r.progs {
		r.res.Programs = append(r.res.Programs, p.result(r.obs))
	}
	if r.opts.PcapDir != "" {
		files, _ := filepath.Glob(filepath.Join(r.opts.PcapDir, r.s.Name, "*.pcapng"))
		r.res.PcapFiles = files
	}
}

// teardown stops everything the run started, in reverse order, and
// reports every failure. With Keep, the lab's namespaces stay.
func (r *run) teardown() error {
	stopCaptures(r.captures) // when collect did not run
	if r.opts.Keep {
		r.res.Kept = true
		info := r.lab.Info()
		info.Started = r.res.Started
		r.res.Lab = &info
		r.progress("lab %s kept: its namespaces are ml%s-*; `mirrorlab clean` removes it", r.lab.RunID(), r.lab.RunID())
		return r.lab.Leave()
	}
	err := r.lab.Close()
	r.progress("lab torn down")
	return err
}

// finish judges and fills in the verdict.
func (r *run) finish(err error) *report.Result {
	res := r.res
	if err != nil {
		res.Error = err.Error()
	}
	res.Expectations, res.Comparisons, res.Losses = report.Judge(r.s, r.obs)
	res.Duration = time.Since(res.Started)
	res.Passed = res.Error == ""
	for _, v := range res.Expectations {
		res.Passed = res.Passed && v.Passed
	}
	return res
}
