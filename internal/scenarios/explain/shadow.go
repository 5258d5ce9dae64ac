package explain

import (
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// Comparison is what a sameResponses expectation asks of its agent
// (shadow testing): whose answers it compares, and where noise comes from.
type Comparison struct {
	Agent      string `json:"agent"`
	Production string `json:"production"`
	Test       string `json:"test"`
	// Baseline is the baseline server and BaselineURL where the agent
	// replays to it (-compare-baseline); without one, noise is learned
	// from production answering identical requests differently.
	Baseline    string `json:"baseline,omitempty"`
	BaselineURL string `json:"baselineUrl,omitempty"`
}

func comparisons(s *spec.Scenario) []Comparison {
	var out []Comparison
	for _, e := range s.Expect {
		sr, ok := e.Check.(*spec.SameResponses)
		if !ok {
			continue
		}
		c := Comparison{Agent: s.CompareAgent(sr.Agent), Production: sr.Production, Test: sr.Test, Baseline: sr.Baseline}
		if c.Baseline != "" {
			u, err := s.ServerURL(c.Baseline)
			if err != nil {
				u = err.Error()
			}
			c.BaselineURL = u
		}
		out = append(out, c)
	}
	return out
}

func (c Comparison) String() string {
	s := fmt.Sprintf("%s compares %s's answers with %s's (-compare); noise: ", c.Agent, c.Production, c.Test)
	if c.Baseline == "" {
		return s + "fields production answers identical requests differently on"
	}
	return s + fmt.Sprintf("what production and the baseline %s disagree on (-compare-baseline %s)", c.Baseline, c.BaselineURL)
}
