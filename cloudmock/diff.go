package cloudmock

import "slices"

// span is the part of a resource list that differs between two versions
// of a Spec: prev[lo:prevHi] became next[lo:nextHi], and the elements
// before and after it are equal, in the same order. A change of one
// resource, an append or a removal is a span of at most one element on
// each side.
type span struct{ lo, prevHi, nextHi int }

// same says the list did not change.
func (sp span) same() bool { return sp.prevHi == sp.lo && sp.nextHi == sp.lo }

// diffList returns the span of next that differs from prev: the longest
// equal prefix, then the longest equal suffix of the rest.
// Lists that share their backing array (a change that left the list
// alone, or only appended to it or cut its end) are the same memory up
// to the shorter length: that prefix costs nothing to compare.
func diffList[T any](prev, next []T, eq func(a, b *T) bool) span {
	lo := 0
	if len(prev) > 0 && len(next) > 0 && &prev[0] == &next[0] {
		lo = min(len(prev), len(next))
	}
	for lo < len(prev) && lo < len(next) && eq(&prev[lo], &next[lo]) {
		lo++
	}
	p, n := len(prev), len(next)
	for p > lo && n > lo && eq(&prev[p-1], &next[n-1]) {
		p, n = p-1, n-1
	}
	return span{lo: lo, prevHi: p, nextHi: n}
}

// diffRefs is diffList for a list of pointers: a shared element (the
// same pointer in both) is equal without a call of eq.
func diffRefs[T any](prev, next []*T, eq func(a, b *T) bool) span {
	same := func(a, b *T) bool { return a == b || a != nil && b != nil && eq(a, b) }
	lo, p, n := 0, len(prev), len(next)
	for lo < p && lo < n && (prev[lo] == next[lo] || same(prev[lo], next[lo])) {
		lo++
	}
	for p > lo && n > lo && (prev[p-1] == next[n-1] || same(prev[p-1], next[n-1])) {
		p, n = p-1, n-1
	}
	return span{lo: lo, prevHi: p, nextHi: n}
}

// specDiff is what differs between two Specs: the settings (Profile,
// RejectBehavior) and a span per resource list, in the Spec's order.
type specDiff struct {
	settings bool
	lists    [nLists]span
}

// The Spec's resource lists, as specDiff indexes them.
const (
	listVpcs = iota
	listPeerings
	listTransitGateways
	listAttachments
	listSubnets
	listRouteTables
	listNetworkAcls
	listSecurityGroups
	listNetworkInterfaces
	listLoadBalancers
	listTargetGroups
	listEndpointServices
	listFilters
	listTargets
	listSessions
	listInstances
	nLists
)

// Window is the part of a list that a change may have altered: the
// elements before Lo, and those after PrevHi in the previous list and
// after NextHi in the next (as many in both), are the same.
type Window struct{ Lo, PrevHi, NextHi int }

// diffWithin is diffList for lists equal outside w: only w is compared.
func diffWithin[T any](prev, next []T, w Window, eq func(a, b *T) bool) span {
	lo, p, n := w.Lo, w.PrevHi, w.NextHi
	for lo < p && lo < n && eq(&prev[lo], &next[lo]) {
		lo++
	}
	for p > lo && n > lo && eq(&prev[p-1], &next[n-1]) {
		p, n = p-1, n-1
	}
	return span{lo: lo, prevHi: p, nextHi: n}
}

// diffSpecs compares two Specs list by list (time in proportion to the
// size of the lists that differ, no allocation: strings shared by a Clone
// compare by pointer, lists that share their memory cost nothing). With
// filters not nil, only that window of the filters is compared.
func diffSpecs(prev, next *Spec, filters *Window) specDiff {
	var d specDiff
	d.settings = prev.Profile != next.Profile || prev.RejectBehavior != next.RejectBehavior
	l := &d.lists
	l[listVpcs] = diffList(prev.Vpcs, next.Vpcs, eqVpc)
	l[listPeerings] = diffList(prev.VpcPeeringConnections, next.VpcPeeringConnections, eqPeering)
	l[listTransitGateways] = diffList(prev.TransitGateways, next.TransitGateways, eqVal)
	l[listAttachments] = diffList(prev.TransitGatewayVpcAttachments, next.TransitGatewayVpcAttachments, eqAttachment)
	l[listSubnets] = diffList(prev.Subnets, next.Subnets, eqVal)
	l[listRouteTables] = diffList(prev.RouteTables, next.RouteTables, eqRouteTable)
	l[listNetworkAcls] = diffList(prev.NetworkAcls, next.NetworkAcls, eqNetworkAcl)
	l[listSecurityGroups] = diffList(prev.SecurityGroups, next.SecurityGroups, eqSecurityGroup)
	l[listNetworkInterfaces] = diffList(prev.NetworkInterfaces, next.NetworkInterfaces, eqNetworkInterface)
	l[listLoadBalancers] = diffList(prev.LoadBalancers, next.LoadBalancers, eqLoadBalancer)
	l[listTargetGroups] = diffList(prev.TargetGroups, next.TargetGroups, eqTargetGroup)
	l[listEndpointServices] = diffList(prev.VpcEndpointServices, next.VpcEndpointServices, eqEndpointService)
	if filters != nil {
		l[listFilters] = diffWithin(prev.TrafficMirrorFilters, next.TrafficMirrorFilters, *filters, eqFilterRef)
	} else {
		l[listFilters] = diffRefs(prev.TrafficMirrorFilters, next.TrafficMirrorFilters, eqFilter)
	}
	l[listTargets] = diffRefs(prev.TrafficMirrorTargets, next.TrafficMirrorTargets, eqVal[TrafficMirrorTarget])
	l[listSessions] = diffRefs(prev.TrafficMirrorSessions, next.TrafficMirrorSessions, eqSession)
	l[listInstances] = diffList(prev.Instances, next.Instances, eqVal)
	return d
}

// only says that nothing but the lists named changed.
func (d *specDiff) only(lists ...int) bool {
	if d.settings {
		return false
	}
	for i, sp := range d.lists {
		if !sp.same() && !slices.Contains(lists, i) {
			return false
		}
	}
	return true
}

// unchanged says that d (not nil) shows neither the settings nor the
// lists named changed.
func (d *specDiff) unchanged(lists ...int) bool {
	if d == nil || d.settings {
		return false
	}
	for _, l := range lists {
		if !d.lists[l].same() {
			return false
		}
	}
	return true
}

// The equalities below compare resources by value (pointers by what they
// point to; nil and empty lists alike). Where a type is comparable once
// its pointers are set aside, == covers every other field, a field added
// later included; TestDiffSeesEveryField changes each field of a filled
// Spec in turn and fails when one is not compared.

func eqVal[T comparable](a, b *T) bool { return *a == *b }

func eqPtr[T comparable](a, b *T) bool { return a == b || (a != nil && b != nil && *a == *b) }

func eqListFunc[T any](a, b []T, eq func(a, b *T) bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !eq(&a[i], &b[i]) {
			return false
		}
	}
	return true
}

func eqVpc(a, b *Vpc) bool {
	x, y := *a, *b
	x.EnableDnsSupport, y.EnableDnsSupport = nil, nil
	return x == y && eqPtr(a.EnableDnsSupport, b.EnableDnsSupport)
}

func eqPeering(a, b *VpcPeeringConnection) bool {
	x, y := *a, *b
	x.Status, y.Status = nil, nil
	return x == y && eqPtr(a.Status, b.Status)
}

func eqAttachment(a, b *TransitGatewayVpcAttachment) bool {
	return a.TransitGatewayAttachmentId == b.TransitGatewayAttachmentId && a.TransitGatewayId == b.TransitGatewayId &&
		a.VpcId == b.VpcId && slices.Equal(a.SubnetIds, b.SubnetIds)
}

func eqRouteTable(a, b *RouteTable) bool {
	return a.RouteTableId == b.RouteTableId && a.VpcId == b.VpcId && a.Main == b.Main &&
		slices.Equal(a.Associations, b.Associations) && slices.Equal(a.Routes, b.Routes)
}

func eqNetworkAcl(a, b *NetworkAcl) bool {
	return a.NetworkAclId == b.NetworkAclId && a.VpcId == b.VpcId && a.IsDefault == b.IsDefault &&
		slices.Equal(a.Associations, b.Associations) && eqListFunc(a.Entries, b.Entries, eqAclEntry)
}

func eqAclEntry(a, b *NetworkAclEntry) bool {
	x, y := *a, *b
	x.PortRange, y.PortRange = nil, nil
	return x == y && eqPtr(a.PortRange, b.PortRange)
}

func eqSecurityGroup(a, b *SecurityGroup) bool {
	return a.GroupId == b.GroupId && a.VpcId == b.VpcId && a.GroupName == b.GroupName && a.Description == b.Description &&
		eqListFunc(a.IpPermissions, b.IpPermissions, eqPermission) && eqListFunc(a.IpPermissionsEgress, b.IpPermissionsEgress, eqPermission)
}

func eqPermission(a, b *IpPermission) bool {
	return a.IpProtocol == b.IpProtocol && a.FromPort == b.FromPort && a.ToPort == b.ToPort &&
		slices.Equal(a.IpRanges, b.IpRanges) && slices.Equal(a.Ipv6Ranges, b.Ipv6Ranges) && slices.Equal(a.UserIdGroupPairs, b.UserIdGroupPairs)
}

func eqNetworkInterface(a, b *NetworkInterface) bool {
	return a.NetworkInterfaceId == b.NetworkInterfaceId && a.SubnetId == b.SubnetId && a.PrivateIpAddress == b.PrivateIpAddress &&
		a.Ipv6Address == b.Ipv6Address && a.EnablePrimaryIpv6 == b.EnablePrimaryIpv6 && a.Mtu == b.Mtu &&
		slices.Equal(a.Groups, b.Groups) && a.InstanceId == b.InstanceId && a.InstanceType == b.InstanceType &&
		a.Description == b.Description && eqPtr(a.SourceDestCheck, b.SourceDestCheck) && eqPtr(a.Attachment, b.Attachment)
}

func eqLoadBalancer(a, b *LoadBalancer) bool {
	return a.LoadBalancerArn == b.LoadBalancerArn && a.Type == b.Type && a.Scheme == b.Scheme && a.SubnetId == b.SubnetId &&
		a.PrivateIpAddress == b.PrivateIpAddress && a.Ipv6Address == b.Ipv6Address && a.VpcEndpointId == b.VpcEndpointId &&
		a.GatewayLoadBalancerArn == b.GatewayLoadBalancerArn && slices.Equal(a.AdditionalSubnets, b.AdditionalSubnets) &&
		slices.Equal(a.Listeners, b.Listeners) && slices.Equal(a.Targets, b.Targets)
}

func eqTargetGroup(a, b *TargetGroup) bool {
	return a.TargetGroupArn == b.TargetGroupArn && a.Protocol == b.Protocol && a.Port == b.Port && a.VpcId == b.VpcId &&
		a.TargetType == b.TargetType && eqPtr(a.HealthCheck, b.HealthCheck) && slices.Equal(a.Targets, b.Targets)
}

func eqEndpointService(a, b *VpcEndpointService) bool {
	return a.ServiceId == b.ServiceId && slices.Equal(a.GatewayLoadBalancerArns, b.GatewayLoadBalancerArns) &&
		a.AcceptanceRequired == b.AcceptanceRequired && slices.Equal(a.AllowedPrincipals, b.AllowedPrincipals) &&
		slices.Equal(a.PendingEndpoints, b.PendingEndpoints)
}

func eqFilter(a, b *TrafficMirrorFilter) bool {
	return a.TrafficMirrorFilterId == b.TrafficMirrorFilterId && a.Description == b.Description &&
		eqListFunc(a.IngressFilterRules, b.IngressFilterRules, eqFilterRule) &&
		eqListFunc(a.EgressFilterRules, b.EgressFilterRules, eqFilterRule) && slices.Equal(a.NetworkServices, b.NetworkServices)
}

// eqFilterRef compares two entries of filter lists: the same filter
// (shared by two versions of the Spec) costs a pointer comparison.
func eqFilterRef(a, b **TrafficMirrorFilter) bool {
	return *a == *b || *a != nil && *b != nil && eqFilter(*a, *b)
}

func eqFilterRule(a, b *TrafficMirrorFilterRule) bool {
	x, y := *a, *b
	x.SourcePortRange, y.SourcePortRange, x.DestinationPortRange, y.DestinationPortRange = nil, nil, nil, nil
	return x == y && eqPtr(a.SourcePortRange, b.SourcePortRange) && eqPtr(a.DestinationPortRange, b.DestinationPortRange)
}

func eqSession(a, b *TrafficMirrorSession) bool {
	return a.TrafficMirrorSessionId == b.TrafficMirrorSessionId && a.NetworkInterfaceId == b.NetworkInterfaceId &&
		slices.Equal(a.TrafficMirrorSourceIds, b.TrafficMirrorSourceIds) && a.TrafficMirrorTargetId == b.TrafficMirrorTargetId &&
		a.TrafficMirrorFilterId == b.TrafficMirrorFilterId && a.SessionNumber == b.SessionNumber &&
		eqPtr(a.VirtualNetworkId, b.VirtualNetworkId) && eqPtr(a.PacketLength, b.PacketLength) && a.Description == b.Description
}
