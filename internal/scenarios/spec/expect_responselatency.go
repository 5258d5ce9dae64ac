package spec

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
)

// ResponseLatency checks the test server's response latency against
// production's at a percentile (50, 90 or 99; default 99): test <=
// production x MaxRatio (default 1.5) + SlackMs (default 5: production's
// latency is seen from the mirror, the test's from the replaying client,
// which adds its own overhead). Turns on -compare like SameResponses.
type ResponseLatency struct {
	Test       string   `yaml:"test"`
	Agent      string   `yaml:"agent"`
	MaxRatio   float64  `yaml:"maxRatio"`
	Percentile float64  `yaml:"percentile"`
	SlackMs    *float64 `yaml:"slackMs"`
}

func (rl *ResponseLatency) check(k *kindCheck) {
	k.server("test", rl.Test)
	k.compareAgent("agent", rl.Agent)
	if rl.MaxRatio < 0 {
		k.at("maxRatio", "maxRatio %v: must be positive", rl.MaxRatio)
	}
	if p := rl.Percentile; p != 0 && p != 50 && p != 90 && p != 99 {
		k.at("percentile", "percentile %v: want 50, 90 or 99", rl.Percentile)
	}
	if rl.SlackMs != nil && *rl.SlackMs < 0 {
		k.at("slackMs", "slackMs %v: must not be negative", *rl.SlackMs)
	}
}

func (rl *ResponseLatency) describe() string {
	return fmt.Sprintf("%s answers about as fast as production", rl.Test)
}

func (rl *ResponseLatency) judge(j *judging) {
	ratio, pct, slack := rl.MaxRatio, rl.Percentile, 5.0
	ratio = cmp.Or(ratio, 1.5)
	pct = cmp.Or(pct, 99)
	if rl.SlackMs != nil {
		slack = *rl.SlackMs
	}
	j.v.Want = fmt.Sprintf("test p%g <= production p%g x %g + %g ms", pct, pct, ratio, slack)
	st := j.responses(rl.Agent)
	if st == nil {
		return
	}
	prod, test := st.ProdP99ms, st.TestP99ms
	switch pct {
	case 50:
		prod, test = st.ProdP50ms, st.TestP50ms
	case 90:
		prod, test = st.ProdP90ms, st.TestP90ms
	}
	j.v.Observed = fmt.Sprintf("production p%g %.2f ms, test p%g %.2f ms over %d pairs", pct, prod, pct, test, st.Compared+st.Incomplete)
	j.v.Passed = st.Compared > 0 && test <= prod*ratio+slack
	if !j.v.Passed && st.Compared > 0 {
		var slow []string
		for _, e := range st.Endpoints {
			if e.TestP99ms > e.ProdP99ms*ratio+slack {
				slow = append(slow, fmt.Sprintf("%s: p99 %.2f ms vs production %.2f ms", e.Endpoint, e.TestP99ms, e.ProdP99ms))
			}
		}
		sort.Strings(slow)
		j.v.Detail = strings.Join(slow, "; ")
	}
}
