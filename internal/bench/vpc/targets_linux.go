package vpc

import (
	"context"
	"fmt"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/encap"
	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/lab"
)

// Target is the kind of the bench session's mirror target.
type Target string

// The bench session's targets. Every one delivers its copies to the
// adapter's ENI: directly (TargetENI), through a network load balancer
// whose one registered, healthy target is the adapter (TargetNLB), or
// through a Gateway Load Balancer endpoint whose GWLB forwards the copy
// to the adapter as its one appliance, wrapped in GENEVE (TargetGWLB).
const (
	TargetENI  Target = "eni"
	TargetNLB  Target = "nlb"
	TargetGWLB Target = "gwlb"
)

// Targets are the bench session's targets, the ENI first.
var Targets = []Target{TargetENI, TargetNLB, TargetGWLB}

// Load balancer ids in the bench's model; each is also the name of its
// appliance instance (lab.TopologyOf) and, for the GWLB, the endpoint's id.
const (
	nlbID  = "nlb"
	gwlbID = "gwlb"
)

// targetIDs are the model's TrafficMirrorTargetId of each target.
var targetIDs = map[Target]string{TargetENI: "tmt-adapter", TargetNLB: "tmt-nlb", TargetGWLB: "tmt-gwlb"}

// loadBalancers are the bench's NLB (UDP 4789 listener) and Gateway Load
// Balancer endpoint, both in the adapter subnet at fixed addresses (the
// last of the /28, so sim's address allocation never hands them out),
// each with the adapter's ENI as its one registered target. subnet is the
// adapter subnet's id, eni the adapter ENI's.
func loadBalancers(subnet, eni string) []cloudmock.LoadBalancer {
	targets := []cloudmock.TargetDescription{{NetworkInterfaceId: eni}}
	return []cloudmock.LoadBalancer{
		{LoadBalancerArn: nlbID, Type: "network", SubnetId: subnet, PrivateIpAddress: "10.0.0.29",
			Listeners: []cloudmock.Listener{{Protocol: "UDP", Port: VXLANPort}}, Targets: targets},
		{LoadBalancerArn: gwlbID, Type: "gateway", SubnetId: subnet, PrivateIpAddress: "10.0.0.30",
			VpcEndpointId: gwlbID, Targets: targets},
	}
}

// appliances are the instances that hold the load balancers' addresses,
// derived from the model the way every lab derives them (lab.TopologyOf).
func appliances(v sim.VPCSpec) ([]sim.InstanceSpec, error) {
	m := cloudmock.Spec{Vpcs: []cloudmock.Vpc{{VpcId: v.Name, CidrBlock: v.CIDR.String()}},
		LoadBalancers: loadBalancers(Adapter, "eni-"+Adapter)}
	for _, s := range v.Subnets {
		m.Subnets = append(m.Subnets, cloudmock.Subnet{SubnetId: s.Name, VpcId: v.Name, CidrBlock: s.CIDR.String()})
	}
	t, err := lab.TopologyOf(m)
	if err != nil {
		return nil, fmt.Errorf("bench vpc load balancers: %w", err)
	}
	var out []sim.InstanceSpec
	for _, in := range t.Instances {
		if in.Appliance {
			out = append(out, in)
		}
	}
	return out, nil
}

// retarget points the bench session of s (MirrorSpec's) at target t,
// adding the load balancers and their mirror targets it needs.
func retarget(s *cloudmock.Spec, t Target) error {
	id, ok := targetIDs[t]
	if !ok {
		return fmt.Errorf("bench mirror target %q: want one of %v", t, Targets)
	}
	if t != TargetENI {
		s.LoadBalancers = loadBalancers("subnet-"+Adapter, "eni-"+Adapter)
		s.TrafficMirrorTargets = append(s.TrafficMirrorTargets,
			&cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: targetIDs[TargetNLB], NetworkLoadBalancerArn: nlbID},
			&cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: targetIDs[TargetGWLB], GatewayLoadBalancerEndpointId: gwlbID})
	}
	for i := range s.TrafficMirrorSessions {
		s.TrafficMirrorSessions[i].TrafficMirrorTargetId = id
	}
	return nil
}

// MirrorTarget chooses the bench session's target and whether the mirror
// decides every packet in user space. A running service takes a new target
// as the EC2 API hands it one, by a swap of its model (lab.SetSpec), and is
// restarted when the path changes. The copies reach the adapter's ENI
// whatever the target, so Path counts them the same way.
func (e *Env) MirrorTarget(ctx context.Context, t Target, userSpace bool) error {
	if !slices.Contains(Targets, t) {
		return fmt.Errorf("bench mirror target %q: want one of %v", t, Targets)
	}
	switch {
	case e.mirror.target() == t && e.mirror.userSpace == userSpace:
		return nil
	case e.mirror.userSpace == userSpace && e.lab.Service() != nil:
		s := MirrorSpec(e.Lab, e.mirror.responses)
		if err := retarget(&s, t); err != nil {
			return err
		}
		if err := e.lab.Apply(ctx, lab.SetSpec{Spec: s}); err != nil {
			return fmt.Errorf("bench mirror target %s: %w", t, err)
		}
		e.mirror.to = t
		return nil
	}
	return e.restartMirror(ctx, func() { e.mirror.to, e.mirror.userSpace = t, userSpace })
}

// target is the bench session's target (the ENI unless chosen).
func (m mirror) target() Target {
	if m.to == "" {
		return TargetENI
	}
	return m.to
}

// holdGeneve binds UDP 6081 on the adapter (never read), so that the
// GWLB's GENEVE copies end at a socket without ICMP replies.
func (e *Env) holdGeneve() error {
	if e.geneveHold >= 0 {
		return nil
	}
	fd, err := hold(e.Adapter, encap.GenevePort)
	if err != nil {
		return err
	}
	e.geneveHold = fd
	return nil
}
