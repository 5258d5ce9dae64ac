//go:build linux

package spec

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/sim"
)

// Topology is the emulated network of the scenario for sim: each instance
// with its interfaces (eth0, eth1, … in file order), and each load balancer
// as an appliance instance holding its address. Addresses not given are
// assigned as AWS would (sim.Topology.Resolve), so the result is complete and
// deterministic.
func (s *Scenario) Topology() (sim.Topology, error) {
	t := s.rawTopology()
	rt, err := t.Resolve()
	if err != nil {
		return sim.Topology{}, s.simProblems(err)
	}
	return rt, nil
}

func (s *Scenario) rawTopology() sim.Topology {
	var t sim.Topology
	for _, v := range s.Network.VPCs {
		vs := sim.VPCSpec{Name: v.Name, CIDR: v.CidrBlock.Prefix, IPv6CIDR: v.Ipv6CidrBlock.Prefix}
		for _, sn := range v.Subnets {
			vs.Subnets = append(vs.Subnets, sim.SubnetSpec{Name: sn.Name, CIDR: sn.CidrBlock.Prefix, IPv6CIDR: sn.Ipv6CidrBlock.Prefix})
		}
		t.VPCs = append(t.VPCs, vs)
	}
	for _, pc := range s.Network.VPCPeeringConnections {
		t.Peerings = append(t.Peerings, sim.PeeringSpec{Name: pc.Name, VPCs: [2]string{pc.VpcId, pc.PeerVpcId}})
	}
	for _, g := range s.Network.TransitGateways {
		tg := sim.TransitGatewaySpec{Name: g.Name}
		for _, a := range g.Attachments {
			tg.VPCs = append(tg.VPCs, a.VpcId)
		}
		t.TransitGateways = append(t.TransitGateways, tg)
	}
	vpcOf := func(subnet string) string {
		if r, ok := s.refs.subnets[subnet]; ok {
			return r.vpc.Name
		}
		return ""
	}
	for _, in := range s.Network.Instances {
		is := sim.InstanceSpec{Name: in.Name}
		for j, e := range in.NetworkInterfaces {
			if j == 0 {
				is.VPC = vpcOf(e.SubnetId)
			}
			is.ENIs = append(is.ENIs, sim.ENISpec{Name: IfName(j), Subnet: e.SubnetId, IP: s.addrs[in.Name+"/"+IfName(j)],
				IPv6: e.Ipv6Address.Addr, MTU: e.MTU})
		}
		t.Instances = append(t.Instances, is)
	}
	for _, lb := range s.Network.LoadBalancers {
		t.Instances = append(t.Instances, sim.InstanceSpec{
			Name: lb.Name, VPC: vpcOf(lb.SubnetId), Appliance: true,
			ENIs: []sim.ENISpec{{Name: IfName(0), Subnet: lb.SubnetId, IP: s.addrs[lb.Name+"/"+IfName(0)], IPv6: lb.Ipv6Address.Addr}},
		})
	}
	return t
}

var simFieldRE = regexp.MustCompile(`^(VPCs|Instances|Peerings|TransitGateways)\[(\d+)\](.*)$`)

// simProblems maps sim's validation errors (fields like
// Instances[2].ENIs[0].IP) back to places in the file.
func (s *Scenario) simProblems(err error) error {
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
		c.at(s.simPath(ve.Field), "%s", ve.Message)
	}
	return c.err()
}

var simRenames = []struct{ from, to string }{
	{".ENIs[", ".networkInterfaces["}, {".Subnets[", ".subnets["}, {".IPv6CIDR", ".Ipv6CidrBlock"}, {".CIDR", ".CidrBlock"},
	{".Name", ".name"}, {".IPv6", ".Ipv6Address"}, {".IP", ".PrivateIpAddress"}, {".MTU", ".mtu"}, {".Subnet", ".SubnetId"},
}

func (s *Scenario) simPath(field string) string {
	m := simFieldRE.FindStringSubmatch(field)
	if m == nil {
		return "network"
	}
	i, _ := strconv.Atoi(m[2])
	var p string
	switch {
	case m[1] == "VPCs":
		p = fmt.Sprintf("network.vpcs[%d]", i)
	case m[1] == "TransitGateways":
		p = fmt.Sprintf("network.transitGateways[%d]", i)
		m[3] = regexp.MustCompile(`^\.VPCs\[(\d+)\]`).ReplaceAllString(m[3], ".attachments[$1].VpcId")
	case m[1] == "Peerings":
		p = fmt.Sprintf("network.vpcPeeringConnections[%d]", i)
		m[3] = strings.NewReplacer(".VPCs[0]", ".VpcId", ".VPCs[1]", ".PeerVpcId", ".VPCs", ".PeerVpcId").Replace(m[3])
	case i < len(s.Network.Instances):
		p = fmt.Sprintf("network.instances[%d]", i)
	default:
		p = fmt.Sprintf("network.loadBalancers[%d]", i-len(s.Network.Instances))
		m[3] = strings.TrimPrefix(m[3], ".ENIs[0]")
	}
	rest := m[3]
	for _, r := range simRenames {
		rest = strings.ReplaceAll(rest, r.from, r.to)
	}
	return p + rest
}
