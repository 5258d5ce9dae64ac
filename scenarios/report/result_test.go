package report

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mirrorlab/mirrorlab/scenarios/workload"
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
