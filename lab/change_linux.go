package lab

import "github.com/mirrorlab/mirrorlab/cloudmock"

// A Change is one change to a running lab, given to (*Lab).Apply. Each
// kind is one type.
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

// FollowSpec makes the lab's network follow a new model, then swaps it
// into the mirror service (a served lab built from the model: serve
// --empty). The network is TopologyOf(Spec): what it adds (VPCs, subnets,
// instances with their ENIs, load balancers' appliances, peerings,
// transit gateways) is built before the swap, so no session refers to a
// missing ENI, and what it lacks is removed after it; nothing else is
// touched. Instances' user data runs as they appear (see ConsoleOutput).
type FollowSpec struct{ Spec cloudmock.Spec }

func (StartMirror) change() {}
func (FollowSpec) change()  {}
func (StopMirror) change()  {}
func (SetSpec) change()     {}
