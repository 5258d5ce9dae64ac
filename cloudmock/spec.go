package cloudmock

// Spec is the whole account configuration: plain data, deterministic, with
// the EC2 API's field names so that a later API server maps 1:1. Addresses
// and CIDRs are strings so that Validate can say which one is malformed.
type Spec struct {
	// Profile is the provider: "aws" (default when empty) or "alibaba".
	Profile string `json:"Profile,omitempty" yaml:"Profile,omitempty"`
	// RejectBehavior is "reject-stops" (default) or "reject-falls-through":
	// whether a matching reject rule ends the search or the next session is
	// tried.
	RejectBehavior string `json:"RejectBehavior,omitempty" yaml:"RejectBehavior,omitempty"`

	Vpcs                  []Vpc                  `json:"Vpcs,omitempty" yaml:"Vpcs,omitempty"`
	VpcPeeringConnections []VpcPeeringConnection `json:"VpcPeeringConnections,omitempty" yaml:"VpcPeeringConnections,omitempty"`
	TransitGateways       []TransitGateway       `json:"TransitGateways,omitempty" yaml:"TransitGateways,omitempty"`
	// TransitGatewayVpcAttachments attach VPCs to transit gateways.
	TransitGatewayVpcAttachments []TransitGatewayVpcAttachment `json:"TransitGatewayVpcAttachments,omitempty" yaml:"TransitGatewayVpcAttachments,omitempty"`
	Subnets                      []Subnet                      `json:"Subnets,omitempty" yaml:"Subnets,omitempty"`
	// RouteTables are the VPCs' route tables (spec_routetable.go). A VPC
	// with none routes as the model always has (see VpcPeeringConnection).
	RouteTables       []RouteTable       `json:"RouteTables,omitempty" yaml:"RouteTables,omitempty"`
	NetworkAcls       []NetworkAcl       `json:"NetworkAcls,omitempty" yaml:"NetworkAcls,omitempty"`
	SecurityGroups    []SecurityGroup    `json:"SecurityGroups,omitempty" yaml:"SecurityGroups,omitempty"`
	NetworkInterfaces []NetworkInterface `json:"NetworkInterfaces,omitempty" yaml:"NetworkInterfaces,omitempty"`
	LoadBalancers     []LoadBalancer     `json:"LoadBalancers,omitempty" yaml:"LoadBalancers,omitempty"`
	// TargetGroups and VpcEndpointServices: see spec_elb.go.
	TargetGroups        []TargetGroup        `json:"TargetGroups,omitempty" yaml:"TargetGroups,omitempty"`
	VpcEndpointServices []VpcEndpointService `json:"VpcEndpointServices,omitempty" yaml:"VpcEndpointServices,omitempty"`
	// TrafficMirrorFilters, TrafficMirrorTargets and TrafficMirrorSessions,
	// the lists an account holds thousands of, are lists of pointers: two versions of a Spec
	// (the API server's changes) share the resources neither changed, so
	// a resource of a Spec that others may hold is never written (copy
	// it: Clone). No entry is nil (Validate refuses one).
	TrafficMirrorFilters  []*TrafficMirrorFilter  `json:"TrafficMirrorFilters,omitempty" yaml:"TrafficMirrorFilters,omitempty"`
	TrafficMirrorTargets  []*TrafficMirrorTarget  `json:"TrafficMirrorTargets,omitempty" yaml:"TrafficMirrorTargets,omitempty"`
	TrafficMirrorSessions []*TrafficMirrorSession `json:"TrafficMirrorSessions,omitempty" yaml:"TrafficMirrorSessions,omitempty"`
	// Instances are the instances launched through the API (spec_instance.go);
	// an instance of a scenario file exists only as the InstanceId of its
	// network interfaces.
	Instances []Instance `json:"Instances,omitempty" yaml:"Instances,omitempty"`
}

// Vpc is a virtual network. Its resolver (Amazon DNS) is the base of
// CidrBlock + 2.
type Vpc struct {
	VpcId     string `json:"VpcId" yaml:"VpcId"`
	CidrBlock string `json:"CidrBlock" yaml:"CidrBlock"`
	// Ipv6CidrBlock is optional.
	Ipv6CidrBlock string `json:"Ipv6CidrBlock,omitempty" yaml:"Ipv6CidrBlock,omitempty"`
	// IsDefault marks the account's default VPC (at most one).
	IsDefault bool `json:"IsDefault,omitempty" yaml:"IsDefault,omitempty"`
	// EnableDnsSupport is whether the VPC's resolver answers; nil means
	// true, EC2's default (see DnsSupport).
	EnableDnsSupport *bool `json:"EnableDnsSupport,omitempty" yaml:"EnableDnsSupport,omitempty"`
	// EnableDnsHostnames gives instances DNS host names (EC2: false but
	// in the default VPC).
	EnableDnsHostnames bool `json:"EnableDnsHostnames,omitempty" yaml:"EnableDnsHostnames,omitempty"`
	// EnableNetworkAddressUsageMetrics is EC2's NAU metrics switch.
	EnableNetworkAddressUsageMetrics bool `json:"EnableNetworkAddressUsageMetrics,omitempty" yaml:"EnableNetworkAddressUsageMetrics,omitempty"`
}

// DnsSupport reports whether the VPC's resolver answers (EnableDnsSupport,
// true when unset).
func (v *Vpc) DnsSupport() bool { return v.EnableDnsSupport == nil || *v.EnableDnsSupport }

// Subnet is a range of a VPC.
type Subnet struct {
	SubnetId      string `json:"SubnetId" yaml:"SubnetId"`
	VpcId         string `json:"VpcId" yaml:"VpcId"`
	CidrBlock     string `json:"CidrBlock" yaml:"CidrBlock"`
	Ipv6CidrBlock string `json:"Ipv6CidrBlock,omitempty" yaml:"Ipv6CidrBlock,omitempty"`
	// AvailabilityZone is the zone's name (us-east-1a); empty: the
	// Region's first zone.
	AvailabilityZone string `json:"AvailabilityZone,omitempty" yaml:"AvailabilityZone,omitempty"`
	// DefaultForAz marks its zone's default subnet (of the default VPC).
	DefaultForAz bool `json:"DefaultForAz,omitempty" yaml:"DefaultForAz,omitempty"`
	// MapPublicIpOnLaunch and AssignIpv6AddressOnCreation are the
	// subnet's launch attributes (ModifySubnetAttribute).
	MapPublicIpOnLaunch         bool `json:"MapPublicIpOnLaunch,omitempty" yaml:"MapPublicIpOnLaunch,omitempty"`
	AssignIpv6AddressOnCreation bool `json:"AssignIpv6AddressOnCreation,omitempty" yaml:"AssignIpv6AddressOnCreation,omitempty"`
	// EnableDns64 makes the resolver synthesize IPv6 addresses for
	// IPv4-only names.
	EnableDns64 bool `json:"EnableDns64,omitempty" yaml:"EnableDns64,omitempty"`
}

// NetworkAcl is a stateless, numbered rule list per direction, associated
// with subnets. Rules are evaluated in ascending RuleNumber; the first match
// decides; no match denies. A subnet with no associated ACL uses the VPC's
// default ACL, which allows everything (as on AWS).
type NetworkAcl struct {
	NetworkAclId string `json:"NetworkAclId" yaml:"NetworkAclId"`
	VpcId        string `json:"VpcId" yaml:"VpcId"`
	// IsDefault marks the VPC's default network ACL (at most one per VPC):
	// new subnets are associated with it, and it cannot be deleted.
	IsDefault bool `json:"IsDefault,omitempty" yaml:"IsDefault,omitempty"`
	// Associations lists the subnets that use this ACL.
	Associations []NetworkAclAssociation `json:"Associations,omitempty" yaml:"Associations,omitempty"`
	Entries      []NetworkAclEntry       `json:"Entries,omitempty" yaml:"Entries,omitempty"`
}

// NetworkAclAssociation ties a subnet to a network ACL.
type NetworkAclAssociation struct {
	SubnetId string `json:"SubnetId" yaml:"SubnetId"`
}

// NetworkAclEntry is one numbered rule of a network ACL.
type NetworkAclEntry struct {
	RuleNumber int `json:"RuleNumber" yaml:"RuleNumber"`
	// Egress selects the outbound list (false: inbound).
	Egress bool `json:"Egress" yaml:"Egress"`
	// Protocol is "-1" (all), an IANA number ("6") or tcp, udp, icmp, icmpv6.
	Protocol string `json:"Protocol" yaml:"Protocol"`
	// RuleAction is "allow" or "deny".
	RuleAction    string `json:"RuleAction" yaml:"RuleAction"`
	CidrBlock     string `json:"CidrBlock,omitempty" yaml:"CidrBlock,omitempty"`
	Ipv6CidrBlock string `json:"Ipv6CidrBlock,omitempty" yaml:"Ipv6CidrBlock,omitempty"`
	// PortRange applies to TCP and UDP only; nil means all ports.
	PortRange *PortRange `json:"PortRange,omitempty" yaml:"PortRange,omitempty"`
}

// PortRange is an inclusive port range of a network ACL entry (EC2 names).
type PortRange struct {
	From int `json:"From" yaml:"From"`
	To   int `json:"To" yaml:"To"`
}

// SecurityGroup is a stateful allow list. Statefulness is modelled without
// connection state: a packet passes when the rules of its direction allow it,
// or when the rules of the opposite direction allow its reverse (it may be
// the return traffic of an allowed connection).
type SecurityGroup struct {
	GroupId string `json:"GroupId" yaml:"GroupId"`
	VpcId   string `json:"VpcId" yaml:"VpcId"`
	// GroupName is unique in its VPC; "default" is the VPC's default
	// group. Empty in a scenario file, whose groups are named by their
	// Name tag.
	GroupName string `json:"GroupName,omitempty" yaml:"GroupName,omitempty"`
	// Description is the group's description (EC2: required, 255 chars).
	Description         string         `json:"Description,omitempty" yaml:"Description,omitempty"`
	IpPermissions       []IpPermission `json:"IpPermissions,omitempty" yaml:"IpPermissions,omitempty"`
	IpPermissionsEgress []IpPermission `json:"IpPermissionsEgress,omitempty" yaml:"IpPermissionsEgress,omitempty"`
}

// IpPermission is one allow rule of a security group (EC2 names). For TCP
// and UDP, FromPort..ToPort is a port range; for ICMP, FromPort is the type
// and ToPort the code (-1: any). For "-1" (all protocols) ports are ignored.
type IpPermission struct {
	IpProtocol       string            `json:"IpProtocol" yaml:"IpProtocol"`
	FromPort         int               `json:"FromPort,omitempty" yaml:"FromPort,omitempty"`
	ToPort           int               `json:"ToPort,omitempty" yaml:"ToPort,omitempty"`
	IpRanges         []IpRange         `json:"IpRanges,omitempty" yaml:"IpRanges,omitempty"`
	Ipv6Ranges       []Ipv6Range       `json:"Ipv6Ranges,omitempty" yaml:"Ipv6Ranges,omitempty"`
	UserIdGroupPairs []UserIdGroupPair `json:"UserIdGroupPairs,omitempty" yaml:"UserIdGroupPairs,omitempty"`
}

// IpRange is an IPv4 peer of a security group rule. Description (EC2's,
// up to 255 characters) says what the rule is for; it does not change
// what the rule allows.
type IpRange struct {
	CidrIp      string `json:"CidrIp" yaml:"CidrIp"`
	Description string `json:"Description,omitempty" yaml:"Description,omitempty"`
}

// Ipv6Range is an IPv6 peer of a security group rule (Description as
// IpRange's).
type Ipv6Range struct {
	CidrIpv6    string `json:"CidrIpv6" yaml:"CidrIpv6"`
	Description string `json:"Description,omitempty" yaml:"Description,omitempty"`
}

// UserIdGroupPair names a security group whose members are the peers
// (Description as IpRange's).
type UserIdGroupPair struct {
	GroupId     string `json:"GroupId" yaml:"GroupId"`
	Description string `json:"Description,omitempty" yaml:"Description,omitempty"`
}

// NetworkInterface is an ENI.
type NetworkInterface struct {
	NetworkInterfaceId string `json:"NetworkInterfaceId" yaml:"NetworkInterfaceId"`
	SubnetId           string `json:"SubnetId" yaml:"SubnetId"`
	PrivateIpAddress   string `json:"PrivateIpAddress" yaml:"PrivateIpAddress"`
	// Ipv6Address is optional; it must lie in the subnet's Ipv6CidrBlock.
	Ipv6Address string `json:"Ipv6Address,omitempty" yaml:"Ipv6Address,omitempty"`
	// EnablePrimaryIpv6 makes Ipv6Address the interface's primary IPv6
	// address (EC2's CreateNetworkInterface parameter). A session whose
	// source ENI and target ENI both have one carries its copies over IPv6
	// (see Decision.Outer).
	EnablePrimaryIpv6 bool `json:"EnablePrimaryIpv6,omitempty" yaml:"EnablePrimaryIpv6,omitempty"`
	// Mtu defaults to 9001.
	Mtu int `json:"Mtu,omitempty" yaml:"Mtu,omitempty"`
	// Groups are the security groups; none means no filtering.
	Groups []string `json:"Groups,omitempty" yaml:"Groups,omitempty"`
	// InstanceId is the instance the interface is attached to (Attachment
	// says how; an Instance of the Spec, or only this id for a scenario's
	// instance): the lab makes one namespace per InstanceId.
	InstanceId string `json:"InstanceId,omitempty" yaml:"InstanceId,omitempty"`
	// InstanceType is the owning instance's type (e.g. m5.large), the same
	// on all its ENIs; empty when unknown. An ENI of a type that cannot be
	// a mirror source (MirrorSourceSupported) is refused as a session's
	// source under the aws profile.
	InstanceType string `json:"InstanceType,omitempty" yaml:"InstanceType,omitempty"`
	// Description is the interface's description (EC2's field).
	Description string `json:"Description,omitempty" yaml:"Description,omitempty"`
	// SourceDestCheck false lets the interface send and receive traffic
	// not addressed to it (EC2's attribute; nil: true).
	SourceDestCheck *bool `json:"SourceDestCheck,omitempty" yaml:"SourceDestCheck,omitempty"`
	// Attachment says how the interface is attached to InstanceId (nil:
	// attached at its position among the instance's interfaces, deleted
	// with it). See NetworkInterfaceAttachment.
	Attachment *NetworkInterfaceAttachment `json:"Attachment,omitempty" yaml:"Attachment,omitempty"`
}

// DefaultMTU is an ENI's MTU when none is given.
const DefaultMTU = 9001

// LoadBalancer is a Network Load Balancer (Alibaba: private CLB) or a
// Gateway Load Balancer endpoint, as a mirror target.
type LoadBalancer struct {
	LoadBalancerArn string `json:"LoadBalancerArn" yaml:"LoadBalancerArn"`
	// Type is "network" or "gateway".
	Type string `json:"Type" yaml:"Type"`
	// Scheme is "internal" (the default when empty) or "internet-facing"
	// (ELBv2's; the lab has no internet: it changes no copy).
	Scheme           string `json:"Scheme,omitempty" yaml:"Scheme,omitempty"`
	SubnetId         string `json:"SubnetId" yaml:"SubnetId"`
	PrivateIpAddress string `json:"PrivateIpAddress" yaml:"PrivateIpAddress"`
	// Ipv6Address (optional) makes the load balancer (or endpoint)
	// dual-stack: an address of its subnet's Ipv6CidrBlock. A source ENI
	// with a primary IPv6 address then sends its copies to it over IPv6;
	// a dual-stack network load balancer forwards them to its targets'
	// Ipv6Address (so each target needs one).
	Ipv6Address string `json:"Ipv6Address,omitempty" yaml:"Ipv6Address,omitempty"`
	// VpcEndpointId is the Gateway Load Balancer endpoint's id (Type gateway).
	VpcEndpointId string `json:"VpcEndpointId,omitempty" yaml:"VpcEndpointId,omitempty"`
	// GatewayLoadBalancerArn, on an endpoint created through the API, is
	// the Gateway Load Balancer (a LoadBalancer of Type gateway without
	// VpcEndpointId) that it sends to: the endpoint's LoadBalancerArn is
	// then its own (arn:…:vpc-endpoint/vpce-…), its Targets the load
	// balancer's. A file's endpoint is its load balancer (one entry).
	GatewayLoadBalancerArn string `json:"GatewayLoadBalancerArn,omitempty" yaml:"GatewayLoadBalancerArn,omitempty"`
	// AdditionalSubnets are the load balancer's further zones (ELBv2's
	// Subnets beyond the first); copies go to the first.
	AdditionalSubnets []LoadBalancerSubnet `json:"AdditionalSubnets,omitempty" yaml:"AdditionalSubnets,omitempty"`
	// Listeners: mirror traffic needs UDP 4789 on a network load balancer;
	// without it the traffic is silently lost.
	Listeners []Listener `json:"Listeners,omitempty" yaml:"Listeners,omitempty"`
	// Targets are the registered targets (ENIs), healthy at start.
	Targets []TargetDescription `json:"Targets,omitempty" yaml:"Targets,omitempty"`
}

// Listener is a load balancer listener.
type Listener struct {
	Protocol string `json:"Protocol" yaml:"Protocol"`
	Port     int    `json:"Port" yaml:"Port"`
	// TargetGroupArn is the target group it forwards to; empty: the load
	// balancer's own Targets (a file's load balancer).
	TargetGroupArn string `json:"TargetGroupArn,omitempty" yaml:"TargetGroupArn,omitempty"`
}

// TargetDescription is a registered target of a load balancer.
type TargetDescription struct {
	NetworkInterfaceId string `json:"NetworkInterfaceId" yaml:"NetworkInterfaceId"`
}

// TrafficMirrorFilter selects what a session mirrors.
type TrafficMirrorFilter struct {
	TrafficMirrorFilterId string                    `json:"TrafficMirrorFilterId" yaml:"TrafficMirrorFilterId"`
	IngressFilterRules    []TrafficMirrorFilterRule `json:"IngressFilterRules,omitempty" yaml:"IngressFilterRules,omitempty"`
	EgressFilterRules     []TrafficMirrorFilterRule `json:"EgressFilterRules,omitempty" yaml:"EgressFilterRules,omitempty"`
	// NetworkServices may hold "amazon-dns": mirror the VPC resolver's traffic.
	NetworkServices []string `json:"NetworkServices,omitempty" yaml:"NetworkServices,omitempty"`
	Description     string   `json:"Description,omitempty" yaml:"Description,omitempty"`
}

// NetworkServiceAmazonDNS is the network service that mirrors Amazon DNS.
const NetworkServiceAmazonDNS = "amazon-dns"

// TrafficMirrorFilterRule is one numbered rule of a filter.
type TrafficMirrorFilterRule struct {
	TrafficMirrorFilterRuleId string `json:"TrafficMirrorFilterRuleId,omitempty" yaml:"TrafficMirrorFilterRuleId,omitempty"`
	RuleNumber                int    `json:"RuleNumber" yaml:"RuleNumber"`
	// RuleAction is "accept" or "reject".
	RuleAction string `json:"RuleAction" yaml:"RuleAction"`
	// Protocol is the IANA protocol number; 0 means all protocols.
	Protocol             int                     `json:"Protocol,omitempty" yaml:"Protocol,omitempty"`
	SourceCidrBlock      string                  `json:"SourceCidrBlock" yaml:"SourceCidrBlock"`
	DestinationCidrBlock string                  `json:"DestinationCidrBlock" yaml:"DestinationCidrBlock"`
	SourcePortRange      *TrafficMirrorPortRange `json:"SourcePortRange,omitempty" yaml:"SourcePortRange,omitempty"`
	DestinationPortRange *TrafficMirrorPortRange `json:"DestinationPortRange,omitempty" yaml:"DestinationPortRange,omitempty"`
	Description          string                  `json:"Description,omitempty" yaml:"Description,omitempty"`
}

// TrafficMirrorPortRange is an inclusive port range of a filter rule.
type TrafficMirrorPortRange struct {
	FromPort int `json:"FromPort" yaml:"FromPort"`
	ToPort   int `json:"ToPort" yaml:"ToPort"`
}

// TrafficMirrorTarget is where a session's copies go: exactly one of
// NetworkInterfaceId, NetworkLoadBalancerArn, GatewayLoadBalancerEndpointId.
type TrafficMirrorTarget struct {
	TrafficMirrorTargetId         string `json:"TrafficMirrorTargetId" yaml:"TrafficMirrorTargetId"`
	NetworkInterfaceId            string `json:"NetworkInterfaceId,omitempty" yaml:"NetworkInterfaceId,omitempty"`
	NetworkLoadBalancerArn        string `json:"NetworkLoadBalancerArn,omitempty" yaml:"NetworkLoadBalancerArn,omitempty"`
	GatewayLoadBalancerEndpointId string `json:"GatewayLoadBalancerEndpointId,omitempty" yaml:"GatewayLoadBalancerEndpointId,omitempty"`
	Description                   string `json:"Description,omitempty" yaml:"Description,omitempty"`
}

// TrafficMirrorSession copies a source ENI's traffic through a filter to a
// target.
type TrafficMirrorSession struct {
	TrafficMirrorSessionId string `json:"TrafficMirrorSessionId" yaml:"TrafficMirrorSessionId"`
	// NetworkInterfaceId is the source ENI.
	NetworkInterfaceId string `json:"NetworkInterfaceId" yaml:"NetworkInterfaceId"`
	// TrafficMirrorSourceIds are further source ENIs (Alibaba: up to 10
	// sources per session in all; AWS: must be empty).
	TrafficMirrorSourceIds []string `json:"TrafficMirrorSourceIds,omitempty" yaml:"TrafficMirrorSourceIds,omitempty"`
	TrafficMirrorTargetId  string   `json:"TrafficMirrorTargetId" yaml:"TrafficMirrorTargetId"`
	TrafficMirrorFilterId  string   `json:"TrafficMirrorFilterId" yaml:"TrafficMirrorFilterId"`
	// SessionNumber 1..32766; 1 is the highest priority.
	SessionNumber int `json:"SessionNumber" yaml:"SessionNumber"`
	// VirtualNetworkId 0..16777215; nil: assigned randomly and uniquely.
	VirtualNetworkId *int `json:"VirtualNetworkId,omitempty" yaml:"VirtualNetworkId,omitempty"`
	// PacketLength 1..8947 (<= 8500 for load balancer targets); nil: whole
	// packet.
	PacketLength *int   `json:"PacketLength,omitempty" yaml:"PacketLength,omitempty"`
	Description  string `json:"Description,omitempty" yaml:"Description,omitempty"`
}
