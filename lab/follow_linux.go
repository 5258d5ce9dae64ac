package lab

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// follow applies FollowSpec: the network grows to TopologyOf(spec), the
// new instances' user data starts, the mirror service takes the new
// model (capturing at the new ENIs, leaving the removed ones), the user
// data of instances that stopped or went is stopped, and the network
// shrinks. When a VPC, a peering or a transit gateway goes, the mirror
// service stops before and starts again after (it works in every fabric,
// indexes them and forwards over their links; the model's counters, flows
// and VNIs carry over, the pipelines' counters restart); when one comes,
// the service says so (dataplane.ErrFabricsChanged) and starts again.
func (l *Lab) follow(ctx context.Context, spec cloudmock.Spec) error {
	topo, err := TopologyOf(spec)
	if err != nil {
		return fmt.Errorf("follow the model: %w", err)
	}
	if err := l.sim.Grow(ctx, topo); err != nil {
		return errors.Join(fmt.Errorf("follow the model: add: %w", err), l.rollBack())
	}
	runs := userDataOf(spec)
	errs := []error{l.startUserData(ctx, runs)}
	svc := l.Service()
	if svc != nil {
		err := svc.Apply(spec)
		if errors.Is(err, dataplane.ErrFabricsChanged) {
			err = l.restartMirror(ctx, spec, nil)
		}
		if err != nil {
			return errors.Join(append(errs, err, l.rollBack())...)
		}
	}
	l.mu.Lock()
	l.spec = spec
	l.mu.Unlock()
	errs = append(errs, l.stopUserData(runs))
	shrink := func() error {
		if err := l.sim.Shrink(topo); err != nil {
			return fmt.Errorf("follow the model: remove: %w", err)
		}
		return nil
	}
	if svc != nil && l.losesFabricOrLink(topo) {
		// The service works in every fabric: it stops before one goes.
		errs = append(errs, l.restartMirror(ctx, spec, shrink))
	} else {
		errs = append(errs, shrink())
	}
	return errors.Join(errs...)
}

// rollBack takes away what a FollowSpec that failed added to the network
// (and their user data), back to the model in force: the API server keeps
// that model when the lab refuses a change. (What the change rebuilt
// stays as rebuilt.)
func (l *Lab) rollBack() error {
	l.mu.Lock()
	prev := l.spec
	l.mu.Unlock()
	topo, err := TopologyOf(prev)
	if err != nil {
		return fmt.Errorf("roll back: %w", err)
	}
	errs := []error{l.stopUserData(userDataOf(prev))}
	if err := l.sim.Shrink(topo); err != nil {
		errs = append(errs, fmt.Errorf("roll back: %w", err))
	}
	return errors.Join(errs...)
}

// losesFabricOrLink says whether the lab has a VPC, a peering or a
// transit gateway that topo lacks (or has otherwise: Grow rebuilt it).
func (l *Lab) losesFabricOrLink(topo sim.Topology) bool {
	keep := map[string]bool{}
	for _, v := range topo.VPCs {
		keep["vpc "+v.Name] = true
	}
	for _, p := range topo.Peerings {
		keep["pcx "+p.Name] = true
	}
	for _, g := range topo.TransitGateways {
		keep["tgw "+g.Name] = true
	}
	for _, f := range l.sim.Fabrics() {
		if !keep["vpc "+f.VPC] {
			return true
		}
	}
	for _, p := range l.sim.Peerings() {
		if !keep["pcx "+p.Name] {
			return true
		}
	}
	for _, g := range l.sim.TransitGateways() {
		if !keep["tgw "+g.Name] {
			return true
		}
	}
	return false
}

// restartMirror stops the mirror service, runs between (when not nil),
// and starts the service again on spec, with the running model's state
// (counters, flows, VNIs, target health).
func (l *Lab) restartMirror(ctx context.Context, spec cloudmock.Spec, between func() error) error {
	old := l.Model()
	l.mu.Lock()
	m := l.mirror
	l.mu.Unlock()
	if err := l.stopMirror(); err != nil {
		return err
	}
	var errs []error
	if between != nil {
		errs = append(errs, between())
	}
	m.Spec = spec
	opts := append(append([]cloudmock.Option(nil), m.ModelOptions...), cloudmock.WithStateFrom(old))
	model, err := cloudmock.New(spec, opts...)
	if err != nil {
		return fmt.Errorf("restart the mirror service: %w", err)
	}
	m.Unhealthy = nil // the carried-over model knows its targets' health
	if err := l.startMirror(ctx, m, model); err != nil {
		errs = append(errs, fmt.Errorf("restart the mirror service: %w", err))
	}
	return errors.Join(errs...)
}
