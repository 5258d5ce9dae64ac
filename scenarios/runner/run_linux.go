package runner

import (
	"github.com/mirrorlab/mirrorlab/agent/compare"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/dataplane"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/sim"
)

// Supported reports whether this system can run scenarios (Linux, as root).
func Supported() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root: it creates network namespaces, veth pairs and AF_PACKET sockets (try sudo)")
	}
	return nil
}

// Run builds the scenario's lab, starts the mirror service and the
// programs, drives the traffic, lets it settle, collects what happened,
// tears everything down (also when ctx is cancelled, e.g. on Ctrl-C) and
// judges the expectations. It always returns a Result.
func Run(ctx context.Context, s *spec.Scenario, opts Options) *Result {
	r := newRun(s, opts)
	err := r.execute(ctx)
	switch {
	case ctx.Err() == nil:
	case err == nil:
		err = fmt.Errorf("interrupted: %w", context.Cause(ctx))
	case !strings.HasPrefix(err.Error(), "interrupted"):
		// A step that failed because the run was cancelled (e.g. the
		// mirror service's start) says so first.
		err = fmt.Errorf("interrupted: %w", err)
	}
	return r.finish(err)
}

// run is one scenario run in progress.
type run struct {
	s    *spec.Scenario
	opts Options
	res  *Result
	obs  *Observations
	log  *slog.Logger

	model    *cloudmock.Model
	mspec    cloudmock.Spec
	allENIs  bool              // capture every ENI (a served lab)
	ids      map[string]string // scenario name → model id, where they differ (a served lab)
	lab      *sim.Lab
	svc      *dataplane.Service
	progs    []*program
	captures []*arrivalCapture
}

func newRun(s *spec.Scenario, opts Options) *run {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	provider := s.Profile.Provider
	if provider == "" {
		provider = "aws"
	}
	return &run{
		s: s, opts: opts, log: log,
		res: &Result{Scenario: s.Name, File: s.File, Provider: provider, Started: time.Now()},
		obs: &Observations{
			Arrivals: map[string]*Arrival{}, Requests: map[string][]workload.Request{},
			AgentStats: map[string]map[string]float64{}, Compare: map[string]*compare.Stats{}, Output: map[string]map[string]int64{},
			Traffic: map[string]TrafficResult{},
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
	expectRefusal := false
	for _, e := range r.s.Expect {
		expectRefusal = expectRefusal || e.ValidationError != nil
	}
	if ps := r.s.ModelProblems(); ps != nil {
		r.obs.Validation = ps
		for _, p := range ps {
			r.res.Validation = append(r.res.Validation, Problem{Text: p.Error(), Line: p.Line, Code: p.Code, Resource: p.Resource, Field: p.Field})
		}
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
	if err := Supported(); err != nil {
		return err
	}
	if r.mspec, err = r.s.ModelSpec(); err != nil {
		return err
	}
	if r.model, err = cloudmock.New(r.mspec, cloudmock.WithSeed(r.s.Seed())); err != nil {
		return fmt.Errorf("build the provider model: %w", err)
	}
	topo, err := r.s.Topology()
	if err != nil {
		return err
	}
	r.progress("building the VPC: %d VPC(s), %d instance(s)", len(topo.VPCs), len(topo.Instances))
	buildErr := r.timed(PhaseBuild, func() (err error) {
		if r.lab, err = sim.Realize(ctx, topo, sim.Options{RunID: r.opts.RunID, StateDir: r.opts.StateDir}); err != nil {
			return fmt.Errorf("build the VPC: %w", err)
		}
		r.res.RunID = r.lab.RunID()
		return r.addVXLANDevices()
	})
	if r.lab == nil {
		return buildErr
	}
	defer func() { err = errors.Join(err, r.timed(PhaseTeardown, r.teardown)) }()
	if buildErr != nil {
		return buildErr
	}
	if err := r.timed(PhaseDataPlane, func() error {
		if err := r.startDataPlane(ctx); err != nil {
			return err
		}
		return r.startCaptures()
	}); err != nil {
		return err
	}
	if err := r.timed(PhasePrograms, func() error { return r.startPrograms(ctx) }); err != nil {
		return err
	}
	_ = r.timed(PhaseTraffic, func() error { r.runTraffic(ctx); return nil })
	settle := r.s.Settle.Or(time.Second)
	r.progress("settling for %s", settle)
	if err := r.timed(PhaseSettle, func() error {
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted: %w", context.Cause(ctx))
		case <-time.After(settle):
			return nil
		}
	}); err != nil {
		return err
	}
	_ = r.timed(PhaseCollect, func() error { r.collect(); return nil })
	r.obs.Ran = true
	return nil
}

// timed runs one phase of the run and records it in the timeline.
func (r *run) timed(name string, f func() error) error {
	p := Phase{Name: name, Start: time.Now()}
	err := f()
	p.End = time.Now()
	if err != nil {
		p.Error = err.Error()
	}
	r.res.Timeline = append(r.res.Timeline, p)
	return err
}

func (r *run) addVXLANDevices() error {
	for _, in := range r.s.Network.Instances {
		inst := r.lab.Instance(in.Name)
		for _, d := range in.VXLANDevices {
			ifname := spec.IfName(0)
			if d.NetworkInterface != "" {
				_, ifname, _ = r.s.ENILocation(d.NetworkInterface)
			}
			if _, err := inst.AddVXLAN(ifname, d.Name, uint32(d.VNI)); err != nil {
				return fmt.Errorf("instance %s: %w", in.Name, err)
			}
			r.progress("%s: kernel VXLAN device %s (VNI %d, dev %s, dstport 4789)", in.Name, d.Name, d.VNI, ifname)
		}
	}
	return nil
}

func (r *run) startDataPlane(ctx context.Context) error {
	cfg := dataplane.Config{Model: r.model, Spec: &r.mspec, Lab: r.lab, Logger: r.log, AllENIs: r.allENIs, UserSpaceOnly: r.opts.UserSpaceOnly}
	if r.opts.PcapDir != "" {
		cfg.PcapDir = filepath.Join(r.opts.PcapDir, r.s.Name)
		if err := os.MkdirAll(cfg.PcapDir, 0o755); err != nil {
			return fmt.Errorf("pcap directory: %w", err)
		}
	}
	for _, lb := range r.s.Network.LoadBalancers {
		if lb.HealthCheckPort != 0 {
			cfg.HealthCheck.Port = lb.HealthCheckPort
		}
	}
	for _, lb := range r.s.Network.LoadBalancers {
		for _, t := range lb.Targets {
			if !t.Unhealthy {
				continue
			}
			eni := t.Id
			if _, _, ok := r.s.ENILocation(eni); !ok {
				eni = r.s.FirstENI(t.Id)
			}
			if err := r.model.SetTargetHealth(r.id(lb.Name), r.id(eni), false); err != nil {
				return err
			}
		}
	}
	svc, err := dataplane.Start(ctx, cfg)
	if err != nil {
		return err
	}
	r.svc = svc
	r.progress("mirror service started: %d session(s) on %d source interface(s)", len(r.mspec.TrafficMirrorSessions), len(r.model.SourceENIs()))
	return nil
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
	snap := r.svc.Snapshot()
	r.obs.Model = snap.Model
	t := snap.Totals
	r.res.DataPlane = &DataPlaneStats{Captured: t.Captured, Mirrored: t.Mirrored, Sent: t.Sent, RingDrops: t.RingDrops, Dropped: t.Dropped,
		Kernel: t.Kernel, KernelOff: snap.Kernel.Why}
	for _, d := range slices.Sorted(maps.Keys(snap.Kernel.Decided)) {
		if why := snap.Kernel.Decided[d]; why != "" {
			r.res.DataPlane.UserSpace = append(r.res.DataPlane.UserSpace, strings.Replace(d, "/", " ", 1)+": "+why)
		}
	}
	r.res.ENIs = r.obs.Model.ENIs
	for _, ss := range r.s.Mirror.Sessions {
		vni, _ := r.model.SessionVNI(ss.Name)
		r.res.Sessions = append(r.res.Sessions, SessionResult{
			Name: ss.Name, Target: ss.TrafficMirrorTargetId, VNI: vni, SessionCounters: r.obs.Model.Sessions[ss.Name],
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
// reports every failure. With Keep, the lab stays up.
func (r *run) teardown() error {
	var errs []error
	r.stopPrograms()
	stopCaptures(r.captures)
	if r.svc != nil {
		errs = append(errs, r.svc.Close())
	}
	for _, p := range r.progs {
		errs = append(errs, p.close())
	}
	if r.lab != nil {
		if r.opts.Keep {
			r.res.Kept = true
			info := r.labInfo()
			r.res.Lab = &info
			r.progress("lab %s kept: its namespaces are ml%s-*; `mirrorlab clean` removes it", r.lab.RunID(), r.lab.RunID())
		} else {
			errs = append(errs, r.lab.Close())
			r.progress("lab torn down")
		}
	}
	return errors.Join(errs...)
}

// finish judges and fills in the verdict.
func (r *run) finish(err error) *Result {
	res := r.res
	if err != nil {
		res.Error = err.Error()
	}
	res.Expectations, res.Comparisons = Judge(r.s, r.obs)
	res.Expectations = append(res.Expectations, r.implicitVerdicts()...)
	res.Losses = losses(r.s, r.obs)
	res.Duration = time.Since(res.Started)
	res.Passed = res.Error == ""
	for _, v := range res.Expectations {
		res.Passed = res.Passed && v.Passed
	}
	return res
}

// implicitVerdicts: a traffic step that is not allowed to fail and that no
// traffic expectation covers must succeed entirely.
func (r *run) implicitVerdicts() []Verdict {
	if !r.obs.Ran {
		return nil
	}
	covered := map[string]bool{}
	for _, e := range r.s.Expect {
		if e.Traffic != nil {
			covered[e.Traffic.Name] = true
		}
	}
	var out []Verdict
	for i, t := range r.s.Traffic {
		name := trafficName(i, t)
		if t.AllowFailure || covered[name] {
			continue
		}
		tr := r.obs.Traffic[name]
		if tr.Failed == 0 && tr.Sent > 0 {
			continue
		}
		_, line, _ := r.s.Position(fmt.Sprintf("traffic[%d]", i))
		v := Verdict{Name: "traffic " + name + " ran without errors", Kind: "traffic", Line: line,
			Want: "failed = 0", Observed: fmt.Sprintf("sent %d, succeeded %d, failed %d", tr.Sent, tr.Succeeded, tr.Failed)}
		if len(tr.Errors) > 0 {
			v.Detail = "errors: " + joinFirst(tr.Errors, 3)
		}
		out = append(out, v)
	}
	return out
}

func trafficName(i int, t spec.Traffic) string {
	if t.Name != "" {
		return t.Name
	}
	return fmt.Sprintf("traffic[%d]", i)
}
