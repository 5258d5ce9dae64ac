package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/lab"
)

// serveLab builds the scenario's lab with a live data plane started from
// st (the API server's state, either provider's), hands the server's
// changes to it (with fwd.follow, the lab's network follows them too:
// lab.FollowSpec), records the lab
// for exec, status and down, calls start (which serves the API) once it runs, and
// keeps it up until ctx ends.
func serveLab(ctx context.Context, a *app, s *spec.Scenario, st cloudmock.Spec, names map[string]string,
	o serveOpts, start func() (stop func() error), fwd *applyForwarder) error {
	var stop func() error
	err := runner.Serve(ctx, s, runner.Options{StateDir: o.stateDir, Progress: a.stdout},
		runner.ServeConfig{Spec: &st, Names: names},
		func(l *lab.Lab) error {
			change := func(s cloudmock.Spec) lab.Change { return lab.SetSpec{Spec: s} }
			if fwd.follow {
				change = func(s cloudmock.Spec) lab.Change { return lab.FollowSpec{Spec: s} }
				fwd.setConsole(l.ConsoleOutput)
			}
			fwd.set(func(s cloudmock.Spec) error { return l.Apply(ctx, change(s)) }, l.TargetHealth)
			l.OnClose(func() error { fwd.set(nil, nil); fwd.setConsole(nil); return nil })
			if err := l.Publish(""); err != nil {
				return err
			}
			stop = start()
			return nil
		})
	fwd.set(nil, nil)
	if stop != nil {
		err = errors.Join(err, stop())
	}
	if err != nil {
		return failed(err)
	}
	fmt.Fprintln(a.stdout, "lab down")
	return nil
}
