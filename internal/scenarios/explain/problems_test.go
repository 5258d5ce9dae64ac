package explain

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// `explain --json` and `run --json` write a refused configuration's
// problems in one shape, with the keys that either wrote before (text,
// line, code, resource, field, message), and a result read back keeps
// each problem's text.
func TestProblemsShapeMatchesRun(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/quota-violation.yaml", Options{})
	s, err := spec.Load("../../../scenarios/library/quota-violation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run := &report.Result{Scenario: s.Name, Validation: s.ModelProblems()}
	var ex struct {
		Problems []map[string]any `json:"problems"`
	}
	var rr struct {
		Validation []map[string]any `json:"validation"`
	}
	for _, c := range []struct {
		v   any
		out any
	}{{r, &ex}, {run, &rr}} {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, c.out); err != nil {
			t.Fatal(err)
		}
	}
	if len(ex.Problems) != 1 || !reflect.DeepEqual(ex.Problems, rr.Validation) {
		t.Fatalf("explain %v, run %v", ex.Problems, rr.Validation)
	}
	for _, k := range []string{"text", "line", "code", "resource", "field", "message"} {
		if _, ok := ex.Problems[0][k]; !ok {
			t.Errorf("no %q in %v", k, ex.Problems[0])
		}
	}
	b, _ := json.Marshal(run)
	var back report.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := back.Validation[0].Error(), s.ModelProblems()[0].Error(); got != want {
		t.Fatalf("read back %q, want %q", got, want)
	}
}
