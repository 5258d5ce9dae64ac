package report

import (
	"bytes"
	"encoding/xml"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	cases := []struct {
		runs             []float64
		median, min, max float64
	}{
		{[]float64{3, 1, 2}, 2, 1, 3},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4},
		{[]float64{5, math.NaN(), 1}, 3, 1, 5},
		{nil, 0, 0, 0},
	}
	for _, c := range cases {
		st := Summarize(c.runs)
		if st.Median != c.median || st.Min != c.min || st.Max != c.max {
			t.Errorf("Summarize(%v) = %g [%g, %g], want %g [%g, %g]", c.runs, st.Median, st.Min, st.Max, c.median, c.min, c.max)
		}
	}
}

func sample() *Result {
	r := &Result{Schema: Schema, Runs: 3, Machine: Machine{CPUModel: "Test CPU", Cores: 2, Kernel: "6.18", GoVersion: "go1.26", Commit: "abc", Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}}
	size := map[string]string{"size": "64"}
	r.Add(Measurement{Name: "mirror/kernel-tc-mirred/zero-loss-rate", Group: "reference", Params: size, Unit: "pps", Runs: []float64{100, 200, 400}, HigherIsBetter: true})
	r.Add(Measurement{Name: "mirror/ours/zero-loss-rate", Group: "ours", Params: size, Unit: "pps", Runs: []float64{90, 100, 400}, HigherIsBetter: true,
		Reference: Key("mirror/kernel-tc-mirred/zero-loss-rate", size)})
	r.Add(Measurement{Name: "mirror/ours/cpu-per-mpkt", Group: "ours", Params: size, Unit: "cpu-s", Runs: []float64{2, 3, 4}})
	r.Add(Measurement{Name: "peer/goreplay/rate", Group: "peer", Unit: "req/s", Error: "goreplay not installed"})
	return r
}

func TestRatiosArePairedRunByRun(t *testing.T) {
	r := sample()
	if err := r.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	m := r.Find(Key("mirror/ours/zero-loss-rate", map[string]string{"size": "64"}))
	if m == nil || m.Ratio == nil {
		t.Fatal("ratio not computed")
	}
	// Pairs: 90/100, 100/200, 400/400 → 0.9, 0.5, 1 (the ratio of medians would be 0.5).
	if m.Ratio.Median != 0.9 || m.Ratio.Min != 0.5 || m.Ratio.Max != 1 {
		t.Fatalf("ratio = %+v, want median 0.9, min 0.5, max 1", *m.Ratio)
	}
	r.Add(Measurement{Name: "x", Unit: "pps", Runs: []float64{1}, Reference: "nope"})
	if err := r.ComputeRatios(); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing reference error = %v, want one naming it", err)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	r := sample()
	if err := r.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "result.json")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Measurements) != 4 || got.Machine.CPUModel != "Test CPU" || got.Measurements[1].Ratio.Median != 0.9 {
		t.Fatalf("round trip lost data: %+v", got)
	}
}

func TestValidateNamesTheProblem(t *testing.T) {
	r := sample()
	r.Measurements[2].Unit = ""
	r.Measurements = append(r.Measurements, Measurement{Name: "empty", Unit: "x"})
	r.Schema = "other"
	err := r.Validate()
	if err == nil {
		t.Fatal("invalid result accepted")
	}
	for _, want := range []string{"schema", "measurements[2] (mirror/ours/cpu-per-mpkt{size=64}): unit is empty", "measurements[4] (empty): no runs"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	r := sample()
	if err := r.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	r.Summary = []Table{{Title: "Mirror path", Header: []string{"size", "ours", "vs tc"},
		Rows: [][]string{{"64", FormatRange(r.Find(Key("mirror/ours/zero-loss-rate", map[string]string{"size": "64"}))),
			FormatRatio(r.Find(Key("mirror/ours/zero-loss-rate", map[string]string{"size": "64"})))}}}}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Mirror path\n\n| size | ours | vs tc |\n| --- | --- | --- |\n| 64 | 100 (90.0–400) | 0.900× (0.500–1.000) |\n",
		"All figures:",
		"Test CPU (2 cores)",
		"| ours | mirror/ours/zero-loss-rate | size=64 | 100 | 90.0–400 | pps | 0.900 × mirror/kernel-tc-mirred/zero-loss-rate (0.500–1.000) |",
		"| peer | peer/goreplay/rate |  | — | — | req/s |  | not measured: goreplay not installed |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	p := &Plot{ID: "p", Title: "Mirror <throughput>", XLabel: "bytes", YLabel: "pps", LogX: true, Series: []Series{
		{Label: "ours", Points: []Point{{X: 64, Y: 1, YMin: 0.5, YMax: 2}, {X: 1400, Y: 3, YMin: 3, YMax: 3}}},
		{Label: "kernel", Points: []Point{{X: 64, Y: 2}, {X: 1400, Y: 4}}},
	}}
	var b bytes.Buffer
	if err := WriteSVG(&b, p); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	polylines, texts := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("SVG does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "polyline":
				polylines++
			case "text":
				texts++
			}
		}
	}
	if polylines != 2 || texts < 6 {
		t.Fatalf("got %d polylines and %d texts, want 2 and at least 6", polylines, texts)
	}
	if err := WriteSVG(&b, &Plot{ID: "bad", LogX: true, Series: []Series{{Points: []Point{{X: 0, Y: 1}}}}}); err == nil {
		t.Fatal("log axis with x=0 accepted")
	}
}

func TestCompareLatencyFloor(t *testing.T) {
	lat := func(ms float64) *Result {
		return &Result{Measurements: []Measurement{{Name: "replay/ours/lag-p50", Unit: "ms", Median: ms, Runs: []float64{ms}}}}
	}
	// +20% but 0.16 ms: noise on these machines, not a regression.
	if fs := Compare(lat(0.8), lat(0.96), 0.1); fs[0].Regressed || fs[0].Why == "" {
		t.Fatalf("0.8 -> 0.96 ms: %+v, want not regressed, with the floor named", fs[0])
	}
	// +100% and 3 ms: a regression.
	if fs := Compare(lat(3), lat(6), 0.1); !fs[0].Regressed {
		t.Fatalf("3 -> 6 ms: %+v, want regressed", fs[0])
	}
	// The floor applies to durations only: a rate is judged relatively.
	r := func(v float64) *Result {
		return &Result{Measurements: []Measurement{{Name: "mirror/ours/zero-loss-rate", Unit: "pps", Median: v, HigherIsBetter: true, Runs: []float64{v}}}}
	}
	if fs := Compare(r(1), r(0.5), 0.1); !fs[0].Regressed {
		t.Fatalf("rate 1 -> 0.5: %+v, want regressed", fs[0])
	}
}

func TestCompare(t *testing.T) {
	old := sample()
	if err := old.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	// A slower machine: every absolute figure drops, the ratio holds.
	slower := sample()
	for i := range slower.Measurements[:2] {
		for j := range slower.Measurements[i].Runs {
			slower.Measurements[i].Runs[j] /= 2
		}
		st := Summarize(slower.Measurements[i].Runs)
		slower.Measurements[i].Median = st.Median
	}
	if err := slower.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	fs := Compare(old, slower, 0.1)
	// The reference's own absolute figure halved: that one regresses, ours
	// (compared by ratio) does not, CPU did not move.
	got := map[string]bool{}
	for _, f := range fs {
		got[f.Key] = f.Regressed
	}
	if !got["mirror/kernel-tc-mirred/zero-loss-rate{size=64}"] || got["mirror/ours/zero-loss-rate{size=64}"] || got["mirror/ours/cpu-per-mpkt{size=64}"] {
		t.Fatalf("findings = %+v", fs)
	}
	// Ours falls against the reference: regression on the ratio basis.
	worse := sample()
	worse.Measurements[1].Runs = []float64{45, 50, 200}
	if err := worse.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	// Lower-is-better CPU rising beyond tolerance regresses too.
	worse.Measurements[2].Median = 3.5
	n := 0
	for _, f := range Compare(old, worse, 0.1) {
		if f.Regressed {
			n++
			if f.Key == "mirror/ours/zero-loss-rate{size=64}" && (!strings.HasPrefix(f.Basis, "ratio") || math.Abs(f.Change+0.5) > 1e-9) {
				t.Errorf("ratio finding = %+v, want basis ratio and change -50%%", f)
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d regressions, want 2", n)
	}
	// A ratio to another reference is not comparable: the absolute figures
	// are compared instead, and the finding says why.
	moved := sample()
	if err := moved.ComputeRatios(); err != nil {
		t.Fatal(err)
	}
	for i := range moved.Measurements {
		if moved.Measurements[i].Ratio != nil {
			moved.Measurements[i].Reference = "mirror/kernel-tc-mirred-vpc/zero-loss-rate{size=64}"
			moved.Measurements[i].Ratio.Median *= 3
		}
	}
	checked := false
	for _, f := range Compare(old, moved, 0.1) {
		if f.Key == "mirror/ours/zero-loss-rate{size=64}" {
			checked = true
			if !strings.HasPrefix(f.Basis, "absolute (reference changed") || f.Change != 0 || f.Regressed {
				t.Errorf("finding across references = %+v, want absolute basis, no change and a reason", f)
			}
		}
	}
	if !checked {
		t.Fatal("no finding for ours")
	}
	// A figure that vanished regresses.
	gone := sample()
	gone.Measurements = gone.Measurements[:1]
	if Regressions(Compare(old, gone, 0.1)) != 2 {
		t.Fatal("missing figures not flagged")
	}
	var b bytes.Buffer
	if err := WriteFindings(&b, Compare(old, worse, 0.1), 0.1); err != nil || !strings.Contains(b.String(), "REGRESSED") {
		t.Fatalf("findings table: %v\n%s", err, b.String())
	}
}

// A figure only the new result has (a new bench part) is listed as new,
// with its value or its same-run ratio, and never counts as a regression.
func TestCompareListsNewFigures(t *testing.T) {
	old := &Result{Measurements: []Measurement{{Name: "replay/ours/completeness", Unit: "fraction", Median: 1, Runs: []float64{1}, HigherIsBetter: true}}}
	cur := &Result{Measurements: []Measurement{
		{Name: "replay/ours/completeness", Unit: "fraction", Median: 1, Runs: []float64{1}, HigherIsBetter: true},
		{Name: "apply/ours/latency-p50", Unit: "ms", Median: 4.5, Runs: []float64{4.5}},
		{Name: "replay/ours-compare/cpu-per-1k-req", Unit: "cpu-ms/1k req", Median: 300, Runs: []float64{300},
			Reference: "replay/ours/cpu-per-1k-req", Ratio: &Stats{Median: 1.5}},
		{Name: "replay/ours/agent-cores", Unit: "cores", Median: 0.5, Runs: []float64{0.5}, Informational: true},
	}}
	fs := Compare(old, cur, 0.1)
	if len(fs) != 3 || Regressions(fs) != 0 {
		t.Fatalf("findings = %+v, want the old figure and two new ones, none regressed", fs)
	}
	if f := fs[1]; !f.Added || f.Key != "apply/ours/latency-p50" || f.New != 4.5 {
		t.Errorf("apply latency finding = %+v", f)
	}
	if f := fs[2]; !f.Added || f.New != 1.5 || !strings.HasPrefix(f.Basis, "ratio to ") {
		t.Errorf("compare-on CPU finding = %+v, want its ratio", f)
	}
	var b strings.Builder
	if err := WriteFindings(&b, fs, 0.1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| new | apply/ours/latency-p50 | absolute | — | 4.500 | new figure |") {
		t.Errorf("findings table lacks the new figure:\n%s", b.String())
	}
}
