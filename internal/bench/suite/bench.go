package suite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/bench/ref"
	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	"github.com/mirrorlab/mirrorlab/internal/bench/vpc"
)

// bench is one Run's state.
type bench struct {
	cfg    Config
	col    *collector
	curves map[int]map[string][]curvePoint  // size → label → points
	replay map[string]map[float64][]float64 // who → load → completeness runs
	direct map[int]float64                  // run → direct ceiling (req/s)
	notes  []string
}

// Run measures everything cfg selects and returns the result (with ratios
// and plots). A part that cannot run (a missing tool, a package not ready)
// is recorded as figures with an error, not as a failed run; the error is
// for setup failures that make the result meaningless and for cancellation.
func Run(ctx context.Context, cfg Config) (*report.Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bench config: %w", err)
	}
	b := &bench{cfg: cfg, col: newCollector(), curves: map[int]map[string][]curvePoint{}, replay: map[string]map[float64][]float64{}, direct: map[int]float64{}}
	res := &report.Result{Schema: report.Schema, Smoke: cfg.Smoke, Runs: cfg.Runs}
	dir := cmp.Or(cfg.RepoDir, ".")
	res.Machine = report.DetectMachine(ctx, dir)
	res.Machine.Note = cfg.Note

	st := &benchSetup{}
	defer st.close(cfg)
	st.references(ctx, cfg)
	st.buildVPC(ctx, cfg)
	if cfg.wants(PartMirror) || cfg.wants(PartLBTargets) {
		st.mirrorTargets(ctx, cfg)
	}

	for run := 1; run <= cfg.Runs; run++ {
		if err := b.measureRun(ctx, run, st); err != nil {
			return nil, err
		}
	}
	b.finish(res)
	return res, nil
}

// benchSetup is what Run builds before measuring: the throughput targets, the
// bench VPC, and what closes them.
type benchSetup struct {
	targets []*target
	closers []func() error
	env     *vpc.Env
	needVPC bool
	// envErr is why the VPC could not be built; mirrorErr is that or why
	// our mirror could not start on it.
	envErr, mirrorErr error
}

// close closes what was built, last built first.
func (st *benchSetup) close(cfg Config) {
	for i := len(st.closers) - 1; i >= 0; i-- {
		if err := st.closers[i](); err != nil {
			cfg.logf("clean-up: %v", err)
		}
	}
}

// references builds the reference paths' targets, when cfg wants them.
func (st *benchSetup) references(ctx context.Context, cfg Config) {
	if !cfg.wants(PartReferences) {
		return
	}
	for _, k := range ref.Kinds {
		t := &target{label: string(k), group: "reference", mirror: k == ref.TCMirred}
		s, err := ref.Build(ctx, k, cfg.StateDir)
		if err != nil {
			t.buildErr = err
			cfg.logf("reference %s: %v", k, err)
		} else {
			t.maker = s
			st.closers = append(st.closers, s.Close)
		}
		st.targets = append(st.targets, t)
	}
}

// buildVPC builds the bench VPC and starts our mirror on it, when a part
// cfg wants needs them.
func (st *benchSetup) buildVPC(ctx context.Context, cfg Config) {
	st.needVPC = cfg.wants(PartMirror) || cfg.wants(PartLBTargets) || cfg.wants(PartHTTP) || cfg.wants(PartAgent) || cfg.wants(PartCompare) || cfg.wants(PartPeer) || cfg.wants(PartApply)
	if st.needVPC {
		cfg.logf("building the bench VPC")
		st.env, st.envErr = vpc.Build(ctx, cfg.StateDir)
		if st.envErr != nil {
			cfg.logf("bench vpc: %v", st.envErr)
		} else {
			st.closers = append(st.closers, st.env.Close)
		}
	}
	st.mirrorErr = st.envErr
	if st.needVPC && st.envErr == nil {
		if err := st.env.StartMirror(ctx); err != nil {
			st.mirrorErr = fmt.Errorf("start the mirror data plane: %w", err)
			cfg.logf("mirror: %v", st.mirrorErr)
		}
	}
}

// mirrorTargets adds the throughput targets on the bench VPC: ours, tc
// mirred on the same path and, in a full run, ours in user space; then the
// load balancer targets when cfg wants them (with the ENI ones at their
// sizes only, when cfg does not want the mirror part).
func (st *benchSetup) mirrorTargets(ctx context.Context, cfg Config) {
	env, mirrorErr := st.env, st.mirrorErr
	var sizes []int
	if !cfg.wants(PartMirror) {
		sizes = lbSizes(cfg)
	}
	t := &target{label: labelOurs, group: "ours", mirror: true, buildErr: mirrorErr, sizes: sizes}
	if mirrorErr == nil {
		t.maker = env
	}
	st.targets = append(st.targets, t)
	tc := &target{label: labelTCMirredVPC, group: "reference", mirror: true, buildErr: mirrorErr, sizes: sizes}
	if mirrorErr == nil {
		tc.maker = env
		tc.setup = func() error { return errors.Join(env.StopMirror(), env.StartTCMirred(ctx)) }
		tc.teardown = func() error { return errors.Join(env.StopTCMirred(), env.StartMirror(ctx)) }
	}
	st.targets = append(st.targets, tc)
	if !cfg.Smoke {
		// The user-space path beside the in-kernel one, in the same run.
		us := &target{label: labelOursUser, group: "variant", mirror: true, buildErr: mirrorErr, sizes: sizes}
		if mirrorErr == nil {
			us.maker = env
			us.setup = func() error { return env.MirrorUserSpace(ctx, true) }
			us.teardown = func() error { return env.MirrorUserSpace(ctx, false) }
		}
		st.targets = append(st.targets, us)
	}
	if cfg.wants(PartLBTargets) {
		st.lbTargets(ctx, cfg)
	}
}

// measureRun measures one run of every part cfg selects.
func (b *bench) measureRun(ctx context.Context, run int, st *benchSetup) error {
	cfg := b.cfg
	cfg.logf("run %d of %d", run, cfg.Runs)
	// Interleave by size so run i of ours and of its reference are
	// measured close in time.
	for _, size := range cfg.Sizes {
		for _, t := range st.targets {
			if t.sizes != nil && !slices.Contains(t.sizes, size) {
				continue
			}
			if err := b.throughput(ctx, run, t, size); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				cfg.logf("  run %d %s %dB: %v", run, t.label, size, err)
			}
		}
	}
	if st.needVPC {
		if err := b.httpParts(ctx, run, st.env, st.envErr, st.mirrorErr); err != nil {
			return err
		}
	}
	if cfg.wants(PartApply) {
		b.applyPhase(ctx, run, st.env, st.mirrorErr)
	}
	if cfg.wants(PartLabScale) {
		if err := b.labScalePhase(ctx, run); err != nil {
			return err
		}
	}
	if cfg.wants(PartKernelShare) {
		if err := b.kernelSharePhase(ctx, run); err != nil {
			return err
		}
	}
	return nil
}

// finish completes res from the collected figures: ratios, plots, the
// summary and the notes.
func (b *bench) finish(res *report.Result) {
	res.Machine.LoadEnd = report.LoadAverage()
	b.col.fill(res)
	if err := res.ComputeRatios(); err != nil {
		// A reference left out by --only: the figure stands without a ratio.
		b.notes = append(b.notes, "no ratio: "+strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	res.Plots = b.plots(res)
	res.Summary = b.summary(res)
	res.Notes = append(res.Notes, b.notes...)
	if b.cfg.wants(PartKernelShare) {
		res.Notes = append(res.Notes, shareNote(b.cfg))
	}
	res.Notes = append(res.Notes,
		"Packet size is the IP packet length; 8947 is the largest untruncated size at MTU 9001 (AWS reserves 54 bytes).",
		"Zero-loss rate: RFC 2544-style binary search over the generator's unpaced rate; a path faster than the generator reports the generator's rate, marked generator-limited.",
		"Ratios are computed run by run against the reference measured in the same run, then summarised.",
		"≥ marks a generator-limited figure: the path lost nothing at the generator's top rate, so its limit is higher; a ratio to such a reference overstates ours against the kernel's true limit.",
		"generator-thread-cores is the sending thread's CPU (with the kernel work done in its context) per second of the unpaced trial. A kernel path with no queue to another CPU (veth, tc mirred) is processed in the sender's context: it never drops, it slows the sender; at about 1 core its ≥ figure is that path's limit on one core (the generator's own share included), the other core idle.",
		"The generator's thread also does the kernel's receive-side work (softirq) of what it sends, including copying into our capture rings; CPU per Mpkt for ours is this process's CPU minus the generator thread's, so it leaves that part out.",
		agentNote(b.cfg),
		"Replay: offered loads rise until an agent replays less than 99.9% of what production served (that load is the last one tried), or until production is served less than 95% of the offered load (the load generator, or production, is then the limit: noted).",
		"-compare on: the mirror filter also copies production's answers (outbound TCP from port 80) and our agent compares them with the test server's; its CPU per request is divided by the same run's without -compare.",
		"Cores busy are CPU-seconds per second of load: the agent's process, the bench's process (load generator, production server, mirror service, and the test server unless it runs as its own process) and the whole machine.")
}

func agentNote(cfg Config) string {
	if len(cfg.AgentCommand) > 0 {
		return "Our agent runs as its own process (" + strings.Join(cfg.AgentCommand, " ") + ") in the adapter; its CPU and memory are read from /proc, as GoReplay's. " +
			"The test server runs as its own process too (this binary, re-executed in the test instance), so its CPU per request served is read from /proc: " +
			"an agent's CPU per replayed request ÷ that, same load, is the replay ceiling that holds on any machine (replaying a request should cost no more than serving it)."
	}
	return "Our agent runs in the bench's own process, so its CPU and memory are not separated; GoReplay's are read from /proc."
}

// colors keeps one colour per path across plots.
var colors = map[string]string{labelOurs: "#1f77b4", labelTCMirred: "#d62728", labelTCMirredVPC: "#8c564b",
	string(ref.VXLAN): "#2ca02c", string(ref.Veth): "#ff7f0e", labelGoReplay: "#9467bd", labelOursCompare: "#17becf",
	labelOursNLB: "#aec7e8", labelOursGWLB: "#bcbd22"}

// plots builds the SVG plots from the collected figures.
func (b *bench) plots(res *report.Result) []report.Plot {
	var out []report.Plot
	// keep adds a plot that has something to show.
	keep := func(p report.Plot) {
		if len(p.Series) > 0 {
			out = append(out, p)
		}
	}
	tp := report.Plot{ID: "mirror-throughput", Title: "Highest zero-loss rate by packet size",
		Note:   "median, bars min–max; a path with no loss at the generator's top rate is plotted at that rate (a lower bound)",
		XLabel: "IP packet size (bytes)",
		YLabel: "zero-loss rate (kpps)", LogX: true}
	for _, label := range []string{labelOurs, labelOursNLB, labelOursGWLB, labelTCMirredVPC, labelTCMirred, string(ref.VXLAN), string(ref.Veth)} {
		addSeries(&tp, figureSeries(res, label, b.cfg.Sizes,
			func(size int) string { return zeroLossSpec(label, "", size).key() },
			func(pps float64) float64 { return pps / 1e3 }))
	}
	keep(tp)
	out = append(out, b.lossCurvePlots()...)
	rp := report.Plot{ID: "replay-completeness", Title: "Replay completeness by offered HTTP load",
		Note:   "requests the test server received ÷ requests production served; median, bars min–max",
		XLabel: "offered load on production (req/s)",
		YLabel: "completeness (%)", LogX: true}
	b.addReplaySeries(&rp, res, "completeness", func(v float64) float64 { return 100 * v })
	keep(rp)
	cp := report.Plot{ID: "replay-cpu", Title: "Replay agent CPU per 1000 requests by offered HTTP load",
		Note:   "the agent's process CPU over the load and its drain ÷ requests served; median, bars min–max",
		XLabel: "offered load on production (req/s)", YLabel: "CPU-ms per 1000 requests", LogX: true}
	b.addReplaySeries(&cp, res, "cpu-per-1k-req", func(v float64) float64 { return v })
	keep(cp)
	for _, p := range b.labScalePlots(res) {
		keep(p)
	}
	return out
}

// lossCurvePlots is one loss curve plot per packet size, by size.
func (b *bench) lossCurvePlots() []report.Plot {
	var out []report.Plot
	sizes := slices.Sorted(maps.Keys(b.curves))
	for _, size := range sizes {
		p := report.Plot{ID: "loss-curve-" + strconv.Itoa(size), Title: "Loss above the zero-loss rate, " + strconv.Itoa(size) + "-byte packets",
			XLabel: "offered rate (kpps)", YLabel: "loss (%)"}
		labels := slices.Collect(maps.Keys(b.curves[size]))
		// Ours first (solid line), then the references by name.
		slices.SortFunc(labels, func(a, b string) int {
			if (a == labelOurs) != (b == labelOurs) {
				if a == labelOurs {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		for _, l := range labels {
			s := report.Series{Label: l, Color: colors[l]}
			pts := slices.Clone(b.curves[size][l])
			slices.SortFunc(pts, func(a, b curvePoint) int { return cmpFloat(a.offered, b.offered) })
			for _, pt := range pts {
				s.Points = append(s.Points, report.Point{X: pt.offered / 1e3, Y: 100 * pt.loss, YMin: 100 * pt.loss, YMax: 100 * pt.loss})
			}
			p.Series = append(p.Series, s)
		}
		out = append(out, p)
	}
	return out
}

// addReplaySeries adds to p, for ours, ours with -compare and the peer,
// the replay figure named metric by offered load, its values scaled by y.
func (b *bench) addReplaySeries(p *report.Plot, res *report.Result, metric string, y func(float64) float64) {
	for _, who := range []string{labelOurs, labelOursCompare, labelGoReplay} {
		addSeries(p, figureSeries(res, who, b.cfg.HTTPLoads,
			func(load float64) string { return report.Key("replay/"+who+"/"+metric, loadParams(load)) },
			y))
	}
}

// figureSeries is label's series of the figures of res at xs (median,
// bars min–max): key names the figure at x, y scales its values. A figure
// missing, failed or without runs is left out.
func figureSeries[X int | float64](res *report.Result, label string, xs []X, key func(X) string, y func(float64) float64) report.Series {
	s := report.Series{Label: label, Color: colors[label]}
	for _, x := range xs {
		m := res.Find(key(x))
		if m == nil || m.Error != "" || len(m.Runs) == 0 {
			continue
		}
		s.Points = append(s.Points, report.Point{X: float64(x), Y: y(m.Median), YMin: y(m.Min), YMax: y(m.Max)})
	}
	return s
}

// addSeries adds s to p when it has points.
func addSeries(p *report.Plot, s report.Series) {
	if len(s.Points) > 0 {
		p.Series = append(p.Series, s)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
