package lab

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// TopologyOf is the emulated network a model describes, the one
// derivation of a lab's network from the resources (a scenario's and the
// API's alike):
//
//   - each VPC is a fabric named by its VpcId, each subnet a bridge of it;
//   - each distinct NetworkInterface.InstanceId is an instance named by that
//     id, holding its interfaces in the Spec's order as eth0, eth1, …
//     (an interface with no InstanceId is not attached and not realized);
//   - each load balancer (or Gateway Load Balancer endpoint) is an
//     appliance holding its own address as eth0, named by applianceName;
//   - each active peering, and each transit gateway with its attached
//     VPCs, joins fabrics.
//
// Addresses are the model's; an address that does not parse is an error
// naming the resource and field.
func TopologyOf(s cloudmock.Spec) (sim.Topology, error) {
	var t sim.Topology
	vpcOf := map[string]string{} // subnet -> vpc
	var err error                // the first address that does not parse
	for _, v := range s.Vpcs {
		vs := sim.VPCSpec{Name: v.VpcId, CIDR: parse(&err, "vpc "+v.VpcId, "CidrBlock", v.CidrBlock, netip.ParsePrefix),
			IPv6CIDR: parse(&err, "vpc "+v.VpcId, "Ipv6CidrBlock", v.Ipv6CidrBlock, netip.ParsePrefix)}
		for _, sn := range s.Subnets {
			if sn.VpcId != v.VpcId {
				continue
			}
			vs.Subnets = append(vs.Subnets, sim.SubnetSpec{Name: sn.SubnetId,
				CIDR:     parse(&err, "subnet "+sn.SubnetId, "CidrBlock", sn.CidrBlock, netip.ParsePrefix),
				IPv6CIDR: parse(&err, "subnet "+sn.SubnetId, "Ipv6CidrBlock", sn.Ipv6CidrBlock, netip.ParsePrefix)})
			vpcOf[sn.SubnetId] = v.VpcId
		}
		t.VPCs = append(t.VPCs, vs)
	}
	if err != nil {
		return sim.Topology{}, err
	}
	for _, p := range s.VpcPeeringConnections {
		if p.Status == nil || p.Status.Code == cloudmock.PeeringActive {
			t.Peerings = append(t.Peerings, sim.PeeringSpec{Name: p.VpcPeeringConnectionId,
				VPCs: [2]string{p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId}})
		}
	}
	for _, g := range s.TransitGateways {
		tg := sim.TransitGatewaySpec{Name: g.TransitGatewayId}
		for _, a := range s.TransitGatewayVpcAttachments {
			if a.TransitGatewayId == g.TransitGatewayId {
				tg.VPCs = append(tg.VPCs, a.VpcId)
			}
		}
		t.TransitGateways = append(t.TransitGateways, tg)
	}
	if err := addInstances(&t, s, vpcOf); err != nil {
		return sim.Topology{}, err
	}
	for _, lb := range s.LoadBalancers {
		what := "load balancer " + lb.LoadBalancerArn
		e := sim.ENISpec{Name: "eth0", Subnet: lb.SubnetId, IP: parse(&err, what, "PrivateIpAddress", lb.PrivateIpAddress, netip.ParseAddr),
			IPv6: parse(&err, what, "Ipv6Address", lb.Ipv6Address, netip.ParseAddr)}
		t.Instances = append(t.Instances, sim.InstanceSpec{Name: applianceName(lb), VPC: vpcOf[lb.SubnetId],
			Appliance: true, ENIs: []sim.ENISpec{e}})
	}
	if err != nil {
		return sim.Topology{}, err
	}
	return t, nil
}

// addInstances adds an instance per distinct InstanceId, in the order of
// their first interface.
func addInstances(t *sim.Topology, s cloudmock.Spec, vpcOf map[string]string) error {
	var err error // the first address that does not parse
	index := map[string]int{}
	for _, n := range s.NetworkInterfaces {
		if n.InstanceId == "" {
			continue
		}
		i, ok := index[n.InstanceId]
		if !ok {
			i = len(t.Instances)
			index[n.InstanceId] = i
			t.Instances = append(t.Instances, sim.InstanceSpec{Name: n.InstanceId, VPC: vpcOf[n.SubnetId]})
		}
		in := &t.Instances[i]
		what := "network interface " + n.NetworkInterfaceId
		in.ENIs = append(in.ENIs, sim.ENISpec{Name: fmt.Sprintf("eth%d", len(in.ENIs)), Subnet: n.SubnetId, MTU: n.Mtu,
			IP:   parse(&err, what, "PrivateIpAddress", n.PrivateIpAddress, netip.ParseAddr),
			IPv6: parse(&err, what, "Ipv6Address", n.Ipv6Address, netip.ParseAddr)})
	}
	return err
}

// applianceName is the instance name of a load balancer's appliance: its
// id when that is a usable name (a scenario's), else "lb-" and the last
// part of its ARN (EC2's arn:…:loadbalancer/net/NAME/ID gives "lb-ID").
func applianceName(lb cloudmock.LoadBalancer) string {
	id := lb.LoadBalancerArn
	if !strings.ContainsAny(id, ":/") {
		return id
	}
	return "lb-" + id[strings.LastIndexAny(id, ":/")+1:]
}

// parse parses the model's field of the resource what ("" is the zero
// value); the first value that does not parse sets *first, naming them.
func parse[T any](first *error, what, field, s string, p func(string) (T, error)) T {
	var v T
	if s == "" {
		return v
	}
	v, err := p(s)
	if err != nil && *first == nil {
		*first = fmt.Errorf("%s %s: %w", what, field, err)
	}
	return v
}
