//go:build !linux

package runner

import (
	"context"
	"errors"
	"time"

	"github.com/mirrorlab/mirrorlab/scenarios/spec"
)

// errNotLinux: the emulated VPC is made of Linux network namespaces.
var errNotLinux = errors.New("needs Linux (network namespaces, veth, AF_PACKET); use `mirrorlab explain` here")

// Supported reports whether this system can run scenarios: never, here.
func Supported() error { return errNotLinux }

// Run cannot run a scenario here; it judges a refused configuration only.
func Run(_ context.Context, s *spec.Scenario, _ Options) *Result {
	res := &Result{Scenario: s.Name, File: s.File, Started: time.Now(), Error: errNotLinux.Error()}
	obs := &Observations{Validation: s.ModelProblems()}
	res.Expectations, _ = Judge(s, obs)
	return res
}
