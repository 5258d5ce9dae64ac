package htmlreport

import (
	"encoding/json"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

// fixture is real results (testdata/results.json, written by
// `mirrorlab run --json` as root on the default scenario and six of the
// library's: an NLB with two agents, session priority, a NACL that drops
// the copies, a refused quota, MTU truncation, and shadow-regression, whose
// test server answers two endpoints differently) with their scenarios.
func fixture(t testing.TB) []Run {
	t.Helper()
	b, err := os.ReadFile("testdata/results.json")
	if err != nil {
		t.Fatal(err)
	}
	var results []*report.Result
	if err := json.Unmarshal(b, &results); err != nil {
		t.Fatal(err)
	}
	var runs []Run
	for _, r := range results {
		name := ""
		if r.File != scenarios.DefaultName {
			name = strings.TrimSuffix(path.Base(r.File), ".yaml")
		}
		s, err := scenarios.Load(name)
		if err != nil {
			t.Fatalf("%s: %v", r.File, err)
		}
		runs = append(runs, Run{Scenario: s, Result: r})
	}
	if len(runs) < 5 {
		t.Fatalf("fixture has %d runs", len(runs))
	}
	return runs
}
