//go:build !linux

package runner

import (
	"context"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/lab"
)

// Run cannot run a scenario here; it judges a refused configuration only.
func Run(_ context.Context, s *spec.Scenario, _ Options) *report.Result {
	res := &report.Result{Scenario: s.Name, File: s.File, Started: time.Now(), Error: lab.Supported().Error()}
	obs := &report.Observations{Validation: s.ModelProblems()}
	res.Expectations, _, _ = report.Judge(s, obs)
	return res
}
