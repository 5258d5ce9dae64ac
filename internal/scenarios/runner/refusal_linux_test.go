package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// A configuration that the provider refuses, in a scenario that does not
// expect it, is reported once, with every problem: in the summary, the
// JSON and the JUnit; the expectations are not judged (and not passed).
// Nothing is built, so this needs no root.
func TestRefusedRunSaysWhyOnce(t *testing.T) {
	src, err := os.ReadFile("../../../scenarios/library/quota-violation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	text = text[:strings.Index(text, "expect:")] + `expect:
  - name: first
    mirrored: {session: s1}
  - name: second
    mirrored: {session: s2}
  - name: third
    mirrored: {session: s3}
`
	s, err := spec.Parse("quota.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	r := Run(context.Background(), s, Options{})
	if r.Passed || !strings.Contains(r.Error, "refuses the configuration") || !strings.Contains(r.Error, "quota.yaml:35:18:") || !strings.Contains(r.Error, "TrafficMirrorSessionLimitExceeded") {
		t.Fatalf("passed %v, error %q", r.Passed, r.Error)
	}
	for _, v := range r.Expectations {
		if !v.NotRun || v.Passed {
			t.Errorf("verdict %+v: want not run, not passed", v)
		}
	}
	var sum bytes.Buffer
	report.WriteSummary(&sum, r)
	out := sum.String()
	if strings.Count(out, "TrafficMirrorSessionLimitExceeded") != 1 || strings.Contains(out, "a completed run") ||
		!strings.Contains(out, "not judged, the run stopped first (3): first; second; third") {
		t.Fatalf("summary:\n%s", out)
	}
	var junit bytes.Buffer
	if err := report.WriteJUnit(&junit, []*report.Result{r}); err != nil {
		t.Fatal(err)
	}
	x := junit.String()
	if strings.Count(x, "TrafficMirrorSessionLimitExceeded") < 1 || !strings.Contains(x, `errors="1"`) || !strings.Contains(x, `skipped="3"`) ||
		strings.Count(x, "<skipped") != 3 || strings.Contains(x, "<failure") {
		t.Fatalf("junit:\n%s", x)
	}
	b, _ := json.Marshal(r)
	if j := string(b); !strings.Contains(j, `"error":"the provider refuses the configuration`) || strings.Count(j, `"notRun":true`) != 3 || strings.Contains(j, "a completed run") {
		t.Errorf("json: %s", j)
	}
}

// The scenario that expects the refusal passes, and shows it.
func TestExpectedRefusalPasses(t *testing.T) {
	s, err := spec.Load("../../../scenarios/library/quota-violation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := Run(context.Background(), s, Options{})
	var sum bytes.Buffer
	report.WriteSummary(&sum, r)
	if !r.Passed || r.Error != "" || !strings.Contains(sum.String(), "refused: ") {
		t.Fatalf("passed %v, error %q\n%s", r.Passed, r.Error, sum.String())
	}
}
