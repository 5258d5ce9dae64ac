package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/sim"
)

// Up builds the scenario's lab, starts the mirror service and the programs,
// calls ready with the lab's description, and keeps it all running until
// ctx ends; then it tears everything down. No traffic is driven and nothing
// is judged: the lab is there to be poked at by hand.
func Up(ctx context.Context, s *spec.Scenario, opts Options, ready func(LabInfo) error) (err error) {
	if ps := s.ModelProblems(); ps != nil {
		return ps
	}
	if err := Supported(); err != nil {
		return err
	}
	r := newRun(s, opts)
	if r.mspec, err = s.ModelSpec(); err != nil {
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
	info := LabInfo{PID: os.Getpid(), RunID: r.lab.RunID(), Scenario: s.Name, File: s.File, Started: time.Now(),
		Instances: map[string]string{}, Addrs: map[string]string{}}
	for _, in := range r.lab.Instances() {
		info.Instances[in.Name] = in.NsName
		for _, e := range in.ENIs {
			info.Addrs[in.Name+"/"+e.IfName] = e.IP.String()
		}
	}
	if err := ready(info); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
