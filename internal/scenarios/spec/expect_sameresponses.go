package spec

import (
	"cmp"
	"fmt"
	"strings"
)

// SameResponses checks, by the agent's response comparison (shadow
// testing), that the test server answered as production did: at least
// MinIdentical (0..1, default 1) of the compared pairs are identical or
// differ only in noise, and at least one pair was compared. Its presence
// turns on -compare in the agent (Agent, or the scenario's only built-in
// agent) with IgnoreHeaders and IgnoreJSON added to its ignore lists. The
// mirror filter must also mirror production's egress from the port.
//
// Baseline names a third built-in http-server running production's
// version (Diffy's method): the agent replays every request to it too
// (-compare-baseline http://<its address>:<its port>), and a difference
// that also shows between production and the baseline is noise, not a
// regression.
type SameResponses struct {
	Production    string   `yaml:"production"`
	Test          string   `yaml:"test"`
	Baseline      string   `yaml:"baseline"`
	Agent         string   `yaml:"agent"`
	MinIdentical  float64  `yaml:"minIdentical"`
	IgnoreHeaders []string `yaml:"ignoreHeaders"`
	IgnoreJSON    []string `yaml:"ignoreJson"`
}

func (sr *SameResponses) check(k *kindCheck) {
	k.server("production", sr.Production)
	k.server("test", sr.Test)
	k.compareAgent("agent", sr.Agent)
	if sr.Baseline != "" {
		sr.checkBaseline(k)
	}
	if sr.MinIdentical < 0 || sr.MinIdentical > 1 {
		k.at("minIdentical", "minIdentical %v: want 0..1", sr.MinIdentical)
	}
}

func (sr *SameResponses) checkBaseline(k *kindCheck) {
	ag := k.s.CompareAgent(sr.Agent)
	pr, isProg := k.s.refs.programs[sr.Baseline]
	switch prev, ok := k.baselines[ag]; {
	case !isProg || pr.Builtin != BuiltinHTTPServer:
		k.server("baseline", sr.Baseline)
	case sr.Baseline == sr.Production || sr.Baseline == sr.Test:
		k.at("baseline", "baseline %q: must be a server of its own (running production's version), not production or the test server", sr.Baseline)
	case ok && prev != sr.Baseline:
		k.at("baseline", "baseline %q: agent %q already compares against baseline %q (one baseline per agent)", sr.Baseline, ag, prev)
	default:
		k.baselines[ag] = sr.Baseline
	}
}

// checkArgs checks the ignore lists as the agent's -compare-ignore-header
// and -compare-ignore-json flags.
func (sr *SameResponses) checkArgs(k *kindCheck, b Builtins) {
	if b.CompareIgnores == nil {
		return
	}
	if err := b.CompareIgnores(sr.IgnoreHeaders, sr.IgnoreJSON); err != nil {
		k.at("", "%v", err)
	}
}

func (sr *SameResponses) describe() string {
	return fmt.Sprintf("%s answered as %s", sr.Test, sr.Production)
}

func (sr *SameResponses) judge(j *judging) {
	want := cmp.Or(sr.MinIdentical, 1)
	j.v.Want = fmt.Sprintf(">= %.1f%% of compared responses identical or differing only in noise", want*100)
	if sr.Baseline != "" {
		j.v.Want += " (noise: what production and the baseline " + sr.Baseline + " disagree on)"
	}
	st := j.responses(sr.Agent)
	if st == nil {
		return
	}
	same := st.Identical + st.Noise
	ratio := 0.0
	if st.Compared > 0 {
		ratio = float64(same) / float64(st.Compared)
	}
	j.v.Observed = fmt.Sprintf("compared %d, identical %d, noise %d, different %d (%.1f%% same), incomplete %d, not compared %d",
		st.Compared, st.Identical, st.Noise, st.Different, 100*ratio, st.Incomplete, st.NotCompared)
	j.v.Passed = st.Compared > 0 && ratio >= want
	var ex []string
	for _, e := range st.Endpoints {
		if e.Different > 0 {
			ex = append(ex, fmt.Sprintf("%s: %d of %d different (%s; e.g. %s)", e.Endpoint, e.Different, e.Compared,
				strings.Join(e.Fields, ", "), e.Example))
		}
	}
	if len(ex) > 0 {
		j.v.Detail = strings.Join(ex, "; ")
	}
	if st.Compared == 0 {
		j.v.Detail = "no response was compared (does the filter mirror production's egress from the port?)"
	}
}

// responses returns the comparison of the agent that compares for an
// expectation, or fails the judgement when it compared nothing.
func (j *judging) responses(agent string) *ResponseStats {
	name := j.s.CompareAgent(agent)
	st := j.o.Responses[name]
	if st == nil {
		j.v.Passed = false
		j.v.Observed = "no comparison"
		j.v.Detail = fmt.Sprintf("agent %q compared no response (did it run with -compare?)", name)
	}
	return st
}
