package cloudmock

import (
	"math/rand/v2"
	"slices"
)

// Clone deep-copies the Spec: every slice and pointer of every resource is
// copied (strings, immutable, are shared). It is written out per type, so
// a change copies memory rather than walking the types by reflection
// (about twenty times faster on an account of 10 000 filters, which the
// API server copies on each change); TestCloneIsDeep fails when a slice or
// pointer field added to the model is left shared.
func (s *Spec) Clone() Spec { return s.CloneLists(AllLists) }

// Lists is a set of the Spec's resource lists (one bit per list, in the
// Spec's order).
type Lists uint32

// The Spec's resource lists, as a Lists set.
const (
	vpcsList Lists = 1 << iota
	peeringsList
	transitGatewaysList
	attachmentsList
	subnetsList
	RouteTablesList
	networkAclsList
	securityGroupsList
	NetworkInterfacesList
	LoadBalancersList
	TargetGroupsList
	endpointServicesList
	FiltersList
	TargetsList
	SessionsList
	instancesList
	// AllLists is every list.
	AllLists Lists = 1<<nLists - 1
)

// Has says the set holds every list of l.
func (s Lists) Has(l Lists) bool { return s&l == l }

// CloneLists is a copy of the Spec whose lists in set are deep copies (as
// Clone makes them) and whose other lists are the Spec's own, shared: a
// change that writes only the lists in set leaves s as it was, and
// costs the size of those lists rather than of the account.
func (s *Spec) CloneLists(set Lists) Spec {
	out := *s
	deep := func(l Lists, f func()) {
		if set.Has(l) {
			f()
		}
	}
	deep(vpcsList, func() { out.Vpcs = deepSlice(s.Vpcs, (*Vpc).unshare) })
	deep(peeringsList, func() {
		out.VpcPeeringConnections = deepSlice(s.VpcPeeringConnections, (*VpcPeeringConnection).unshare)
	})
	deep(transitGatewaysList, func() { out.TransitGateways = cloneSlice(s.TransitGateways) })
	deep(attachmentsList, func() {
		out.TransitGatewayVpcAttachments = deepSlice(s.TransitGatewayVpcAttachments, (*TransitGatewayVpcAttachment).unshare)
	})
	deep(subnetsList, func() { out.Subnets = cloneSlice(s.Subnets) })
	deep(RouteTablesList, func() { out.RouteTables = deepSlice(s.RouteTables, (*RouteTable).unshare) })
	deep(networkAclsList, func() { out.NetworkAcls = deepSlice(s.NetworkAcls, (*NetworkAcl).unshare) })
	deep(securityGroupsList, func() { out.SecurityGroups = deepSlice(s.SecurityGroups, (*SecurityGroup).unshare) })
	deep(NetworkInterfacesList, func() { out.NetworkInterfaces = cloneInterfaces(s.NetworkInterfaces) })
	deep(LoadBalancersList, func() { out.LoadBalancers = deepSlice(s.LoadBalancers, (*LoadBalancer).unshare) })
	deep(TargetGroupsList, func() { out.TargetGroups = deepSlice(s.TargetGroups, (*TargetGroup).unshare) })
	deep(endpointServicesList, func() {
		out.VpcEndpointServices = deepSlice(s.VpcEndpointServices, (*VpcEndpointService).unshare)
	})
	deep(FiltersList, func() { out.TrafficMirrorFilters = cloneFilters(s.TrafficMirrorFilters) })
	deep(TargetsList, func() { out.TrafficMirrorTargets = clonePtrs(s.TrafficMirrorTargets) })
	deep(SessionsList, func() { out.TrafficMirrorSessions = cloneSessions(s.TrafficMirrorSessions) })
	deep(instancesList, func() { out.Instances = cloneSlice(s.Instances) })
	return out
}

// Clone deep-copies a filter: the copy, its rules, their port ranges and
// its network services are its own.
func (f *TrafficMirrorFilter) Clone() *TrafficMirrorFilter {
	return cloneFilters([]*TrafficMirrorFilter{f})[0]
}

// Clone deep-copies a mirror session: the copy, its source ids and its
// optional numbers are its own.
func (x *TrafficMirrorSession) Clone() *TrafficMirrorSession {
	return cloneSessions([]*TrafficMirrorSession{x})[0]
}

// cloneSlice copies a slice of values that hold no slice or pointer (nil
// stays nil).
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return slices.Clone(s)
}

// clonePtrs copies a list of pointers to values that hold no slice or
// pointer: the values are new (one allocation), nil stays nil.
func clonePtrs[T any](s []*T) []*T {
	if s == nil {
		return nil
	}
	out, vals := make([]*T, len(s)), newSlab[T](len(s))
	for i, p := range s {
		out[i] = vals.ptr(p)
	}
	return out
}

// deepSlice copies a slice and has each element copy what it refers to.
func deepSlice[T any](s []T, unshare func(*T)) []T {
	out := cloneSlice(s)
	for i := range out {
		unshare(&out[i])
	}
	return out
}

// clonePtr copies what p points to (nil stays nil).
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// The unshare methods replace, in a shallow copy of a resource, every
// slice and pointer by a copy of its own.

func (x *Vpc) unshare() { x.EnableDnsSupport = clonePtr(x.EnableDnsSupport) }

func (x *VpcPeeringConnection) unshare() { x.Status = clonePtr(x.Status) }

func (x *TransitGatewayVpcAttachment) unshare() { x.SubnetIds = cloneSlice(x.SubnetIds) }

func (x *RouteTable) unshare() {
	x.Associations = cloneSlice(x.Associations)
	x.Routes = cloneSlice(x.Routes)
}

func (x *NetworkAcl) unshare() {
	x.Associations = cloneSlice(x.Associations)
	x.Entries = deepSlice(x.Entries, func(e *NetworkAclEntry) { e.PortRange = clonePtr(e.PortRange) })
}

func (x *SecurityGroup) unshare() {
	x.IpPermissions = deepSlice(x.IpPermissions, (*IpPermission).unshare)
	x.IpPermissionsEgress = deepSlice(x.IpPermissionsEgress, (*IpPermission).unshare)
}

func (x *IpPermission) unshare() {
	x.IpRanges = cloneSlice(x.IpRanges)
	x.Ipv6Ranges = cloneSlice(x.Ipv6Ranges)
	x.UserIdGroupPairs = cloneSlice(x.UserIdGroupPairs)
}

func (x *LoadBalancer) unshare() {
	x.AdditionalSubnets = cloneSlice(x.AdditionalSubnets)
	x.Listeners = cloneSlice(x.Listeners)
	x.Targets = cloneSlice(x.Targets)
}

func (x *TargetGroup) unshare() {
	x.HealthCheck = clonePtr(x.HealthCheck)
	x.Targets = cloneSlice(x.Targets)
}

func (x *VpcEndpointService) unshare() {
	x.GatewayLoadBalancerArns = cloneSlice(x.GatewayLoadBalancerArns)
	x.AllowedPrincipals = cloneSlice(x.AllowedPrincipals)
	x.PendingEndpoints = cloneSlice(x.PendingEndpoints)
}

// NewVNI returns a VXLAN network id (1..2^24-1), drawn from rng, that no
// session of the Spec uses, as the clouds assign one when a session is
// created without. The servers store it in the Spec, so the model never
// picks another.
func (s *Spec) NewVNI(rng *rand.Rand) int {
	used := map[int]bool{}
	for _, x := range s.TrafficMirrorSessions {
		if x.VirtualNetworkId != nil {
			used[*x.VirtualNetworkId] = true
		}
	}
	return freeVNI(rng, func(v int) bool { return used[v] })
}

// FillVNIs gives every session without a VXLAN network id one that no
// other session uses, as NewVNI would one by one, but in one pass over
// the sessions (NewVNI per session is quadratic in their number). It
// writes the sessions themselves: call it on a Spec no one else holds
// (a Clone).
func (s *Spec) FillVNIs(rng *rand.Rand) {
	used := map[int]bool{}
	for _, x := range s.TrafficMirrorSessions {
		if x.VirtualNetworkId != nil {
			used[*x.VirtualNetworkId] = true
		}
	}
	for i := range s.TrafficMirrorSessions {
		if x := s.TrafficMirrorSessions[i]; x.VirtualNetworkId == nil {
			v := freeVNI(rng, func(v int) bool { return used[v] })
			used[v] = true
			x.VirtualNetworkId = &v
		}
	}
}

// freeVNI draws VNIs (1..2^24-1) from rng until one is not used.
func freeVNI(rng *rand.Rand, used func(int) bool) int {
	for {
		if v := rng.IntN(1<<24-1) + 1; !used(v) {
			return v
		}
	}
}
