package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/sim"
)

// Up builds the scenario's lab, starts the mirror service and the programs,
// calls ready with the lab's description, and keeps it all running until
// ctx ends; then it tears everything down. No traffic is driven and nothing
// is judged: the lab is there to be poked at by hand.
func Up(ctx context.Context, s *spec.Scenario, opts Options, ready func(LabInfo) error) error {
	return up(ctx, s, opts, nil, func(info LabInfo, _ *run) error { return ready(info) })
}

// Serve is Up for a lab whose mirror configuration changes while it runs
// (mirrorlab serve, driven through the EC2 API): the mirror service starts
// from cfg.Spec (default: the scenario's own), captures on every ENI of the
// lab, so that a session created later on any of them mirrors, and ready
// receives, besides the lab's description, the function that applies a
// new configuration to the running service (atomically, see
// dataplane.Service.Apply). It keeps the lab up until ctx ends.
func Serve(ctx context.Context, s *spec.Scenario, opts Options, cfg ServeConfig, ready func(LabInfo, Served) error) error {
	if cfg.Spec == nil {
		ms, err := s.ModelSpec()
		if err != nil {
			return err
		}
		cfg.Spec = &ms
	}
	return up(ctx, s, opts, &cfg, func(info LabInfo, r *run) error {
		return ready(info, Served{Apply: r.svc.Apply, TargetHealth: func(lb, eni string) (bool, error) {
			return r.svc.Model().TargetHealth(lb, eni)
		}})
	})
}

// Served is what a served lab hands to the API server while it runs.
type Served struct {
	// Apply swaps a new configuration into the running mirror service.
	Apply func(cloudmock.Spec) error
	// TargetHealth says whether a load balancer's registered target is
	// healthy, as the data plane's health checks last found it.
	TargetHealth func(loadBalancerArn, networkInterfaceID string) (bool, error)
}

// ServeConfig is the mirror configuration a served lab starts from.
type ServeConfig struct {
	// Spec is the initial configuration (nil: the scenario's ModelSpec).
	// Its ids may differ from the scenario's names (the EC2 API's
	// AWS-shaped ids); its ENIs are found in the lab by address.
	Spec *cloudmock.Spec
	// Names maps Spec's ids to the scenario's names where they differ, so
	// that the scenario's settings by name (a load balancer target marked
	// unhealthy) still apply.
	Names map[string]string
}

func up(ctx context.Context, s *spec.Scenario, opts Options, served *ServeConfig, ready func(LabInfo, *run) error) (err error) {
	if ps := s.ModelProblems(); ps != nil {
		return ps
	}
	if err := Supported(); err != nil {
		return err
	}
	r := newRun(s, opts)
	if served != nil {
		r.mspec, r.allENIs = *served.Spec, true
		r.ids = map[string]string{}
		for id, name := range served.Names {
			r.ids[name] = id
		}
	} else if r.mspec, err = s.ModelSpec(); err != nil {
		return err
	}
	if r.model, err = cloudmock.New(r.mspec, cloudmock.WithSeed(s.Seed())); err != nil {
		return fmt.Errorf("build the provider model: %w", err)
	}
	topo, err := s.Topology()
	if err != nil {
		return err
	}
	if r.lab, err = sim.Realize(ctx, topo, sim.Options{RunID: opts.RunID, StateDir: opts.StateDir}); err != nil {
		return fmt.Errorf("build the VPC: %w", err)
	}
	defer func() { err = errors.Join(err, r.teardown()) }()
	if err := r.addVXLANDevices(); err != nil {
		return err
	}
	if err := r.startDataPlane(ctx); err != nil {
		return err
	}
	if err := r.startPrograms(ctx); err != nil {
		return err
	}
	info := r.labInfo()
	info.Started = time.Now()
	// Deferred after the teardown, so it runs before: the last status is
	// read while everything still runs.
	g := &statusGuard{r: r}
	defer g.close()
	info.Status = g.get
	if err := ready(info, r); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
