package runner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
)

// compareOpts is the response comparison the expectations ask of one
// agent program.
type compareOpts struct {
	on              bool
	headers, jsonPs []string
	// baseline is the baseline server program (sameResponses.baseline)
	// and baselineURL its address, or why it has none.
	baseline, baselineURL string
	baselineErr           error
}

// compareSettings collects what sameResponses and responseLatency ask of
// agent program name.
func compareSettings(s *spec.Scenario, name string) compareOpts {
	var o compareOpts
	for _, e := range s.Expect {
		switch {
		case e.SameResponses != nil && s.CompareAgent(e.SameResponses.Agent) == name:
			o.on = true
			o.headers = append(o.headers, e.SameResponses.IgnoreHeaders...)
			o.jsonPs = append(o.jsonPs, e.SameResponses.IgnoreJSON...)
			if b := e.SameResponses.Baseline; b != "" && o.baseline == "" {
				o.baseline = b
				o.baselineURL, o.baselineErr = s.ServerURL(b)
			}
		case e.ResponseLatency != nil && s.CompareAgent(e.ResponseLatency.Agent) == name:
			o.on = true
		}
	}
	return o
}

func (j *judge) compareStats(agentName string) (*compare.Stats, string) {
	name := j.s.CompareAgent(agentName)
	st := j.o.Compare[name]
	if st == nil {
		j.v.Passed = false
		j.v.Observed = "no comparison"
		j.v.Detail = fmt.Sprintf("agent %q compared no response (did it run with -compare?)", name)
	}
	return st, name
}

func (j *judge) sameResponses(sr *spec.SameResponses) {
	want := sr.MinIdentical
	if want == 0 {
		want = 1
	}
	j.v.Want = fmt.Sprintf(">= %.1f%% of compared responses identical or differing only in noise", want*100)
	if sr.Baseline != "" {
		j.v.Want += " (noise: what production and the baseline " + sr.Baseline + " disagree on)"
	}
	st, _ := j.compareStats(sr.Agent)
	if st == nil {
		return
	}
	same := st.Identical + st.Noise
	ratio := 0.0
	if st.Compared > 0 {
		ratio = float64(same) / float64(st.Compared)
	}
	var dropped uint64
	for _, v := range st.Dropped {
		dropped += v
	}
	j.v.Observed = fmt.Sprintf("compared %d, identical %d, noise %d, different %d (%.1f%% same), incomplete %d, not compared %d",
		st.Compared, st.Identical, st.Noise, st.Different, 100*ratio, st.Incomplete, dropped)
	j.v.Passed = st.Compared > 0 && ratio >= want
	var ex []string
	for _, e := range st.Endpoints {
		if e.Different == 0 {
			continue
		}
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
		ex = append(ex, fmt.Sprintf("%s: %d of %d different (%s; e.g. %s)", e.Endpoint, e.Different, e.Compared,
			strings.Join(fields, ", "), e.Example))
	}
	if len(ex) > 0 {
		j.v.Detail = strings.Join(ex, "; ")
	}
	if st.Compared == 0 {
		j.v.Detail = "no response was compared (does the filter mirror production's egress from the port?)"
	}
}

func (j *judge) responseLatency(rl *spec.ResponseLatency) {
	ratio, pct, slack := rl.MaxRatio, rl.Percentile, 5.0
	if ratio == 0 {
		ratio = 1.5
	}
	if pct == 0 {
		pct = 99
	}
	if rl.SlackMs != nil {
		slack = *rl.SlackMs
	}
	j.v.Want = fmt.Sprintf("test p%g <= production p%g x %g + %g ms", pct, pct, ratio, slack)
	st, _ := j.compareStats(rl.Agent)
	if st == nil {
		return
	}
	prod, test := st.ProdP99ms, st.TestP99ms
	switch pct {
	case 50:
		prod, test = st.ProdP50ms, st.TestP50ms
	case 90:
		prod, test = st.ProdP90ms, st.TestP90ms
	}
	j.v.Observed = fmt.Sprintf("production p%g %.2f ms, test p%g %.2f ms over %d pairs", pct, prod, pct, test, st.Compared+st.Incomplete)
	j.v.Passed = st.Compared > 0 && test <= prod*ratio+slack
	if !j.v.Passed && st.Compared > 0 {
		var slow []string
		for _, e := range st.Endpoints {
			if e.TestP99ms > e.ProdP99ms*ratio+slack {
				slow = append(slow, fmt.Sprintf("%s: p99 %.2f ms vs production %.2f ms", e.Endpoint, e.TestP99ms, e.ProdP99ms))
			}
		}
		sort.Strings(slow)
		j.v.Detail = strings.Join(slow, "; ")
	}
}

// compareLines renders an agent's comparison for the terminal: a summary
// line and the per-endpoint table (regressions also by the kind of their
// first difference: status, header, body).
func compareLines(st *compare.Stats) []string {
	var dropped uint64
	for _, v := range st.Dropped {
		dropped += v
	}
	line := fmt.Sprintf("responses: compared %d, identical %d, different %d, noise %d, incomplete %d, not compared %d",
		st.Compared, st.Identical, st.Different, st.Noise, st.Incomplete, dropped)
	if dropped > 0 {
		reasons := make([]string, 0, len(st.Dropped))
		for k, v := range st.Dropped {
			reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(reasons)
		line += " (" + strings.Join(reasons, ", ") + ")"
	}
	out := []string{line}
	if len(st.Endpoints) == 0 {
		return out
	}
	w := len("endpoint")
	for _, e := range st.Endpoints {
		w = min(max(w, len(e.Endpoint)), 60)
	}
	row := "  %-*s %8v %9v %6v %9v %6v %6v %6v  %-17s %s"
	out = append(out, strings.TrimRight(fmt.Sprintf(row, w, "endpoint", "compared", "identical", "noise", "different", "status", "header", "body",
		"p50/p99 prod ms", "p50/p99 test ms"), " "))
	for _, e := range st.Endpoints {
		l := fmt.Sprintf(row, w, e.Endpoint, e.Compared, e.Identical, e.Noise, e.Different,
			e.DifferentBy["status"], e.DifferentBy["header"], e.DifferentBy["body"],
			fmt.Sprintf("%.2f/%.2f", e.ProdP50ms, e.ProdP99ms), fmt.Sprintf("%.2f/%.2f", e.TestP50ms, e.TestP99ms))
		if e.Different > 0 && len(e.Fields) > 0 {
			l += "  differs: " + e.Fields[0].Field
		}
		out = append(out, strings.TrimRight(l, " "))
	}
	return out
}
