package runner

import (
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
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
		switch k := e.Check.(type) {
		case *spec.SameResponses:
			if s.CompareAgent(k.Agent) != name {
				continue
			}
			o.on = true
			o.headers = append(o.headers, k.IgnoreHeaders...)
			o.jsonPs = append(o.jsonPs, k.IgnoreJSON...)
			if b := k.Baseline; b != "" && o.baseline == "" {
				o.baseline = b
				o.baselineURL, o.baselineErr = s.ServerURL(b)
			}
		case *spec.ResponseLatency:
			o.on = o.on || s.CompareAgent(k.Agent) == name
		}
	}
	return o
}
