package spec

import "net/netip"

// Scenario is one scenario file: the whole test.
type Scenario struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Profile     Profile   `yaml:"profile"`
	Network     Network   `yaml:"network"`
	Mirror      Mirror    `yaml:"mirror"`
	Programs    []Program `yaml:"programs"`
	Traffic     []Traffic `yaml:"traffic"`
	// Settle is how long to wait after the traffic before counters are read
	// (default 1s).
	Settle Duration      `yaml:"settle"`
	Expect []Expectation `yaml:"expect"`

	// File is the path the scenario was read from (for messages).
	File  string `yaml:"-"`
	pos   posIndex
	names nameIndex
	// fileProblems holds the lines of the problems Parse found (nil: none).
	fileProblems map[int]bool
	refs         *refs
	addrs        map[string]netip.Addr // "instance/ifname" -> address, by Check
}

// Profile selects the provider's semantics.
type Profile struct {
	// Provider is "aws" (default) or "alibaba".
	Provider string `yaml:"provider"`
	// RejectBehaviour is "reject-stops" (default) or "reject-falls-through".
	RejectBehaviour string `yaml:"rejectBehaviour"`
}

// Network is the emulated VPC topology with its NACLs and security groups.
type Network struct {
	VPCs VPCs `yaml:"vpcs"`
	// VPCPeeringConnections join VPCs pairwise; each implies the routes for
	// the other VPC's whole CIDR on both sides.
	VPCPeeringConnections Peerings `yaml:"vpcPeeringConnections"`
	// TransitGateways join the VPCs attached to each.
	TransitGateways TransitGateways `yaml:"transitGateways"`
	NetworkAcls     NetworkACLs     `yaml:"networkAcls"`
	SecurityGroups  SecurityGroups  `yaml:"securityGroups"`
	Instances       Instances       `yaml:"instances"`
	LoadBalancers   LoadBalancers   `yaml:"loadBalancers"`
}
