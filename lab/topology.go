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
	for _, v := range s.Vpcs {
		vs := sim.VPCSpec{Name: v.VpcId}
		var err error
		if vs.CIDR, err = prefix(v.CidrBlock); err != nil {
			return sim.Topology{}, fmt.Errorf("vpc %s CidrBlock: %w", v.VpcId, err)
		}
		if vs.IPv6CIDR, err = prefix(v.Ipv6CidrBlock); err != nil {
			return sim.Topology{}, fmt.Errorf("vpc %s Ipv6CidrBlock: %w", v.VpcId, err)
		}
		for _, sn := range s.Subnets {
			if sn.VpcId != v.VpcId {
				continue
			}
			ss := sim.SubnetSpec{Name: sn.SubnetId}
			if ss.CIDR, err = prefix(sn.CidrBlock); err != nil {
				return sim.Topology{}, fmt.Errorf("subnet %s CidrBlock: %w", sn.SubnetId, err)
			}
			if ss.IPv6CIDR, err = prefix(sn.Ipv6CidrBlock); err != nil {
				return sim.Topology{}, fmt.Errorf("subnet %s Ipv6CidrBlock: %w", sn.SubnetId, err)
			}
			vs.Subnets = append(vs.Subnets, ss)
			vpcOf[sn.SubnetId] = v.VpcId
		}
		t.VPCs = append(t.VPCs, vs)
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
		e := sim.ENISpec{Name: "eth0", Subnet: lb.SubnetId}
		var err error
		if e.IP, err = addr(lb.PrivateIpAddress); err != nil {
			return sim.Topology{}, fmt.Errorf("load balancer %s PrivateIpAddress: %w", lb.LoadBalancerArn, err)
		}
		if e.IPv6, err = addr(lb.Ipv6Address); err != nil {
			return sim.Topology{}, fmt.Errorf("load balancer %s Ipv6Address: %w", lb.LoadBalancerArn, err)
		}
		t.Instances = append(t.Instances, sim.InstanceSpec{Name: applianceName(lb), VPC: vpcOf[lb.SubnetId],
			Appliance: true, ENIs: []sim.ENISpec{e}})
	}
	return t, nil
}

// addInstances adds an instance per distinct InstanceId, in the order of
// their first interface.
func addInstances(t *sim.Topology, s cloudmock.Spec, vpcOf map[string]string) error {
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
		e := sim.ENISpec{Name: fmt.Sprintf("eth%d", len(in.ENIs)), Subnet: n.SubnetId, MTU: n.Mtu}
		var err error
		if e.IP, err = addr(n.PrivateIpAddress); err != nil {
			return fmt.Errorf("network interface %s PrivateIpAddress: %w", n.NetworkInterfaceId, err)
		}
		if e.IPv6, err = addr(n.Ipv6Address); err != nil {
			return fmt.Errorf("network interface %s Ipv6Address: %w", n.NetworkInterfaceId, err)
		}
		in.ENIs = append(in.ENIs, e)
	}
	return nil
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

func prefix(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, nil
	}
	return netip.ParsePrefix(s)
}

func addr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	return netip.ParseAddr(s)
}
