package suite

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/bench/ref"
	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	runreport "github.com/mirrorlab/mirrorlab/internal/scenarios/report"
)

// summary builds the headline tables shown before the full list.
func (b *bench) summary(res *report.Result) []report.Table {
	runs := fmt.Sprintf("median (min–max) over %d run(s)", b.cfg.Runs)
	find := func(name string, params map[string]string) *report.Measurement {
		return res.Find(report.Key(name, params))
	}
	var out []report.Table
	mt := report.Table{Title: "Mirror path — highest zero-loss rate in packets/s, " + runs + "; ratios paired run by run",
		Header: []string{"IP packet size", "ours", "kernel tc mirred, same VPC path", "ours ÷ tc mirred (same path)",
			"kernel tc mirred, bare veths", "kernel veth", "kernel VXLAN",
			"ours: copies delivered at generator top", "ours: production loss at generator top",
			"machine CPU-s per Mpkt: ours / tc mirred (same path)", "ours ÷ tc mirred, machine CPU per packet",
			"ours, user-space path", "ours, user-space path ÷ tc mirred", "ours: mirror process CPU-s per Mpkt"}}
	for _, size := range b.cfg.Sizes {
		sp := sizeParams(size)
		ours := find("throughput/"+labelOurs+"/zero-loss-rate", sp)
		user := find("throughput/"+labelOursUser+"/zero-loss-rate", sp)
		mach := find("throughput/"+labelOurs+"/machine-cpu-per-mpkt", sp)
		mt.Rows = append(mt.Rows, []string{strconv.Itoa(size),
			withNote(ours), withNote(find("throughput/"+labelTCMirredVPC+"/zero-loss-rate", sp)), report.FormatRatio(ours),
			withNote(find("throughput/"+labelTCMirred+"/zero-loss-rate", sp)),
			withNote(find("throughput/"+string(ref.Veth)+"/zero-loss-rate", sp)), withNote(find("throughput/"+string(ref.VXLAN)+"/zero-loss-rate", sp)),
			percent(find("mirror/"+labelOurs+"/copies-delivered-at-ceiling", sp)), percent(find("mirror/"+labelOurs+"/production-loss-at-ceiling", sp)),
			report.FormatRange(mach) + " / " + report.FormatRange(find("throughput/"+labelTCMirredVPC+"/machine-cpu-per-mpkt", sp)), report.FormatRatio(mach),
			withNote(user), report.FormatRatio(user), report.FormatRange(find("mirror/"+labelOurs+"/cpu-per-mpkt", sp))})
	}
	out = append(out, mt)
	rt := report.Table{Title: "Replay — by offered HTTP load on production, " + runs + "; each agent's ramp stops after its first lossy load",
		Header: []string{"offered load (req/s)", "production served (req/s)", "ours: completeness", "ours: lost by the mirror / dropped by the agent", "ours, -compare on: completeness",
			"GoReplay: completeness", "ours: lag p50 / p99 (ms)", "GoReplay: lag p50 / p99 (ms)",
			"ours: CPU-ms per 1k requests", "ours, -compare on: CPU-ms per 1k requests", "-compare on ÷ off, CPU per request",
			"GoReplay: CPU-ms per 1k requests", "GoReplay: peak RSS (MiB)"}}
	ct := report.Table{Title: "Replay — cores busy while the load ran (of " + strconv.Itoa(max(res.Machine.Cores, 1)) + "), " + runs,
		Header: []string{"offered load (req/s)", "ours: agent process", "ours: bench process (load generator, production, mirror; test server unless its own process)",
			"ours: machine", "ours, -compare on: agent process", "ours, -compare on: machine"}}
	for _, load := range b.cfg.HTTPLoads {
		lp := loadParams(load)
		r := func(who, what string) *report.Measurement { return find("replay/"+who+"/"+what, lp) }
		cmpCPU := r(labelOursCompare, "cpu-per-1k-req")
		rt.Rows = append(rt.Rows, []string{report.FormatNumber(load), withNote(r(labelOurs, "production-served-rate")),
			percent(r(labelOurs, "completeness")), report.FormatRange(r(labelOurs, "mirror-copies-lost")) + " / " + report.FormatRange(r(labelOurs, "agent-drops")),
			percent(r(labelOursCompare, "completeness")), percent(r(labelGoReplay, "completeness")),
			report.FormatRange(r(labelOurs, "lag-p50")) + " / " + report.FormatRange(r(labelOurs, "lag-p99")),
			report.FormatRange(r(labelGoReplay, "lag-p50")) + " / " + report.FormatRange(r(labelGoReplay, "lag-p99")),
			report.FormatRange(r(labelOurs, "cpu-per-1k-req")), report.FormatRange(cmpCPU), report.FormatRatio(cmpCPU),
			report.FormatRange(r(labelGoReplay, "cpu-per-1k-req")), report.FormatRange(r(labelGoReplay, "peak-rss"))})
		ct.Rows = append(ct.Rows, []string{report.FormatNumber(load), report.FormatRange(r(labelOurs, "agent-cores")),
			report.FormatRange(r(labelOurs, "bench-process-cores")), report.FormatRange(r(labelOurs, "machine-cores")),
			report.FormatRange(r(labelOursCompare, "agent-cores")), report.FormatRange(r(labelOursCompare, "machine-cores"))})
	}
	out = append(out, rt, ct)
	oursHL := find("replay/"+labelOurs+"/highest-lossless-load", nil)
	cmpHL := find("replay/"+labelOursCompare+"/highest-lossless-load", nil)
	ot := report.Table{Title: "Agent and ceilings — " + runs, Header: []string{"figure", "value", "unit"}, Rows: [][]string{
		{"ours: decode rate on the UDP input", withNote(find("agent/ours/decode-rate", nil)), "packets/s"},
		{"ours: decode rate from a pcap file (no network)", report.FormatRange(find("agent/ours/decode-rate-file", nil)), "packets/s"},
		{"ours: decode per CPU-second (per core), pcap file", report.FormatRange(find("agent/ours/decode-per-cpu-second", nil)), "packets/CPU-s"},
		{"direct HTTP load on the test server (replay ceiling)", report.FormatRange(find("http/direct/max-rate", nil)), "requests/s"},
		{"direct load: cores busy, bench process (load generator and test server) / machine",
			report.FormatRange(find("http/direct/bench-process-cores", nil)) + " / " + report.FormatRange(find("http/direct/machine-cores", nil)), "cores"},
		{"ours: highest offered load replayed ≥ 99.9% (and every lower one)", withNote(oursHL), "requests/s"},
		{"ours, -compare on: highest offered load replayed ≥ 99.9% (and every lower one)", withNote(cmpHL), "requests/s"},
		{"ours, -compare on ÷ off, highest lossless load", report.FormatRatio(cmpHL), "ratio"},
		{"GoReplay: highest offered load replayed ≥ 99.9% (and every lower one)", withNote(find("replay/"+labelGoReplay+"/highest-lossless-load", nil)), "requests/s"},
		{"ours ÷ GoReplay, highest lossless load", report.FormatRatio(oursHL), "ratio"},
		{"apply latency: CreateTrafficMirrorSession through the EC2 API → first copy at the target, p50", report.FormatRange(find(applySpec().name, nil)), "ms"},
		{"apply latency, slowest change of a run", report.FormatRange(find(applyMaxSpec().name, nil)), "ms"},
	}}
	out = append(out, ot, b.ceilingTable(find, runs))
	if lt, ok := b.labScaleTable(res, runs); ok {
		out = append(out, lt)
	}
	return append(out, b.figureTables(res, runs)...)
}

// labScaleTable is the lab-scale part's figures by number of sources,
// with issue 22's goals in the title; ok is false when the part has no
// figure.
func (b *bench) labScaleTable(res *report.Result, runs string) (t report.Table, ok bool) {
	t = report.Table{Title: "Lab scale — " + runs + "; goals at 1000 sources: ready ≤ 30 s and ≤ 2× bare netlink, peak RSS ≤ 1 GB, collect ≤ 3 s, teardown ≤ 10 s, add or remove one instance ≤ 100 ms",
		Header: []string{"sources", "interfaces", "ready (s)", "bare netlink (s)", "ours ÷ bare netlink", "ready per interface (ms)",
			"peak RSS (MB)", "collect (s)", "teardown (s)", "add one instance (ms)", "remove one instance (ms)",
			"first change: add (ms)", "first change: remove (ms)"}}
	for _, n := range b.cfg.LabSources {
		ready := res.Find(labReadySpec(n).key())
		ok = ok || ready != nil
		f := func(sp spec) string { return report.FormatRange(res.Find(sp.key())) }
		t.Rows = append(t.Rows, []string{strconv.Itoa(n), strconv.Itoa(labInterfaces(n)), report.FormatRange(ready), f(labBareSpec(n)),
			report.FormatRatio(ready), f(labPerInterfaceSpec(n)), f(labRSSSpec(n)), f(labPhaseSpec(n, runreport.PhaseCollect)),
			f(labPhaseSpec(n, runreport.PhaseTeardown)), f(labAddSpec(n)), f(labRemoveSpec(n)), f(labFirstAddSpec(n)), f(labFirstRemoveSpec(n))})
	}
	return t, ok
}

// withNote is FormatRange with a marker (≥) for lower bounds: generator-
// limited rates, a lossless streak that reached the highest load tried.
func withNote(m *report.Measurement) string {
	s := report.FormatRange(m)
	if m != nil && m.Error == "" && len(m.Runs) > 0 && strings.Contains(m.Note, "lower bound") {
		s += " ≥"
	}
	return s
}

func percent(m *report.Measurement) string {
	if m == nil || m.Error != "" || len(m.Runs) == 0 {
		return "—"
	}
	f := func(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) + "%" }
	if m.Min == m.Max {
		return f(m.Median)
	}
	return f(m.Median) + " (" + f(m.Min) + "–" + f(m.Max) + ")"
}
