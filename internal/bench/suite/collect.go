package suite

import (
	"github.com/mirrorlab/mirrorlab/internal/bench/report"
)

// spec describes a figure: everything but its runs.
type spec struct {
	name, group, unit string
	params            map[string]string
	higherIsBetter    bool
	informational     bool
	reference         string // key of the reference measurement
}

func (s spec) key() string { return report.Key(s.name, s.params) }

// collector gathers runs per figure, keeping first-seen order.
type collector struct {
	order []string
	specs map[string]spec
	runs  map[string][]float64
	errs  map[string]string
	notes map[string]string
}

func newCollector() *collector {
	return &collector{specs: map[string]spec{}, runs: map[string][]float64{}, errs: map[string]string{}, notes: map[string]string{}}
}

func (c *collector) declare(s spec) string {
	k := s.key()
	if _, ok := c.specs[k]; !ok {
		c.order = append(c.order, k)
		c.specs[k] = s
	}
	return k
}

// add records one run of a figure.
func (c *collector) add(s spec, v float64) {
	k := c.declare(s)
	c.runs[k] = append(c.runs[k], v)
}

// fail records why a figure could not be measured (the first reason wins).
func (c *collector) fail(s spec, err error) {
	k := c.declare(s)
	if _, ok := c.errs[k]; !ok {
		c.errs[k] = err.Error()
	}
}

// note attaches a caveat to a figure (kept once).
func (c *collector) note(s spec, n string) {
	k := c.declare(s)
	if c.notes[k] == "" {
		c.notes[k] = n
	}
}

// fill adds every figure to r; a figure with an error and no runs carries
// the error, one with runs and an error keeps the runs and notes the error.
func (c *collector) fill(r *report.Result) {
	for _, k := range c.order {
		s := c.specs[k]
		m := report.Measurement{Name: s.name, Group: s.group, Params: s.params, Unit: s.unit, Runs: c.runs[k],
			HigherIsBetter: s.higherIsBetter,
			// Only our figures are compared between results: references and
			// the peer describe the machine, and enter through ratios.
			Informational: s.informational || s.group != "ours", Reference: s.reference, Note: c.notes[k]}
		if e := c.errs[k]; e != "" {
			if len(m.Runs) == 0 {
				m.Error = e
			} else {
				m.Note = joinNote(m.Note, "some runs failed: "+e)
			}
		}
		r.Add(m)
	}
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
