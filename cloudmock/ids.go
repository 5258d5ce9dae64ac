package cloudmock

// IDKind is the kind of resource an id names. Its value is the prefix of
// EC2's ids of that kind ("lb" for load balancers, whose ids are ARNs).
type IDKind string

// The kinds of resource ids a Spec holds.
const (
	KindVpc                      IDKind = "vpc"
	KindSubnet                   IDKind = "subnet"
	KindRouteTable               IDKind = "rtb"
	KindTransitGateway           IDKind = "tgw"
	KindTransitGatewayAttachment IDKind = "tgw-attach"
	KindPeering                  IDKind = "pcx"
	KindNetworkAcl               IDKind = "acl"
	KindSecurityGroup            IDKind = "sg"
	KindNetworkInterface         IDKind = "eni"
	KindInstance                 IDKind = "i"
	KindLoadBalancer             IDKind = "lb"
	KindVpcEndpoint              IDKind = "vpce"
	KindVpcEndpointService       IDKind = "vpce-svc"
	KindTargetGroup              IDKind = "targetgroup"
	KindFilter                   IDKind = "tmf"
	KindFilterRule               IDKind = "tmfr"
	KindTarget                   IDKind = "tmt"
	KindSession                  IDKind = "tms"
)

// IDRef is one id-bearing field of a Spec, as EachID visits it.
type IDRef struct {
	Kind IDKind
	// Own is true where the field is the resource's own id, false where
	// it refers to another resource. An instance exists only as the
	// InstanceId of its interfaces (each is Own); a Gateway Load Balancer
	// endpoint, as the VpcEndpointId of its load balancer.
	Own bool
	// ID is the field itself: the walk's function may change it.
	ID *string
	// Resource points at the element of the Spec's list that holds the
	// field (*Subnet, *TrafficMirrorFilter for its rules, ...).
	Resource any
	// Field is the field's path inside Resource, without indexes:
	// "VpcId", "Groups", "EgressFilterRules.TrafficMirrorFilterRuleId".
	Field string
	// Index is the position in the innermost list the field is in
	// (Groups, Targets, a filter's rules, ...), 0 outside lists.
	Index int
}

// EachID calls fn for every resource id of the Spec and every reference
// to one, empty ones included, in a fixed order: VPCs, subnets, route
// tables, transit gateways, their attachments, peering connections,
// network ACLs, security groups, network interfaces, load balancers,
// target groups, endpoint services, mirror filters (with their rules),
// targets, sessions and instances; within a resource, its own id
// first. It is the one place that knows which fields hold ids: a field
// added to the model that names a resource is added here (a test in this
// package fails otherwise).
func (s *Spec) EachID(fn func(IDRef)) {
	s.eachNetworkID(fn)
	s.eachAccessID(fn)
	s.eachInterfaceID(fn)
	s.eachMirrorID(fn)
	s.eachInstanceID(fn)
}

// idRef is one IDRef outside lists.
func idRef(kind IDKind, own bool, id *string, res any, field string) IDRef {
	return IDRef{Kind: kind, Own: own, ID: id, Resource: res, Field: field}
}

// listRefs calls fn for the id field (id) of each element of list, a list
// inside res, with the element's Index.
func listRefs[E any](fn func(IDRef), kind IDKind, own bool, list []E, id func(*E) *string, res any, field string) {
	for j := range list {
		fn(IDRef{Kind: kind, Own: own, ID: id(&list[j]), Resource: res, Field: field, Index: j})
	}
}

// stringRefs calls fn for each id of ids, a list of references inside res.
func stringRefs(fn func(IDRef), kind IDKind, ids []string, res any, field string) {
	listRefs(fn, kind, false, ids, func(id *string) *string { return id }, res, field)
}

func (s *Spec) eachNetworkID(fn func(IDRef)) {
	for i := range s.Vpcs {
		x := &s.Vpcs[i]
		fn(idRef(KindVpc, true, &x.VpcId, x, "VpcId"))
	}
	for i := range s.Subnets {
		x := &s.Subnets[i]
		fn(idRef(KindSubnet, true, &x.SubnetId, x, "SubnetId"))
		fn(idRef(KindVpc, false, &x.VpcId, x, "VpcId"))
	}
	s.eachRouteTableID(fn)
	for i := range s.TransitGateways {
		x := &s.TransitGateways[i]
		fn(idRef(KindTransitGateway, true, &x.TransitGatewayId, x, "TransitGatewayId"))
	}
	for i := range s.TransitGatewayVpcAttachments {
		x := &s.TransitGatewayVpcAttachments[i]
		fn(idRef(KindTransitGatewayAttachment, true, &x.TransitGatewayAttachmentId, x, "TransitGatewayAttachmentId"))
		fn(idRef(KindTransitGateway, false, &x.TransitGatewayId, x, "TransitGatewayId"))
		fn(idRef(KindVpc, false, &x.VpcId, x, "VpcId"))
		stringRefs(fn, KindSubnet, x.SubnetIds, x, "SubnetIds")
	}
	for i := range s.VpcPeeringConnections {
		x := &s.VpcPeeringConnections[i]
		fn(idRef(KindPeering, true, &x.VpcPeeringConnectionId, x, "VpcPeeringConnectionId"))
		fn(idRef(KindVpc, false, &x.RequesterVpcInfo.VpcId, x, "RequesterVpcInfo.VpcId"))
		fn(idRef(KindVpc, false, &x.AccepterVpcInfo.VpcId, x, "AccepterVpcInfo.VpcId"))
	}
}

func (s *Spec) eachAccessID(fn func(IDRef)) {
	for i := range s.NetworkAcls {
		x := &s.NetworkAcls[i]
		fn(idRef(KindNetworkAcl, true, &x.NetworkAclId, x, "NetworkAclId"))
		fn(idRef(KindVpc, false, &x.VpcId, x, "VpcId"))
		listRefs(fn, KindSubnet, false, x.Associations, func(e *NetworkAclAssociation) *string { return &e.SubnetId }, x, "Associations.SubnetId")
	}
	for i := range s.SecurityGroups {
		x := &s.SecurityGroups[i]
		fn(idRef(KindSecurityGroup, true, &x.GroupId, x, "GroupId"))
		fn(idRef(KindVpc, false, &x.VpcId, x, "VpcId"))
		for _, d := range [2]struct {
			field string
			perms []IpPermission
		}{{"IpPermissions", x.IpPermissions}, {"IpPermissionsEgress", x.IpPermissionsEgress}} {
			for _, p := range d.perms {
				listRefs(fn, KindSecurityGroup, false, p.UserIdGroupPairs, func(g *UserIdGroupPair) *string { return &g.GroupId },
					x, d.field+".UserIdGroupPairs.GroupId")
			}
		}
	}
}

func (s *Spec) eachInterfaceID(fn func(IDRef)) {
	for i := range s.NetworkInterfaces {
		x := &s.NetworkInterfaces[i]
		fn(idRef(KindNetworkInterface, true, &x.NetworkInterfaceId, x, "NetworkInterfaceId"))
		fn(idRef(KindSubnet, false, &x.SubnetId, x, "SubnetId"))
		fn(idRef(KindInstance, true, &x.InstanceId, x, "InstanceId"))
		if x.Attachment != nil {
			fn(idRef(KindAttachment, true, &x.Attachment.AttachmentId, x, "Attachment.AttachmentId"))
		}
		stringRefs(fn, KindSecurityGroup, x.Groups, x, "Groups")
	}
	for i := range s.LoadBalancers {
		x := &s.LoadBalancers[i]
		fn(idRef(KindLoadBalancer, true, &x.LoadBalancerArn, x, "LoadBalancerArn"))
		fn(idRef(KindSubnet, false, &x.SubnetId, x, "SubnetId"))
		fn(idRef(KindVpcEndpoint, true, &x.VpcEndpointId, x, "VpcEndpointId"))
		fn(idRef(KindLoadBalancer, false, &x.GatewayLoadBalancerArn, x, "GatewayLoadBalancerArn"))
		listRefs(fn, KindSubnet, false, x.AdditionalSubnets, func(e *LoadBalancerSubnet) *string { return &e.SubnetId }, x, "AdditionalSubnets.SubnetId")
		listRefs(fn, KindTargetGroup, false, x.Listeners, func(e *Listener) *string { return &e.TargetGroupArn }, x, "Listeners.TargetGroupArn")
		listRefs(fn, KindNetworkInterface, false, x.Targets, func(e *TargetDescription) *string { return &e.NetworkInterfaceId }, x, "Targets.NetworkInterfaceId")
	}
	s.eachELBID(fn)
}

// eachELBID walks the target groups and the endpoint services.
func (s *Spec) eachELBID(fn func(IDRef)) {
	for i := range s.TargetGroups {
		x := &s.TargetGroups[i]
		fn(idRef(KindTargetGroup, true, &x.TargetGroupArn, x, "TargetGroupArn"))
		fn(idRef(KindVpc, false, &x.VpcId, x, "VpcId"))
		listRefs(fn, KindNetworkInterface, false, x.Targets, func(e *TargetDescription) *string { return &e.NetworkInterfaceId }, x, "Targets.NetworkInterfaceId")
	}
	for i := range s.VpcEndpointServices {
		x := &s.VpcEndpointServices[i]
		fn(idRef(KindVpcEndpointService, true, &x.ServiceId, x, "ServiceId"))
		stringRefs(fn, KindLoadBalancer, x.GatewayLoadBalancerArns, x, "GatewayLoadBalancerArns")
		for j := range x.PendingEndpoints {
			p := &x.PendingEndpoints[j]
			fn(IDRef{Kind: KindVpcEndpoint, Own: true, ID: &p.VpcEndpointId, Resource: x, Field: "PendingEndpoints.VpcEndpointId", Index: j})
			fn(IDRef{Kind: KindSubnet, ID: &p.SubnetId, Resource: x, Field: "PendingEndpoints.SubnetId", Index: j})
		}
	}
}

func (s *Spec) eachMirrorID(fn func(IDRef)) {
	for i := range s.TrafficMirrorFilters {
		x := s.TrafficMirrorFilters[i]
		if x == nil {
			continue // no filter: Validate refuses it
		}
		fn(idRef(KindFilter, true, &x.TrafficMirrorFilterId, x, "TrafficMirrorFilterId"))
		listRefs(fn, KindFilterRule, true, x.IngressFilterRules, func(e *TrafficMirrorFilterRule) *string { return &e.TrafficMirrorFilterRuleId }, x, "IngressFilterRules.TrafficMirrorFilterRuleId")
		listRefs(fn, KindFilterRule, true, x.EgressFilterRules, func(e *TrafficMirrorFilterRule) *string { return &e.TrafficMirrorFilterRuleId }, x, "EgressFilterRules.TrafficMirrorFilterRuleId")
	}
	for i := range s.TrafficMirrorTargets {
		x := s.TrafficMirrorTargets[i]
		if x == nil {
			continue // no target: Validate refuses it
		}
		fn(idRef(KindTarget, true, &x.TrafficMirrorTargetId, x, "TrafficMirrorTargetId"))
		fn(idRef(KindNetworkInterface, false, &x.NetworkInterfaceId, x, "NetworkInterfaceId"))
		fn(idRef(KindLoadBalancer, false, &x.NetworkLoadBalancerArn, x, "NetworkLoadBalancerArn"))
		fn(idRef(KindVpcEndpoint, false, &x.GatewayLoadBalancerEndpointId, x, "GatewayLoadBalancerEndpointId"))
	}
	for i := range s.TrafficMirrorSessions {
		x := s.TrafficMirrorSessions[i]
		if x == nil {
			continue // no session: Validate refuses it
		}
		fn(idRef(KindSession, true, &x.TrafficMirrorSessionId, x, "TrafficMirrorSessionId"))
		fn(idRef(KindNetworkInterface, false, &x.NetworkInterfaceId, x, "NetworkInterfaceId"))
		stringRefs(fn, KindNetworkInterface, x.TrafficMirrorSourceIds, x, "TrafficMirrorSourceIds")
		fn(idRef(KindTarget, false, &x.TrafficMirrorTargetId, x, "TrafficMirrorTargetId"))
		fn(idRef(KindFilter, false, &x.TrafficMirrorFilterId, x, "TrafficMirrorFilterId"))
	}
}

// Kinds of the ids of instances' parts and of what they refer to.
const (
	// KindAttachment is a network interface's attachment to an instance.
	KindAttachment IDKind = "eni-attach"
	// KindImage is an image of the API's catalogue: an instance refers
	// to it, the Spec holds none.
	KindImage IDKind = "ami"
)

func (s *Spec) eachInstanceID(fn func(IDRef)) {
	for i := range s.Instances {
		x := &s.Instances[i]
		fn(idRef(KindInstance, true, &x.InstanceId, x, "InstanceId"))
		fn(idRef(KindImage, false, &x.ImageId, x, "ImageId"))
	}
}

func (s *Spec) eachRouteTableID(fn func(IDRef)) {
	for i := range s.RouteTables {
		x := &s.RouteTables[i]
		fn(idRef(KindRouteTable, true, &x.RouteTableId, x, "RouteTableId"))
		fn(idRef(KindVpc, false, &x.VpcId, x, "VpcId"))
		listRefs(fn, KindSubnet, false, x.Associations, func(e *RouteTableAssociation) *string { return &e.SubnetId }, x, "Associations.SubnetId")
		for j := range x.Routes {
			r := &x.Routes[j]
			fn(IDRef{Kind: KindPeering, ID: &r.VpcPeeringConnectionId, Resource: x, Field: "Routes.VpcPeeringConnectionId", Index: j})
			fn(IDRef{Kind: KindTransitGateway, ID: &r.TransitGatewayId, Resource: x, Field: "Routes.TransitGatewayId", Index: j})
		}
	}
}
