package spec

import (
	"fmt"
	"strings"
)

// kindCheck is what an expectation kind's check sees: the scenario, and
// where to report (kp is the kind's path, expect[i].<key>).
type kindCheck struct {
	s  *Scenario
	c  *problems
	kp string
	// baselines holds, by comparing agent, the baseline program that a
	// sameResponses already named (one baseline per agent).
	baselines map[string]string
}

// at reports a problem at the kind's field key (the kind itself when key
// is empty).
func (k *kindCheck) at(key, format string, args ...any) {
	path := k.kp
	if key != "" {
		path += "." + key
	}
	k.c.at(path, format, args...)
}

// need reports a missing or unresolved required reference.
func (k *kindCheck) need(key, name string, ok bool, what string) {
	if name == "" {
		k.at("", "missing %s", key)
	} else if !ok {
		k.at(key, "no %s named %q", what, name)
	}
}

// opt reports an unresolved optional reference.
func (k *kindCheck) opt(key, name string, ok bool, what string) {
	if name != "" && !ok {
		k.at(key, "no %s named %q", what, name)
	}
}

// count checks a count's bounds (key "" for the kind's inline count).
func (k *kindCheck) count(key string, cnt *Count) {
	if cnt == nil {
		return
	}
	for _, v := range []*int64{cnt.Min, cnt.Max, cnt.Equals} {
		if v != nil && *v < 0 {
			k.at(key, "counts cannot be negative")
			return
		}
	}
	if cnt.Min != nil && cnt.Max != nil && *cnt.Min > *cnt.Max {
		k.at(key, "min %d is above max %d", *cnt.Min, *cnt.Max)
	}
	if cnt.Equals != nil && (cnt.Min != nil || cnt.Max != nil) {
		k.at(key, "equals excludes min and max")
	}
}

// server reports a reference that is not a built-in http-server.
func (k *kindCheck) server(key, name string) {
	pr, ok := k.s.refs.programs[name]
	switch {
	case name == "":
		k.at(key, "missing program name")
	case !ok:
		k.at(key, "no program named %q", name)
	case pr.Builtin != BuiltinHTTPServer:
		k.at(key, "program %q is not the built-in http-server (only it logs requests)", name)
	}
}

// compareAgent reports an agent reference that cannot compare responses.
func (k *kindCheck) compareAgent(key, name string) {
	got := k.s.CompareAgent(name)
	if got == "" {
		if name == "" {
			k.at(key, "the scenario has several built-in agents (or none): name the one that compares responses")
		}
		return
	}
	pr, ok := k.s.refs.programs[got]
	if !ok {
		k.at(key, "no program %q", got)
		return
	}
	if pr.Builtin != BuiltinAgent {
		k.at(key, "program %q is not the built-in agent", got)
	}
}

func (s *Scenario) checkExpect(c *problems) {
	keys := strings.Join(expectKinds.keys(), ", ")
	baselines := map[string]string{}
	for i, e := range s.Expect {
		p := fmt.Sprintf("expect[%d]", i)
		c.checkOneOf(e.decodeErrs, func(ec *problems) {
			if e.kinds != 1 || e.Check == nil {
				ec.at(p, "an expectation needs exactly one kind (%s); it has %d", keys, e.kinds)
				return
			}
			e.Check.check(&kindCheck{s: s, c: ec, kp: p + "." + e.key, baselines: baselines})
		})
	}
}

// checkOneOf reports the decoder's problems with an item of a list, and
// those that check finds on the lines where the decoder found none (as for
// the rest of the file, a line whose value could not be decoded has that
// problem only).
func (c *problems) checkOneOf(decodeErrs []string, check func(*problems)) {
	bad := map[int]bool{}
	for _, msg := range decodeErrs {
		dp := yamlProblem(c.s.File, msg)
		c.out, bad[dp.Line] = append(c.out, dp), true
	}
	ec := &problems{s: c.s}
	check(ec)
	for _, ep := range ec.out {
		if !bad[ep.Line] {
			c.out = append(c.out, ep)
		}
	}
}

// CompareAgent returns the agent program that compares responses for an
// expectation: the one named, or the scenario's only built-in agent.
func (s *Scenario) CompareAgent(name string) string {
	if name != "" {
		return name
	}
	only := ""
	for _, p := range s.Programs {
		if p.Builtin == BuiltinAgent {
			if only != "" {
				return ""
			}
			only = p.Name
		}
	}
	return only
}
