package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// JSON carries durations in seconds, and reads them back.
func TestDurationsInSecondsInJSON(t *testing.T) {
	in := Result{Scenario: "s", Duration: 12500 * time.Millisecond,
		Traffic: []TrafficResult{{Name: "load", TrafficCounts: spec.TrafficCounts{Sent: 3}, Elapsed: 1500 * time.Millisecond}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"duration":12.5`, `"elapsed":1.5`, `"scenario":"s"`, `"sent":3`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no %s in %s", want, b)
		}
	}
	if strings.Count(string(b), `"duration"`) != 1 {
		t.Errorf("duration twice: %s", b)
	}
	var out Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Duration != in.Duration || out.Scenario != "s" || len(out.Traffic) != 1 || out.Traffic[0].Elapsed != in.Traffic[0].Elapsed || out.Traffic[0].Sent != 3 {
		t.Fatalf("round trip: %+v", out)
	}
	// a pointer and a list marshal the same way
	b2, _ := json.Marshal([]*Result{&in})
	if !strings.Contains(string(b2), `"duration":12.5`) {
		t.Errorf("[]*Result: %s", b2)
	}
}
