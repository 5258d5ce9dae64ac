package spec

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Metric checks a named counter: a provider metric of a source interface
// (NetworkPacketsMirrorIn, …), or a counter of an agent program's stats.
type Metric struct {
	NetworkInterface string `yaml:"networkInterface"`
	Program          string `yaml:"program"`
	Name             string `yaml:"name"`
	Count            `yaml:",inline"`
}

func (m *Metric) check(k *kindCheck) {
	r := k.s.refs
	_, okE := r.enis[m.NetworkInterface]
	pr, okP := r.programs[m.Program]
	switch {
	case (m.NetworkInterface == "") == (m.Program == ""):
		k.at("", "a metric needs networkInterface (provider metrics) or program (agent stats)")
	case m.NetworkInterface != "":
		k.opt("networkInterface", m.NetworkInterface, okE, "network interface")
	default:
		k.opt("program", m.Program, okP, "program")
		if okP && pr.Builtin != BuiltinAgent {
			k.at("program", "program %q is not the built-in agent", m.Program)
		}
	}
	if m.Name == "" {
		k.at("", "missing name")
	}
	k.count("", &m.Count)
}

func (m *Metric) describe() string { return "metric " + m.Name }

func (m *Metric) judge(j *judging) {
	got, ok := m.value(j.o)
	j.count(m.Count, got)
	if !ok {
		j.v.Passed = false
		j.v.Observed = "no such metric"
		j.v.Detail = fmt.Sprintf("metric %q was not found", m.Name)
	}
}

func (m *Metric) value(o *Observations) (int64, bool) {
	if m.Program != "" {
		v, ok := o.AgentStats[m.Program][m.Name]
		return int64(v), ok
	}
	c := o.Model.ENIs[m.NetworkInterface]
	if reason, ok := strings.CutPrefix(m.Name, "NotMirrored."); ok {
		return int64(c.NotMirrored[reason]), true
	}
	b, _ := json.Marshal(c)
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	v, ok := fields[m.Name].(float64)
	return int64(v), ok
}
