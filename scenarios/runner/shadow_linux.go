package runner

import "github.com/mirrorlab/mirrorlab/agent"

// apply turns the comparison on in an agent's configuration (its own
// -compare flags stay).
func (o compareOpts) apply(cfg *agent.Config) {
	if !o.on {
		return
	}
	cfg.Compare = true
	cfg.CompareIgnoreHeaders = append(cfg.CompareIgnoreHeaders, o.headers...)
	cfg.CompareIgnoreJSON = append(cfg.CompareIgnoreJSON, o.jsonPs...)
}
