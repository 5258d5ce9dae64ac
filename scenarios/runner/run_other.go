//go:build !linux

package runner

import (
	"context"
	"time"

	"github.com/mirrorlab/mirrorlab/lab"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
)

// Run cannot run a scenario here; it judges a refused configuration only.
func Run(_ context.Context, s *spec.Scenario, _ Options) *Result {
	res := &Result{Scenario: s.Name, File: s.File, Started: time.Now(), Error: lab.Supported().Error()}
	obs := &Observations{Validation: s.ModelProblems()}
	res.Expectations, _ = Judge(s, obs)
	return res
}
