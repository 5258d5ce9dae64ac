package spec

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

// sameRequests checks that the test server received the requests production
// received (method, path and body), at least Completeness of them (0..1,
// default 1), and nothing production did not.
type sameRequests struct {
	Production   string  `yaml:"production"`
	Test         string  `yaml:"test"`
	Completeness float64 `yaml:"completeness"`
}

func (sr *sameRequests) check(k *kindCheck) {
	k.server("production", sr.Production)
	k.server("test", sr.Test)
	if sr.Completeness < 0 || sr.Completeness > 1 {
		k.at("completeness", "completeness %v: want 0..1", sr.Completeness)
	}
}

func (sr *sameRequests) describe() string {
	return fmt.Sprintf("%s received the same requests as %s", sr.Test, sr.Production)
}

func (sr *sameRequests) judge(j *judging) {
	want := cmp.Or(sr.Completeness, 1)
	c := workload.CompareRequests(j.o.Requests[sr.Production], j.o.Requests[sr.Test])
	j.v.Want = fmt.Sprintf("test got >= %.0f%% of production's requests (method, path, body), none extra", want*100)
	j.v.Observed = fmt.Sprintf("production %d, test %d, matched %d (%.1f%%), missing %d, unexpected %d",
		c.Production, c.Test, c.Matched, 100*c.Completeness(), c.MissingN, c.UnexpectedN)
	j.v.Passed = c.Completeness() >= want && c.UnexpectedN == 0 && c.Production > 0
	var ex []string
	for _, r := range c.Missing {
		ex = append(ex, fmt.Sprintf("missing %s %s (%d-byte body)", r.Method, r.Path, len(r.Body)))
	}
	for _, r := range c.Unexpected {
		ex = append(ex, fmt.Sprintf("unexpected %s %s (%d-byte body)", r.Method, r.Path, len(r.Body)))
	}
	if len(ex) > 0 {
		j.v.Detail = strings.Join(ex, "; ")
	}
	if c.Production == 0 {
		j.v.Detail = "production received no request"
	}
	j.v.Requests = &RequestComparison{Production: sr.Production, Test: sr.Test, Comparison: c}
}
