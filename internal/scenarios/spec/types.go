package spec

import (
	"cmp"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/cloudmock"

	"gopkg.in/yaml.v3"
)

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
	model        cloudmock.Spec        // by Check
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
	VPCs vpcSection `yaml:"vpcs"`
	// VPCPeeringConnections join VPCs pairwise; each implies the routes for
	// the other VPC's whole CIDR on both sides.
	VPCPeeringConnections peeringSection `yaml:"vpcPeeringConnections"`
	// TransitGateways join the VPCs attached to each.
	TransitGateways tgwSection      `yaml:"transitGateways"`
	NetworkAcls     aclSection      `yaml:"networkAcls"`
	SecurityGroups  sgSection       `yaml:"securityGroups"`
	Instances       instanceSection `yaml:"instances"`
	LoadBalancers   lbSection       `yaml:"loadBalancers"`
}

// MarshalYAML implements yaml.Marshaler: the section (ids being the names
// to write) by the tables the loader reads it with, vpcs always, the other
// lists when not empty.
func (n Network) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	vpcs := cmp.Or(n.VPCs.node(), &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle})
	for _, kv := range []struct {
		key  string
		node *yaml.Node
	}{
		{"vpcs", vpcs}, {"vpcPeeringConnections", encodeList(peeringTable, n.VPCPeeringConnections.List)},
		{"transitGateways", n.TransitGateways.node()}, {"networkAcls", encodeList(aclTable, n.NetworkAcls.List)},
		{"securityGroups", n.SecurityGroups.node()}, {"instances", encodeList(instanceTable, n.Instances.List)},
		{"loadBalancers", n.LoadBalancers.node()},
	} {
		if kv.node != nil {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv.key}, kv.node)
		}
	}
	return m, nil
}
