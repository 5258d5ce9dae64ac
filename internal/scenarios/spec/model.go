package spec

import (
	"cmp"
	"errors"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Model is the scenario's account configuration for the provider model
// (ids are the scenario's names), a copy of the one the loader built; the
// zero Spec for a scenario not loaded.
func (s *Scenario) Model() cloudmock.Spec { return s.model.Clone() }

// buildModel is the model of the sections (a copy), with the defaults the
// file leaves out and the addresses resolveAddrs handed out; an interface
// or load balancer whose subnet does not resolve (reported by Check) is
// left out.
func (s *Scenario) buildModel() cloudmock.Spec {
	n := &s.Network
	m := cloudmock.Spec{Profile: s.Profile.Provider, RejectBehavior: s.Profile.RejectBehaviour,
		Vpcs: n.VPCs.List, Subnets: n.VPCs.Subnets, VpcPeeringConnections: n.VPCPeeringConnections.List,
		TransitGateways: n.TransitGateways.List, TransitGatewayVpcAttachments: n.TransitGateways.Attachments,
		NetworkAcls: n.NetworkAcls.List, SecurityGroups: n.SecurityGroups.List, LoadBalancers: n.LoadBalancers.List,
		TrafficMirrorFilters: pointers(s.Mirror.Filters), TrafficMirrorTargets: pointers(s.Mirror.Targets), TrafficMirrorSessions: pointers(s.Mirror.Sessions)}
	for _, in := range n.Instances.List {
		m.NetworkInterfaces = append(m.NetworkInterfaces, in.NetworkInterfaces...)
	}
	m = m.Clone()
	for i := range m.NetworkAcls {
		s.defaultACL(&m.NetworkAcls[i])
	}
	for i := range m.SecurityGroups {
		s.defaultSG(&m.SecurityGroups[i], n.SecurityGroups.Lab[i].DefaultEgress)
	}
	enis, k := m.NetworkInterfaces[:0], 0
	for _, in := range n.Instances.List {
		for j := range in.NetworkInterfaces {
			if a, ok := s.addrs[in.Name+"/"+IfName(j)]; ok {
				m.NetworkInterfaces[k].PrivateIpAddress = a.String()
				enis = append(enis, m.NetworkInterfaces[k])
			}
			k++
		}
	}
	lbs := m.LoadBalancers[:0]
	for i := range m.LoadBalancers {
		if a, ok := s.addrs[m.LoadBalancers[i].LoadBalancerArn+"/"+IfName(0)]; ok {
			s.defaultLB(&m.LoadBalancers[i], n.LoadBalancers.Lab[i], a.String())
			lbs = append(lbs, m.LoadBalancers[i])
		}
	}
	m.NetworkInterfaces, m.LoadBalancers = enis, lbs
	return m
}

// defaultVPC is the VPC a resource without a VpcId belongs to: the only
// one, or none when the scenario has several.
func (s *Scenario) defaultVPC(v string) string {
	if v == "" && len(s.Network.VPCs.List) == 1 {
		return s.Network.VPCs.List[0].VpcId
	}
	return v
}

// defaultACL puts network ACL a in its VPC (the only one by default) and
// associates it with the subnets that name it.
func (s *Scenario) defaultACL(a *cloudmock.NetworkAcl) {
	a.VpcId = s.defaultVPC(a.VpcId)
	for k, name := range s.Network.VPCs.SubnetACLs {
		if name == a.NetworkAclId {
			a.Associations = append(a.Associations, cloudmock.NetworkAclAssociation{SubnetId: s.Network.VPCs.Subnets[k].SubnetId})
		}
	}
}

// defaultSG gives security group g the defaults the scenario leaves out:
// the only VPC, and CloudFormation's default egress rule (defaultEgress:
// the group gives none).
func (s *Scenario) defaultSG(g *cloudmock.SecurityGroup, defaultEgress bool) {
	g.VpcId = s.defaultVPC(g.VpcId)
	if defaultEgress { // CloudFormation's default: all outbound
		all := cloudmock.IpPermission{IpProtocol: "-1", IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}
		if s.dualStack(g.VpcId) {
			// AWS adds all outbound IPv6 too in a VPC with an IPv6 block.
			all.Ipv6Ranges = []cloudmock.Ipv6Range{{CidrIpv6: "::/0"}}
		}
		g.IpPermissionsEgress = []cloudmock.IpPermission{all}
	}
}

// defaultLB gives load balancer lb its private address addr and the
// defaults the scenario leaves out (a network load balancer listening on
// VXLAN's port), and names its targets by interface.
func (s *Scenario) defaultLB(lb *cloudmock.LoadBalancer, lab LoadBalancerLab, addr string) {
	lb.PrivateIpAddress = addr
	lb.Type = cmp.Or(lb.Type, "network")
	if lb.Type == "gateway" {
		lb.VpcEndpointId = lb.LoadBalancerArn
	}
	if lab.DefaultListeners {
		lb.Listeners = []cloudmock.Listener{{Protocol: "UDP", Port: 4789}}
	}
	for j, t := range lb.Targets {
		if r, ok := s.refs.eniOrInstance(t.NetworkInterfaceId); ok {
			lb.Targets[j].NetworkInterfaceId = r.eni.NetworkInterfaceId
		}
	}
}

// UnhealthyTarget is a registered target that the scenario marks as failing
// its health check from the start.
type UnhealthyTarget struct{ LoadBalancer, NetworkInterface string }

// UnhealthyTargets lists the targets marked unhealthy, by interface name.
func (s *Scenario) UnhealthyTargets() []UnhealthyTarget {
	var out []UnhealthyTarget
	lbs := &s.Network.LoadBalancers
	for i, lb := range lbs.List {
		for j, t := range lb.Targets {
			if !lbs.Lab[i].Unhealthy[j] {
				continue
			}
			eni := t.NetworkInterfaceId
			if r, ok := s.refs.eniOrInstance(eni); ok {
				eni = r.eni.NetworkInterfaceId
			}
			out = append(out, UnhealthyTarget{lb.LoadBalancerArn, eni})
		}
	}
	return out
}

// HealthCheckPort is the port the load balancers health-check their
// targets on (the last one given; 0: no checks).
func (s *Scenario) HealthCheckPort() int {
	port := 0
	for _, l := range s.Network.LoadBalancers.Lab {
		if l.HealthCheckPort != 0 {
			port = l.HealthCheckPort
		}
	}
	return port
}

// dualStack reports whether the VPC named vpc has an IPv6 block.
func (s *Scenario) dualStack(vpc string) bool {
	for _, v := range s.Network.VPCs.List {
		if v.VpcId == vpc {
			return v.Ipv6CidrBlock != ""
		}
	}
	return false
}

// ModelProblems validates the mirror configuration against the provider's
// rules (cloudmock's Validate) and returns each problem at its place in the
// file, with the provider's error code; nil when there is none.
//
// It works on a scenario that Parse returned with problems too: resources
// whose own references resolved are still checked; problems on lines the
// file's check already reported, and dangling references (which the file's
// check reports in its own terms), are left out.
func (s *Scenario) ModelProblems() Problems {
	verr := s.model.Validate()
	if verr == nil {
		return nil
	}
	var errs []error
	if j, ok := verr.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{verr}
	}
	var out Problems
	for _, e := range errs {
		var ve *cloudmock.ValidationError
		if !errors.As(e, &ve) {
			out = append(out, &Problem{File: s.File, Message: e.Error()})
			continue
		}
		path := s.modelPath(ve)
		line, col := s.pos.lookup(path)
		if s.fileProblems != nil && (s.fileProblems[line] || notFound(ve.Code)) {
			// The file's own check reported this place, or this dangling
			// reference, already, in the file's terms.
			continue
		}
		out = append(out, &Problem{
			File: s.File, Line: line, Col: col, Path: s.names.named(path), Code: ve.Code,
			Resource: ve.Resource + " " + ve.ID, Field: ve.Field, Message: ve.Message,
		})
	}
	return out.sorted()
}

// modelPath finds the place in the file of a model validation error.
func (s *Scenario) modelPath(ve *cloudmock.ValidationError) string {
	if p, yamlKey, ok := s.placesOf(ve.Resource); ok {
		return p.path(placeKey{ve.Resource, ve.Index, ve.Field}, yamlKey)
	}
	switch ve.Resource {
	case "Spec":
		if ve.Field == "RejectBehavior" {
			return "profile.rejectBehaviour"
		}
		return "profile.provider"
	case "NetworkInterface": // found by its name: the model's index skips those without an address
		p, ok := s.refs.resourcePath(ve.Resource, ve.ID)
		if !ok {
			p = "network.instances"
		}
		return p + "." + eniFieldPath(ve.Field)
	}
	return ""
}

// notFound reports the model's codes for a reference to nothing.
func notFound(code string) bool {
	switch code {
	case codes.VpcNotFound, codes.SubnetNotFound, codes.GroupNotFound,
		codes.NetworkInterfaceNotFound, codes.LoadBalancerNotFound,
		codes.FilterNotFound, codes.TargetNotFound:
		return true
	}
	return false
}

// placesOf returns the places the decoder recorded for a kind of resource
// (cloudmock's name) and its model-field-to-key lookup; false for a kind
// not decoded by the model's tables.
func (s *Scenario) placesOf(res string) (places, func(string) string, bool) {
	if key, ok := mirrorKeys[res]; ok {
		return s.Mirror.places, key, true
	}
	n := &s.Network
	t, ok := map[string]struct {
		places places
		key    func(string) string
	}{
		"SecurityGroup":               {n.SecurityGroups.places, sgTable.yamlKey},
		"VpcPeeringConnection":        {n.VPCPeeringConnections.places, peeringTable.yamlKey},
		"TransitGateway":              {n.TransitGateways.places, tgwTable.yamlKey},
		"TransitGatewayVpcAttachment": {n.TransitGateways.places, attachmentTable.yamlKey},
		"LoadBalancer":                {n.LoadBalancers.places, lbTable.yamlKey},
		"Vpc":                         {n.VPCs.places, vpcTable.yamlKey},
		"NetworkAcl":                  {n.NetworkAcls.places, aclTable.yamlKey},
		"Subnet":                      {n.VPCs.places, subnetTable.yamlKey},
	}[res]
	return t.places, t.key, ok
}

// pointers is the model's list of pointers (its filters, its targets) to the
// file's resources (nil stays nil).
func pointers[T any](s []T) []*T {
	if s == nil {
		return nil
	}
	out := make([]*T, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}
