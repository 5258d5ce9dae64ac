package lab

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/dataplane"
)

// follow applies FollowSpec: the network grows to TopologyOf(spec), the
// new instances' user data starts, the mirror service takes the new
// model (capturing at the new ENIs, leaving the removed ones), the user
// data of instances that stopped or went is stopped, and the network
// shrinks. When a VPC went, the mirror service starts again on the new
// model (its pipelines index the lab's VPCs; the model's counters, flows
// and VNIs carry over).
func (l *Lab) follow(ctx context.Context, spec cloudmock.Spec) error {
	topo, err := TopologyOf(spec)
	if err != nil {
		return fmt.Errorf("follow the model: %w", err)
	}
	if err := l.sim.Grow(ctx, topo); err != nil {
		return fmt.Errorf("follow the model: add: %w", err)
	}
	runs := userDataOf(spec)
	errs := []error{l.startUserData(ctx, runs)}
	fabrics := len(l.sim.Fabrics())
	if svc := l.Service(); svc != nil {
		err := svc.Apply(spec)
		if errors.Is(err, dataplane.ErrFabricsChanged) {
			err = l.restartMirror(ctx, spec)
		}
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	l.mu.Lock()
	l.spec = spec
	l.mu.Unlock()
	errs = append(errs, l.stopUserData(runs))
	if err := l.sim.Shrink(topo); err != nil {
		errs = append(errs, fmt.Errorf("follow the model: remove: %w", err))
	}
	if len(l.sim.Fabrics()) < fabrics && l.Service() != nil {
		errs = append(errs, l.restartMirror(ctx, spec))
	}
	return errors.Join(errs...)
}

// restartMirror stops the mirror service and starts it again on spec,
// with the running model's state (counters, flows, VNIs, target health).
func (l *Lab) restartMirror(ctx context.Context, spec cloudmock.Spec) error {
	old := l.Model()
	l.mu.Lock()
	m := l.mirror
	l.mu.Unlock()
	if err := l.stopMirror(); err != nil {
		return err
	}
	m.Spec = spec
	opts := append(append([]cloudmock.Option(nil), m.ModelOptions...), cloudmock.WithStateFrom(old))
	model, err := cloudmock.New(spec, opts...)
	if err != nil {
		return fmt.Errorf("restart the mirror service: %w", err)
	}
	m.Unhealthy = nil // the carried-over model knows its targets' health
	if err := l.startMirror(ctx, m, model); err != nil {
		return fmt.Errorf("restart the mirror service: %w", err)
	}
	return nil
}
