package report

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

// TestResultJSONRoundTrip: what --json writes reads back whole (report
// merge and the HTML report read it), in particular a comparison's
// program names and its counts, whose field names are alike.
func TestResultJSONRoundTrip(t *testing.T) {
	in := Result{Scenario: "s", Comparisons: []Comparison{{Production: "prod", Test: "test-server",
		Comparison: workload.Comparison{Production: 100, Test: 99, Matched: 98, MissingN: 2}}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Comparisons, out.Comparisons) {
		t.Fatalf("comparisons after a JSON round trip:\n got %+v\nwant %+v\n(JSON %s)", out.Comparisons, in.Comparisons, b)
	}
}

// A report of an older version (its problems only text, line, code,
// resource and field) reads back with each problem's words.
func TestOldProblemsReadBack(t *testing.T) {
	var r Result
	old := `{"scenario":"s","validation":[{"text":"f.yaml:3:5: mirror.sessions[s]: X: too many","line":3,"code":"X","resource":"TrafficMirrorSession s","field":"SessionNumber"}]}`
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Validation) != 1 || r.Validation[0].Error() != "f.yaml:3:5: mirror.sessions[s]: X: too many" || r.Validation[0].Code != "X" {
		t.Fatalf("read back %+v", r.Validation)
	}
}
