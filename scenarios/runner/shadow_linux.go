package runner

import (
	"fmt"

	"github.com/mirrorlab/mirrorlab/agent"
)

// apply turns the comparison on in an agent's configuration (its own
// -compare flags stay) and points it at the expectations' baseline server.
func (o compareOpts) apply(cfg *agent.Config) error {
	if !o.on {
		return nil
	}
	cfg.Compare = true
	cfg.CompareIgnoreHeaders = append(cfg.CompareIgnoreHeaders, o.headers...)
	cfg.CompareIgnoreJSON = append(cfg.CompareIgnoreJSON, o.jsonPs...)
	if o.baseline == "" {
		return nil
	}
	if o.baselineErr != nil {
		return fmt.Errorf("sameResponses baseline: %w", o.baselineErr)
	}
	if cfg.CompareBaseline != "" && cfg.CompareBaseline != o.baselineURL {
		return fmt.Errorf("sameResponses baseline %s is %s, but the agent's own -compare-baseline is %s: give one of them",
			o.baseline, o.baselineURL, cfg.CompareBaseline)
	}
	cfg.CompareBaseline = o.baselineURL
	return nil
}
