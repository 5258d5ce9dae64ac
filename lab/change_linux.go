package lab

import "github.com/mirrorlab/mirrorlab/cloudmock"

// A Change is one change to a running lab, given to (*Lab).Apply. Each
// kind is one type; today they concern the mirror service, and instances,
// subnets and load balancers added or removed are the next ones.
type Change interface {
	// change seals the set: only this package defines kinds.
	change()
}

// StartMirror starts the lab's mirror service (refused while one runs).
type StartMirror struct{ Mirror Mirror }

// StopMirror stops the lab's mirror service (nothing when none runs).
type StopMirror struct{}

// SetSpec swaps a new mirror configuration into the running service,
// atomically, keeping its counters, flows and VNIs (dataplane.Service.Apply).
type SetSpec struct{ Spec cloudmock.Spec }

func (StartMirror) change() {}
func (StopMirror) change()  {}
func (SetSpec) change()     {}
