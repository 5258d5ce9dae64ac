package suite

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	runreport "github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

// fakeBench fills a bench with figures as two runs would, without a kernel.
func fakeBench(t *testing.T) (*bench, *report.Result) {
	t.Helper()
	cfg := Defaults(true)
	cfg.Runs = 2
	b := &bench{cfg: cfg, col: newCollector(), curves: map[int]map[string][]curvePoint{}, replay: map[string]map[float64][]float64{}}
	for run := 0; run < 2; run++ {
		for _, size := range cfg.Sizes {
			for _, label := range []string{labelTCMirredVPC, labelTCMirred} {
				tc := zeroLossSpec(label, "reference", size)
				b.col.add(tc, 200_000)
				b.col.note(tc, "generator-limited: no loss at the generator's top rate (a lower bound)")
			}
			b.col.add(zeroLossSpec(labelOurs, "ours", size), float64(150_000+run*30_000))
		}
		for _, load := range cfg.HTTPLoads {
			b.col.add(replaySpecsFor(labelOurs, load).completeness, 1)
			b.col.add(replaySpecsFor(labelGoReplay, load).completeness, 0.99)
			b.col.add(replaySpecsFor(labelOursCompare, load).completeness, 0.9995)
			// CPU per 1k requests: 100 and 120 off, 150 and 300 on.
			b.col.add(replaySpecsFor(labelOurs, load).cpu, float64(100+run*20))
			b.col.add(replaySpecsFor(labelOursCompare, load).cpu, float64(150+run*150))
			b.col.add(replaySpecsFor(labelOurs, load).agentCores, 0.5)
			// The agent's CPU per replayed request ÷ the test server's:
			// 0.8 and 1.2.
			b.recordServerRatio(replaySpecsFor(labelOurs, load), workload.ArrivalComparison{Served: 1000, Replayed: 1000},
				&loadWindow{sampled: true, cpu0: time.Second, cpu1: time.Second + time.Duration(80+run*40)*time.Millisecond,
					srvSampled: true, srv0: 0, srv1: 200 * time.Millisecond, served: 2000})
		}
		b.col.add(highestLosslessSpec(labelGoReplay), 200)
		b.col.add(highestLosslessSpec(labelOurs), 800)
		b.col.add(highestLosslessSpec(labelOursCompare), 400)
		b.col.add(ceilingShareSpec(labelOurs), 0.4)
		b.col.add(applySpec(), float64(2+run))
	}
	b.col.fail(decodeSpec(), errors.New("agent missing"))
	b.curves[64] = map[string][]curvePoint{labelOurs: {{150_000, 0}, {180_000, 0.1}}, labelTCMirred: {{200_000, 0}}}
	res := &report.Result{Schema: report.Schema, Runs: 2}
	b.col.fill(res)
	if err := res.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	return b, res
}

func TestSummaryAndPlotsFromFigures(t *testing.T) {
	b, res := fakeBench(t)
	if err := res.Validate(); err != nil {
		t.Fatal(err)
	}
	ours := res.Find(zeroLossSpec(labelOurs, "", 64).key())
	// Pairs: 150k/200k and 180k/200k.
	if ours == nil || ours.Ratio == nil || ours.Ratio.Min != 0.75 || ours.Ratio.Max != 0.9 {
		t.Fatalf("ours = %+v", ours)
	}
	if ours.Reference != report.Key("throughput/"+labelTCMirredVPC+"/zero-loss-rate", sizeParams(64)) {
		t.Errorf("ours is divided by %s, not by tc mirred on the same VPC path", ours.Reference)
	}
	for _, label := range []string{labelTCMirredVPC, labelTCMirred} {
		if m := res.Find(report.Key("throughput/"+label+"/zero-loss-rate", sizeParams(64))); !m.Informational {
			t.Errorf("a reference figure (%s) must not be compared between results", label)
		}
	}
	if m := res.Find(decodeSpec().key()); m.Error != "agent missing" {
		t.Errorf("failed figure = %+v", m)
	}
	tables := b.summary(res)
	if len(tables) != 5 {
		t.Fatalf("%d tables", len(tables))
	}
	row := strings.Join(tables[0].Rows[0], " | ")
	for _, want := range []string{"64 | 165 000 (150 000–180 000) | 200 000 ≥ | 0.825× (0.750–0.900)"} {
		if !strings.Contains(row, want) {
			t.Errorf("mirror row %q lacks %q", row, want)
		}
	}
	replay := map[string]string{}
	for i, h := range tables[1].Header {
		replay[h] = tables[1].Rows[0][i]
	}
	for h, want := range map[string]string{
		"GoReplay: completeness":                    "99.00%",
		"ours, -compare on: completeness":           "99.95%",
		"ours: CPU-ms per 1k requests":              "110 (100–120)",
		"ours, -compare on: CPU-ms per 1k requests": "225 (150–300)",
		// Paired run by run: 150/100 and 300/120.
		"-compare on ÷ off, CPU per request": "2.000× (1.500–2.500)",
	} {
		if replay[h] != want {
			t.Errorf("replay table, column %q: %q, want %q", h, replay[h], want)
		}
	}
	if got := tables[2].Rows[0][1]; got != "0.500" {
		t.Errorf("agent cores cell %q, want 0.500", got)
	}
	figures := map[string]string{}
	for _, r := range tables[3].Rows {
		figures[r[0]] = r[1]
	}
	for f, want := range map[string]string{
		"ours ÷ GoReplay, highest lossless load":                                                        "4.000×",
		"ours, -compare on ÷ off, highest lossless load":                                                "0.500×",
		"apply latency: CreateTrafficMirrorSession through the EC2 API → first copy at the target, p50": "2.500 (2.000–3.000)",
	} {
		if figures[f] != want {
			t.Errorf("figure %q: %q, want %q", f, figures[f], want)
		}
	}
	ceiling := tables[4]
	if !strings.Contains(ceiling.Title, "÷ the test server's CPU per request served") || len(ceiling.Rows) != len(b.cfg.HTTPLoads) {
		t.Fatalf("ceiling table = %+v", ceiling)
	}
	// Test server: 200 ms for 2000 requests served, 100 ms per 1k; ours
	// 80 and 120 ms per 1000 replayed: 0.8 and 1.2 times that.
	if got := strings.Join(ceiling.Rows[0][:3], " | "); got != "200 | 100 | 1.000 (0.800–1.200)" {
		t.Errorf("ceiling row %q", got)
	}
	plots := map[string]report.Plot{}
	for _, p := range b.plots(res) {
		plots[p.ID] = p
	}
	tp, ok := plots["mirror-throughput"]
	if !ok || len(tp.Series) != 3 || tp.Series[0].Label != labelOurs || tp.Series[1].Label != labelTCMirredVPC || len(tp.Series[0].Points) != len(b.cfg.Sizes) {
		t.Fatalf("throughput plot = %+v", tp)
	}
	if p := tp.Series[0].Points[0]; p.Y != 165 || p.YMin != 150 || p.YMax != 180 {
		t.Errorf("ours at 64 B plotted as %+v, want 165 kpps (150–180)", p)
	}
	lc, ok := plots["loss-curve-64"]
	if !ok || lc.Series[0].Label != labelOurs || lc.Series[0].Points[1].Y != 10 {
		t.Errorf("loss curve = %+v", lc)
	}
	if rc, ok := plots["replay-completeness"]; !ok || len(rc.Series) != 3 || rc.Series[1].Label != labelOursCompare {
		t.Errorf("replay plot = %+v", rc)
	}
	if cp, ok := plots["replay-cpu"]; !ok || len(cp.Series) != 2 || cp.Series[1].Label != labelOursCompare || cp.Series[1].Points[0].Y != 225 {
		t.Errorf("replay CPU plot = %+v, want ours and ours with -compare (225 at the first load)", cp)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Runs = 0 }, "runs 0"},
		{func(c *Config) { c.Sizes = []int{9000} }, "packet size 9000"},
		{func(c *Config) { c.Parts = []string{"x"} }, `unknown part "x"`},
		{func(c *Config) { c.Sizes = nil }, "no packet sizes"},
		{func(c *Config) { c.HTTPLoads = []float64{1000, 500} }, "want them rising"},
	} {
		cfg := Defaults(false)
		c.mod(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate() = %v, want %q", err, c.want)
		}
	}
	for _, smoke := range []bool{false, true} {
		cfg := Defaults(smoke)
		if err := cfg.Validate(); err != nil {
			t.Errorf("defaults (smoke %v) invalid: %v", smoke, err)
		}
	}
}

func TestHighestLosslessNeedsEveryLowerLoad(t *testing.T) {
	var h highestLossless
	for _, c := range []struct {
		load float64
		ok   bool
	}{{500, true}, {1000, true}, {2000, false}, {4000, true}} {
		h.see(c.load, c.ok)
	}
	if h.highest != 1000 {
		t.Fatalf("highest lossless %v, want 1000 (4000 passed after 2000 lost)", h.highest)
	}
}

func TestRampStopsAtFirstLossOrUnservedLoad(t *testing.T) {
	for _, c := range []struct {
		load, completeness, served float64
		want                       string
	}{
		{8000, 1, 7990, ""},
		{8000, 0.9991, 7700, ""},
		{8000, 0.998, 8000, "99.80% replayed at 8 000 req/s"},
		{16000, 1, 12000, "production was served 12000 of the 16 000 req/s offered"},
	} {
		got := rampStop(c.load, c.completeness, c.served)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("rampStop(%v, %v, %v) = %q, want %q", c.load, c.completeness, c.served, got, c.want)
		}
	}
}

func TestValidateLabSources(t *testing.T) {
	cfg := Defaults(true)
	cfg.LabSources = []int{10, 0}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "0 sources") {
		t.Errorf("LabSources with 0: error %v", err)
	}
}

// TestLabScalePlots: the lab-scale part plots, by number of sources, the
// ready time and the cost per interface (ours and bare netlink), each
// phase, and the peak resident size, from the figures of two runs.
func TestLabScalePlots(t *testing.T) {
	cfg := Defaults(true)
	cfg.Runs, cfg.LabSources = 2, []int{10, 100}
	b := &bench{cfg: cfg, col: newCollector()}
	for run := range 2 {
		for _, n := range cfg.LabSources {
			ready := float64(n) * 0.01 * float64(1+run) // 0.1 and 0.2 s at 10
			b.col.add(labReadySpec(n), ready)
			b.col.add(labPerInterfaceSpec(n), ready*1e3/float64(labInterfaces(n)))
			b.col.add(labBareSpec(n), ready/2)
			b.col.add(labRSSSpec(n), float64(n+100*run))
			b.col.add(labPhaseSpec(n, runreport.PhaseTeardown), 1)
			b.col.add(labAddSpec(n), float64(60+20*run)) // 70 (60–80)
			b.col.add(labRemoveSpec(n), 40)
			b.col.add(labFirstAddSpec(n), float64(90+20*run)) // 100 (90–110)
			b.col.add(labFirstRemoveSpec(n), 50)
		}
	}
	res := &report.Result{Schema: report.Schema, Runs: 2}
	b.col.fill(res)
	plots := map[string]report.Plot{}
	for _, p := range b.plots(res) {
		plots[p.ID] = p
	}
	series := func(id, label string) report.Series {
		for _, s := range plots[id].Series {
			if s.Label == label {
				return s
			}
		}
		t.Errorf("plot %s has no series %q: %+v", id, label, plots[id])
		return report.Series{Points: make([]report.Point, 2)}
	}
	if p := series("lab-scale", labelOurs).Points[0]; p.X != 10 || math.Abs(p.Y-0.15) > 1e-9 || p.YMin != 0.1 || p.YMax != 0.2 {
		t.Errorf("ready at 10 sources plotted as %+v, want 0.15 s (0.1–0.2)", p)
	}
	// 12 interfaces at 10 sources: 0.075 s ÷ 12 for the bare work.
	if p := series("lab-scale-per-interface", "bare netlink").Points[0]; math.Abs(p.Y-75.0/12) > 1e-9 {
		t.Errorf("bare netlink per interface at 10 plotted as %+v, want %v ms", p, 75.0/12)
	}
	if s := series("lab-scale-per-interface", labelOurs); len(s.Points) != 2 || math.Abs(s.Points[1].Y-1500.0/111) > 1e-9 {
		t.Errorf("ours per interface = %+v, want 1500/111 ms at 100", s)
	}
	if s := series("lab-scale-phases", runreport.PhaseTeardown); len(s.Points) != 2 || s.Points[1].Y != 1 {
		t.Errorf("teardown phase = %+v", s)
	}
	if len(plots["lab-scale-phases"].Series) != 1 {
		t.Errorf("phases without figures plotted: %+v", plots["lab-scale-phases"].Series)
	}
	if p := series("lab-scale-rss", labelOurs).Points[1]; p.Y != 150 || p.YMax != 200 {
		t.Errorf("RSS at 100 plotted as %+v, want 150 MB (100–200)", p)
	}
	if p := series("lab-scale-follow", "add one").Points[1]; p.X != 100 || p.Y != 70 || p.YMin != 60 {
		t.Errorf("add one at 100 plotted as %+v, want 70 ms (60–80)", p)
	}
	if p := series("lab-scale-follow", "remove one").Points[0]; p.Y != 40 {
		t.Errorf("remove one at 10 plotted as %+v, want 40 ms", p)
	}
	if p := series("lab-scale-follow", "first add").Points[1]; p.Y != 100 || p.YMin != 90 || p.YMax != 110 {
		t.Errorf("first add at 100 plotted as %+v, want 100 ms (90–110)", p)
	}
	if p := series("lab-scale-follow", "first remove").Points[0]; p.Y != 50 {
		t.Errorf("first remove at 10 plotted as %+v, want 50 ms", p)
	}
}

// TestLabScaleTable: the summary has a lab-scale table, one row per size,
// only when the part has figures.
func TestLabScaleTable(t *testing.T) {
	cfg := Defaults(true)
	cfg.Runs, cfg.LabSources = 1, []int{10, 100}
	b := &bench{cfg: cfg, col: newCollector()}
	if _, ok := b.labScaleTable(&report.Result{}, ""); ok {
		t.Error("a lab-scale table without figures")
	}
	b.col.add(labReadySpec(100), 2)
	b.col.add(labBareSpec(100), 1)
	b.col.add(labAddSpec(100), 70)
	b.col.add(labFirstAddSpec(100), 95)
	b.col.add(labPhaseSpec(100, runreport.PhaseCollect), 0.5)
	res := &report.Result{Schema: report.Schema, Runs: 1}
	b.col.fill(res)
	if err := res.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	tb, ok := b.labScaleTable(res, "")
	if !ok || len(tb.Rows) != 2 {
		t.Fatalf("table %+v", tb)
	}
	row := map[string]string{}
	for i, h := range tb.Header {
		row[h] = tb.Rows[1][i]
	}
	for h, want := range map[string]string{"sources": "100", "interfaces": "111", "ready (s)": "2.000", "ours ÷ bare netlink": "2.000×",
		"collect (s)": "0.500", "add one instance (ms)": "70.0", "remove one instance (ms)": "—",
		"first change: add (ms)": "95.0", "first change: remove (ms)": "—"} {
		if row[h] != want {
			t.Errorf("column %q: %q, want %q", h, row[h], want)
		}
	}
}
