package spec

import (
	"strings"
)

// TrafficOutcome checks a traffic step: how many of its requests (or
// packets) succeeded.
type TrafficOutcome struct {
	Name      string `yaml:"name"`
	Succeeded *Count `yaml:"succeeded"`
	Failed    *Count `yaml:"failed"`
}

func (t *TrafficOutcome) check(k *kindCheck) {
	_, ok := k.s.refs.traffic[t.Name]
	k.need("name", t.Name, ok, "traffic step")
	k.count("succeeded", t.Succeeded)
	k.count("failed", t.Failed)
}

func (t *TrafficOutcome) describe() string { return "traffic " + t.Name }

func (t *TrafficOutcome) judge(j *judging) {
	tr := j.o.Traffic[t.Name]
	j.v.Passed = true
	var want []string
	for _, b := range []struct {
		label string
		c     *Count
		got   int64
	}{{"succeeded", t.Succeeded, tr.Succeeded}, {"failed", t.Failed, tr.Failed}} {
		if b.c == nil {
			continue
		}
		w, ok := b.c.bounds(b.got)
		want = append(want, b.label+" "+w)
		j.v.Passed = j.v.Passed && ok
	}
	if len(want) == 0 { // nothing said: every request or packet succeeded
		want = []string{"failed = 0"}
		j.v.Passed = tr.Failed == 0 && tr.Sent > 0
	}
	j.v.Want = strings.Join(want, ", ")
	j.v.Observed = tr.String()
	if !j.v.Passed && len(tr.Errors) > 0 {
		j.v.Detail = "errors: " + strings.Join(tr.Errors, "; ")
	}
}
