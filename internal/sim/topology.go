package sim

import (
	"net/netip"
)

// DefaultMTU is the MTU an ENI gets when its spec leaves MTU at zero: the
// jumbo-frame MTU of an AWS VPC.
const DefaultMTU = 9001

// Topology describes an emulated cloud network as plain data: VPCs with
// their subnets, and instances with their ENIs. It holds no OS state; Realize
// turns it into a running Lab.
type Topology struct {
	VPCs      []VPCSpec      `json:"vpcs"`
	Instances []InstanceSpec `json:"instances"`
	// Peerings join VPCs pairwise (VPC peering connections).
	Peerings []PeeringSpec `json:"peerings,omitempty"`
	// TransitGateways join the VPCs attached to each.
	TransitGateways []TransitGatewaySpec `json:"transitGateways,omitempty"`
}

// VPCSpec is one VPC: an IPv4 CIDR cut into subnets. Each VPC is realised as
// one fabric namespace with a bridge per subnet and the VPC router. IPv6CIDR
// (optional) makes the VPC dual-stack: its subnets may then take a /64 of
// it each, and IPv6 is enabled in its namespaces (it is off elsewhere).
type VPCSpec struct {
	Name     string       `json:"name"`
	CIDR     netip.Prefix `json:"cidr"`
	IPv6CIDR netip.Prefix `json:"ipv6Cidr,omitzero"`
	Subnets  []SubnetSpec `json:"subnets"`
}

// DualStack reports whether the VPC has an IPv6 CIDR.
func (v *VPCSpec) DualStack() bool { return v.IPv6CIDR.IsValid() }

// SubnetSpec is one subnet of a VPC. Its base address + 1 is the gateway (the
// VPC router); base + 0..3 and the last address are reserved, as in AWS.
//
// IPv6CIDR (optional, in a dual-stack VPC) is the subnet's /64; its base
// address + 1 is the router's IPv6 address in it, and the same first four
// and last addresses are reserved.
type SubnetSpec struct {
	Name     string       `json:"name"`
	CIDR     netip.Prefix `json:"cidr"`
	IPv6CIDR netip.Prefix `json:"ipv6Cidr,omitzero"`
}

// InstanceSpec is one emulated host, realised as its own network namespace.
// Appliance marks hosts that play a managed service (an NLB) for the layers
// above; sim realises them like any other instance.
type InstanceSpec struct {
	Name      string    `json:"name"`
	VPC       string    `json:"vpc"`
	ENIs      []ENISpec `json:"enis"`
	Appliance bool      `json:"appliance,omitempty"`
}

// ENISpec is one elastic network interface of an instance. Name is the
// interface name inside the instance ("eth0"). IP is optional: when invalid
// (zero) it is assigned from the subnet, AWS-style. MTU zero means DefaultMTU.
// The first ENI of an instance carries its default route. IPv6 is optional
// (an address of the subnet's IPv6CIDR; never assigned automatically).
type ENISpec struct {
	Name   string     `json:"name"`
	Subnet string     `json:"subnet"`
	IP     netip.Addr `json:"ip,omitzero"`
	IPv6   netip.Addr `json:"ipv6,omitzero"`
	MTU    int        `json:"mtu,omitempty"`
}

// vpc returns the VPC spec named name, or nil.
func (t *Topology) vpc(name string) *VPCSpec {
	for i := range t.VPCs {
		if t.VPCs[i].Name == name {
			return &t.VPCs[i]
		}
	}
	return nil
}

// subnet returns the subnet named name in the VPC, or nil.
func (v *VPCSpec) subnet(name string) *SubnetSpec {
	for i := range v.Subnets {
		if v.Subnets[i].Name == name {
			return &v.Subnets[i]
		}
	}
	return nil
}
