//go:build linux

package spec

import (
	"errors"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/lab"
)

// Topology is the emulated network of the scenario for sim, as the lab
// derives it from the model (lab.TopologyOf): each instance with its
// interfaces (eth0, eth1, … in file order), and each load balancer as an
// appliance instance holding its address, resolved (sim.Topology.Resolve)
// so that it is complete and deterministic. Sim's problems come back at
// their places in the file.
func (s *Scenario) Topology() (sim.Topology, error) {
	m := s.Model()
	t, err := lab.TopologyOf(m)
	if err != nil {
		return sim.Topology{}, err
	}
	rt, err := t.Resolve()
	if err != nil {
		return sim.Topology{}, s.simProblems(t, err)
	}
	return rt, nil
}

// simProblems maps sim's validation errors on topology t (fields like
// Instances[2].ENIs[0].IP) back to places in the file.
func (s *Scenario) simProblems(t sim.Topology, err error) error {
	c := &problems{s: s}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ve *sim.ValidationError
		if !errors.As(e, &ve) {
			c.at("network", "%v", e)
			continue
		}
		c.at(s.simPath(t, ve.Field), "%s", ve.Message)
	}
	return c.err()
}

// simKeys are sim's field names with the scenario's keys for them.
var simKeys = map[string]string{
	"CIDR": "CidrBlock", "IPv6CIDR": "Ipv6CidrBlock", "Name": "name", "IP": "PrivateIpAddress", "IPv6": "Ipv6Address",
	"MTU": "mtu", "Subnet": "SubnetId",
}

// simPath is the document path of sim's field of topology t: its resource
// found by name (a load balancer's appliance by its position after the
// instances), the rest by simKeys.
func (s *Scenario) simPath(t sim.Topology, field string) string {
	list, i, rest := splitIndex(field)
	var p string
	var ok bool
	switch {
	case i < 0:
	case list == "VPCs" && i < len(t.VPCs):
		p, ok = s.refs.resourcePath("Vpc", t.VPCs[i].Name)
		if sub, j, r := splitIndex(strings.TrimPrefix(rest, ".")); sub == "Subnets" && j >= 0 && j < len(t.VPCs[i].Subnets) {
			p, ok = s.refs.resourcePath("Subnet", t.VPCs[i].Subnets[j].Name)
			rest = r
		}
	case list == "Peerings" && i < len(t.Peerings):
		p, ok = s.refs.resourcePath("VpcPeeringConnection", t.Peerings[i].Name)
		rest = strings.NewReplacer(".VPCs[0]", ".VpcId", ".VPCs[1]", ".PeerVpcId", ".VPCs", ".PeerVpcId").Replace(rest)
	case list == "TransitGateways" && i < len(t.TransitGateways):
		p, ok = s.refs.resourcePath("TransitGateway", t.TransitGateways[i].Name)
		if vpcs, j, r := splitIndex(strings.TrimPrefix(rest, ".")); vpcs == "VPCs" && j >= 0 {
			rest = ".attachments[" + strconv.Itoa(j) + "].VpcId" + r
		}
	case list == "Instances" && i < len(t.Instances) && !t.Instances[i].Appliance:
		p, ok = s.refs.resourcePath("Instance", t.Instances[i].Name)
		rest = strings.Replace(rest, ".ENIs[", ".networkInterfaces[", 1)
	case list == "Instances" && i < len(t.Instances):
		n := i - (len(t.Instances) - len(s.Network.LoadBalancers.List))
		p, ok = "network.loadBalancers["+strconv.Itoa(n)+"]", n >= 0
		rest = strings.TrimPrefix(rest, ".ENIs[0]")
	}
	if !ok {
		return "network"
	}
	if head, last, found := cutLast(rest, "."); found {
		if k, ok := simKeys[last]; ok {
			rest = head + "." + k
		}
	}
	return p + rest
}

// splitIndex splits "Name[3].rest" into Name, 3 and ".rest" (i -1 when
// field has no index).
func splitIndex(field string) (name string, i int, rest string) {
	name, after, ok := strings.Cut(field, "[")
	if !ok {
		return field, -1, ""
	}
	num, rest, _ := strings.Cut(after, "]")
	i, err := strconv.Atoi(num)
	if err != nil {
		return field, -1, ""
	}
	return name, i, rest
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
