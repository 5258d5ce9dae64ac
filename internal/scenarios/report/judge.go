package report

import (
	"fmt"

	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

// Observations is what a run saw; Judge compares it with the expectations.
type Observations struct {
	// Ran is false when nothing was built (validation refused, or the run
	// failed before traffic); only validationError can then hold.
	Ran        bool
	Validation spec.Problems
	Model      cloudmock.Snapshot
	Arrivals   map[string]*Arrival           // by receiving ENI name
	Requests   map[string][]workload.Request // by http-server program
	AgentStats map[string]map[string]float64 // by agent program
	Compare    map[string]*compare.Stats     // by agent program (with -compare)
	Output     map[string]map[string]int64   // program -> text -> matching lines
	Traffic    map[string]TrafficResult      // by traffic name
}

// Judge decides every expectation of s against o, in file order, then
// the traffic steps that no expectation covers (each must succeed
// entirely, unless allowed to fail). It returns the verdicts, the
// sameRequests comparisons, and the copies lost on the way, in words.
func Judge(s *spec.Scenario, o *Observations) ([]Verdict, []Comparison, []string) {
	so := o.judged()
	var out []Verdict
	var cmps []Comparison
	for i, e := range s.Expect {
		_, line, _ := s.Position(fmt.Sprintf("expect[%d]", i))
		v := Verdict{Name: e.Label(), Kind: e.Kind(), Line: line}
		if _, refusal := e.Check.(*spec.ValidationError); !refusal && !o.Ran {
			// The run's error says why, once; the verdict only says that
			// there was nothing to judge.
			v.NotRun, v.Observed = true, "not run"
			out = append(out, v)
			continue
		}
		oc := e.Judge(s, so)
		v.Want, v.Observed, v.Passed, v.Detail = oc.Want, oc.Observed, oc.Passed, oc.Detail
		if c := oc.Requests; c != nil {
			cmps = append(cmps, Comparison{Production: c.Production, Test: c.Test, Comparison: c.Comparison})
		}
		out = append(out, v)
	}
	return append(out, implicitVerdicts(s, o)...), cmps, losses(s, o)
}

// implicitVerdicts: a traffic step that is not allowed to fail and that no
// traffic expectation covers must succeed entirely.
func implicitVerdicts(s *spec.Scenario, o *Observations) []Verdict {
	if !o.Ran {
		return nil
	}
	covered := map[string]bool{}
	for _, e := range s.Expect {
		if t, ok := e.Check.(*spec.TrafficOutcome); ok {
			covered[t.Name] = true
		}
	}
	var out []Verdict
	for i, t := range s.Traffic {
		name := t.StepName(i)
		if t.AllowFailure || covered[name] {
			continue
		}
		tr := o.Traffic[name]
		if tr.Failed == 0 && tr.Sent > 0 {
			continue
		}
		_, line, _ := s.Position(fmt.Sprintf("traffic[%d]", i))
		v := Verdict{Name: "traffic " + name + " ran without errors", Kind: "traffic", Line: line,
			Want: "failed = 0", Observed: tr.TrafficCounts.String()}
		if len(tr.Errors) > 0 {
			v.Detail = "errors: " + joinFirst(tr.Errors, 3)
		}
		out = append(out, v)
	}
	return out
}

// judged is o as the expectations read it.
func (o *Observations) judged() *spec.Observations {
	so := &spec.Observations{Ran: o.Ran, Validation: o.Validation, Model: o.Model, Requests: o.Requests,
		AgentStats: o.AgentStats, Output: o.Output,
		Arrivals: map[string]*spec.ArrivalCounts{}, Responses: map[string]*spec.ResponseStats{}, Traffic: map[string]spec.TrafficCounts{}}
	for name, a := range o.Arrivals {
		so.Arrivals[name] = &a.ArrivalCounts
	}
	for name, t := range o.Traffic {
		so.Traffic[name] = t.TrafficCounts
	}
	for name, st := range o.Compare {
		so.Responses[name] = responseStats(st)
	}
	return so
}

// responseStats is an agent's comparison as the expectations read it.
func responseStats(st *compare.Stats) *spec.ResponseStats {
	rs := &spec.ResponseStats{Compared: st.Compared, Identical: st.Identical, Noise: st.Noise, Different: st.Different,
		Incomplete: st.Incomplete, ProdP50ms: st.ProdP50ms, ProdP90ms: st.ProdP90ms, ProdP99ms: st.ProdP99ms,
		TestP50ms: st.TestP50ms, TestP90ms: st.TestP90ms, TestP99ms: st.TestP99ms}
	for _, v := range st.Dropped {
		rs.NotCompared += v
	}
	for _, e := range st.Endpoints {
		er := spec.EndpointResponses{Endpoint: e.Endpoint, Compared: e.Compared, Different: e.Different,
			ProdP99ms: e.ProdP99ms, TestP99ms: e.TestP99ms, Example: e.Example}
		for _, f := range e.Fields {
			er.Fields = append(er.Fields, f.Field)
		}
		rs.Endpoints = append(rs.Endpoints, er)
	}
	return rs
}
