package vpc

import (
	"context"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane"
	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/lab"
)

// MirrorSpec is the bench's mirror configuration over the realised lab: a
// session on production's ENI (number 1, VNI MirrorVNI) to the adapter's
// ENI, whose filter accepts inbound UDP (the generator's traffic) and
// inbound TCP to port 80 (the HTTP load), as the reference walk-through
// does. With responses, the filter also accepts outbound TCP from port 80
// (production's answers), as shadow testing (the agent's -compare) needs.
// ENI ids are eni-<instance>.
func MirrorSpec(lab *sim.Lab, responses bool) cloudmock.Spec {
	topo := lab.Topology()
	spec := cloudmock.Spec{Profile: "aws"}
	for _, v := range topo.VPCs {
		spec.Vpcs = append(spec.Vpcs, cloudmock.Vpc{VpcId: "vpc-" + v.Name, CidrBlock: v.CIDR.String()})
		for _, s := range v.Subnets {
			spec.Subnets = append(spec.Subnets, cloudmock.Subnet{SubnetId: "subnet-" + s.Name, VpcId: "vpc-" + v.Name, CidrBlock: s.CIDR.String()})
		}
	}
	for _, in := range topo.Instances {
		if in.Appliance {
			continue // a load balancer's address, not an ENI (see retarget)
		}
		for _, e := range in.ENIs {
			spec.NetworkInterfaces = append(spec.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: "eni-" + in.Name,
				SubnetId: "subnet-" + e.Subnet, PrivateIpAddress: e.IP.String(), Mtu: e.MTU, InstanceId: "i-" + in.Name})
		}
	}
	spec.TrafficMirrorFilters = []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "tmf-bench",
		IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{
			{RuleNumber: 100, RuleAction: "accept", Protocol: 17, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"},
			{RuleNumber: 200, RuleAction: "accept", Protocol: 6, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0",
				DestinationPortRange: &cloudmock.TrafficMirrorPortRange{FromPort: 80, ToPort: 80}},
		}}}
	if responses {
		spec.TrafficMirrorFilters[0].EgressFilterRules = []cloudmock.TrafficMirrorFilterRule{
			{RuleNumber: 100, RuleAction: "accept", Protocol: 6, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0",
				SourcePortRange: &cloudmock.TrafficMirrorPortRange{FromPort: 80, ToPort: 80}}}
	}
	spec.TrafficMirrorTargets = []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-adapter", NetworkInterfaceId: "eni-" + Adapter}}
	spec.TrafficMirrorSessions = []*cloudmock.TrafficMirrorSession{{TrafficMirrorSessionId: "tms-bench", NetworkInterfaceId: "eni-" + Prod,
		TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-bench", SessionNumber: 1, VirtualNetworkId: new(MirrorVNI)}}
	return spec
}

// mirror is how the bench's mirror service runs (or will run).
type mirror struct {
	// responses: the running (or next) service also mirrors production's
	// answers (see MirrorSpec).
	responses bool
	// userSpace: the running (or next) service decides every packet in
	// user space (lab.Mirror.UserSpaceOnly), not in the kernel.
	userSpace bool
	// to is the session's target (empty: TargetENI; see MirrorTarget).
	to Target
}

// StartMirror starts the lab's mirror service with MirrorSpec:
// production's traffic copied to the adapter.
func (e *Env) StartMirror(ctx context.Context) error {
	if e.lab.Service() != nil {
		return nil
	}
	m := lab.Mirror{Spec: MirrorSpec(e.Lab, e.mirror.responses), UserSpaceOnly: e.mirror.userSpace}
	if err := retarget(&m.Spec, e.mirror.target()); err != nil {
		return err
	}
	return e.lab.Apply(ctx, lab.StartMirror{Mirror: m})
}

// MirrorResponses chooses whether the mirror also copies production's
// answers (outbound TCP from port 80); a running service is restarted with
// the new filter when the choice changes.
func (e *Env) MirrorResponses(ctx context.Context, on bool) error {
	if e.mirror.responses == on {
		return nil
	}
	return e.restartMirror(ctx, func() { e.mirror.responses = on })
}

// MirrorUserSpace chooses whether the mirror decides every packet in user
// space (the data plane's path before the in-kernel one) or lets the
// kernel decide what it can (the default); a running service is restarted
// when the choice changes.
func (e *Env) MirrorUserSpace(ctx context.Context, on bool) error {
	if e.mirror.userSpace == on {
		return nil
	}
	return e.restartMirror(ctx, func() { e.mirror.userSpace = on })
}

// restartMirror stops the mirror service, changes its configuration and
// starts it again if it was running.
func (e *Env) restartMirror(ctx context.Context, change func()) error {
	running := e.lab.Service() != nil
	if err := e.StopMirror(); err != nil {
		return err
	}
	change()
	if running {
		return e.StartMirror(ctx)
	}
	return nil
}

// MirrorSnapshot returns the mirror service's counters (nil when stopped).
func (e *Env) MirrorSnapshot() *dataplane.Snapshot {
	svc := e.lab.Service()
	if svc == nil {
		return nil
	}
	s := svc.Snapshot()
	return &s
}

// StopMirror stops the mirror service, if running.
func (e *Env) StopMirror() error {
	return e.lab.Apply(context.Background(), lab.StopMirror{})
}
