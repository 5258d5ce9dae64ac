package runner

import (
	"context"
	"errors"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/lab"
)

// Up builds the scenario's lab, starts the mirror service and the programs,
// calls ready with the running lab (to record it, lab.Publish), and keeps
// it all running until ctx ends; then it tears everything down. No traffic
// is driven and nothing is judged: the lab is there to be poked at by hand.
func Up(ctx context.Context, s *spec.Scenario, opts Options, ready func(*lab.Lab) error) error {
	return up(ctx, s, opts, nil, ready)
}

// Serve is Up for a lab whose mirror configuration changes while it runs
// (mirrorlab serve, driven through the EC2 API): the mirror service starts
// from cfg.Spec (default: the scenario's own) and captures on every ENI of
// the lab, so that a session created later on any of them mirrors; ready
// receives the running lab, whose Apply(ctx, lab.SetSpec{...}) swaps a new
// configuration in. It keeps the lab up until ctx ends.
func Serve(ctx context.Context, s *spec.Scenario, opts Options, cfg ServeConfig, ready func(*lab.Lab) error) error {
	if cfg.Spec == nil {
		ms := s.Model()
		cfg.Spec = &ms
	}
	return up(ctx, s, opts, &cfg, ready)
}

// ServeConfig is the mirror configuration a served lab starts from.
type ServeConfig struct {
	// Spec is the initial configuration (nil: the scenario's Model).
	// Its ids may differ from the scenario's names (the EC2 API's
	// AWS-shaped ids); its ENIs are found in the lab by address.
	Spec *cloudmock.Spec
	// Names maps Spec's ids to the scenario's names where they differ, so
	// that the scenario's settings by name (a load balancer target marked
	// unhealthy) still apply.
	Names map[string]string
}

func up(ctx context.Context, s *spec.Scenario, opts Options, served *ServeConfig, ready func(*lab.Lab) error) (err error) {
	if ps := s.ModelProblems(); ps != nil {
		return ps
	}
	r := newRun(s, opts)
	if served != nil {
		r.mspec, r.allENIs = *served.Spec, true
		r.ids = map[string]string{}
		for id, name := range served.Names {
			r.ids[name] = id
		}
	} else {
		r.mspec = s.Model()
	}
	buildErr := r.build(ctx)
	if r.lab == nil {
		return buildErr
	}
	defer func() { err = errors.Join(err, r.lab.Close()) }()
	if buildErr != nil {
		return buildErr
	}
	if err := ready(r.lab); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
