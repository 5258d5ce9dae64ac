package runner

import (
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// The library's shadow-baseline points its agent at the baseline server
// (its address and port); an agent whose own -compare-baseline names
// another server is refused.
func TestCompareSettingsBaseline(t *testing.T) {
	s, err := spec.Load("../../../scenarios/library/shadow-baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := compareSettings(s, "adapter-agent")
	var cfg agent.Config
	if err := o.apply(&cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.Compare || cfg.CompareBaseline != "http://10.0.0.37:80" {
		t.Fatalf("compare %v, baseline %q", cfg.Compare, cfg.CompareBaseline)
	}
	cfg = agent.Config{CompareBaseline: "http://10.0.0.99"}
	if err := o.apply(&cfg); err == nil || !strings.Contains(err.Error(), "-compare-baseline is http://10.0.0.99") {
		t.Fatalf("conflicting baselines: %v", err)
	}
	if o := compareSettings(s, "production"); o.on || o.baseline != "" {
		t.Fatalf("production's settings %+v", o)
	}
}
