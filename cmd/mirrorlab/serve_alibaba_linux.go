package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
)

// serveLabSpec builds the scenario's lab with a live data plane started
// from st, hands the server's changes to it through fwd, records the lab
// for exec, status and down, calls start (which serves the API) once it
// runs, and keeps it up until ctx ends. It is serveLab for an API server
// other than ec2api's.
func serveLabSpec(ctx context.Context, a *app, s *spec.Scenario, st cloudmock.Spec, names map[string]string,
	o serveOpts, start func() (stop func() error), fwd *applyForwarder) error {
	unrecord := func() {}
	var stop func() error
	err := runner.Serve(ctx, s, runner.Options{StateDir: o.stateDir, Progress: a.stdout},
		runner.ServeConfig{Spec: &st, Names: names},
		func(info runner.LabInfo, lab runner.Served) error {
			fwd.set(lab.Apply, lab.TargetHealth)
			var err error
			if unrecord, err = recordLab(ctx, o.stateDir, info, ""); err != nil {
				return err
			}
			stop = start()
			return nil
		})
	fwd.set(nil, nil)
	if stop != nil {
		err = errors.Join(err, stop())
	}
	unrecord()
	if err != nil {
		return failed(err)
	}
	fmt.Fprintln(a.stdout, "lab down")
	return nil
}
