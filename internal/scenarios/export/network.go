package export

import (
	"fmt"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// network is the network section from the state, with the exported
// names for ids (written by spec's tables).
func (c *conv) network() spec.Network {
	st := &c.st
	var out spec.Network
	multiVPC := len(st.Vpcs) > 1
	vpcRef := func(id string) string {
		if !multiVPC {
			return ""
		}
		return c.ref(id)
	}
	aclOf := map[string]string{} // subnet id -> ACL id
	for _, a := range st.NetworkAcls {
		for _, as := range a.Associations {
			if _, dup := aclOf[as.SubnetId]; !dup {
				aclOf[as.SubnetId] = a.NetworkAclId
			}
		}
	}
	vpcs, subnets := slices.Clone(st.Vpcs), slices.Clone(st.Subnets)
	acls := make([]string, len(subnets))
	for k := range subnets {
		if a, ok := aclOf[subnets[k].SubnetId]; ok {
			acls[k] = c.ref(a)
		}
		subnets[k].SubnetId, subnets[k].VpcId = c.ref(subnets[k].SubnetId), c.ref(subnets[k].VpcId)
	}
	for i := range vpcs {
		vpcs[i].VpcId = c.ref(vpcs[i].VpcId)
	}
	out.VPCs.List, out.VPCs.Subnets, out.VPCs.SubnetACLs = vpcs, subnets, acls
	c.joins(&out)
	nacls := c.st.Clone().NetworkAcls
	for i := range nacls {
		nacls[i].NetworkAclId, nacls[i].VpcId, nacls[i].Associations = c.ref(nacls[i].NetworkAclId), vpcRef(nacls[i].VpcId), nil
	}
	out.NetworkAcls.List = nacls
	out.SecurityGroups.List, out.SecurityGroups.Lab = c.securityGroups(vpcRef)
	out.Instances.List = c.instances()
	out.LoadBalancers.List, out.LoadBalancers.Lab = c.loadBalancers()
	return out
}

// joins sets out's active peerings and transit gateways with their
// attachments, with the exported names for ids.
func (c *conv) joins(out *spec.Network) {
	st := c.st.Clone()
	var m cloudmock.Spec
	for _, p := range st.VpcPeeringConnections {
		if !p.Active() {
			c.note("VPC peering connection %s is left out: it is %s, not active (scenario peerings are active)", c.ref(p.VpcPeeringConnectionId), p.Status.Code)
			continue
		}
		p.VpcPeeringConnectionId, p.Status = c.ref(p.VpcPeeringConnectionId), nil
		p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId = c.ref(p.RequesterVpcInfo.VpcId), c.ref(p.AccepterVpcInfo.VpcId)
		m.VpcPeeringConnections = append(m.VpcPeeringConnections, p)
	}
	for _, g := range st.TransitGateways {
		g.TransitGatewayId = c.ref(g.TransitGatewayId)
		m.TransitGateways = append(m.TransitGateways, g)
	}
	for _, a := range st.TransitGatewayVpcAttachments {
		a.TransitGatewayAttachmentId, a.TransitGatewayId, a.VpcId = c.ref(a.TransitGatewayAttachmentId), c.ref(a.TransitGatewayId), c.ref(a.VpcId)
		m.TransitGatewayVpcAttachments = append(m.TransitGatewayVpcAttachments, a)
	}
	out.VPCPeeringConnections.List = m.VpcPeeringConnections
	out.TransitGateways.List, out.TransitGateways.Attachments = m.TransitGateways, m.TransitGatewayVpcAttachments
}

// securityGroups is the security groups and their lab parts, with the exported names for
// ids (VpcId by vpcRef); a group's GroupDescription is the original's.
func (c *conv) securityGroups(vpcRef func(string) string) ([]cloudmock.SecurityGroup, []spec.SecurityGroupLab) {
	groups := c.st.Clone().SecurityGroups
	lab := make([]spec.SecurityGroupLab, len(groups))
	for i := range groups {
		g := &groups[i]
		lab[i].DefaultEgress = allOutbound(g.IpPermissionsEgress, c.dualStack(g.VpcId))
		if orig := c.e.origSG(c.origName(g.GroupId, gSG)); orig != nil {
			lab[i].GroupDescription = orig.GroupDescription
		}
		g.GroupId, g.VpcId = c.ref(g.GroupId), vpcRef(g.VpcId)
		for _, ps := range [][]cloudmock.IpPermission{g.IpPermissions, g.IpPermissionsEgress} {
			for j := range ps {
				for k := range ps[j].UserIdGroupPairs {
					ps[j].UserIdGroupPairs[k].GroupId = c.ref(ps[j].UserIdGroupPairs[k].GroupId)
				}
			}
		}
	}
	return groups, lab
}

// allOutbound reports whether egress rules are the format's default: one
// rule allowing every protocol to 0.0.0.0/0, and to ::/0 in a dual-stack
// VPC.
func allOutbound(ps []cloudmock.IpPermission, dualStack bool) bool {
	if len(ps) != 1 {
		return false
	}
	p := ps[0]
	all := p.IpProtocol == "-1" || p.IpProtocol == "all"
	v6 := len(p.Ipv6Ranges) == 0
	if dualStack {
		v6 = len(p.Ipv6Ranges) == 1 && p.Ipv6Ranges[0].CidrIpv6 == "::/0"
	}
	return all && len(p.IpRanges) == 1 && p.IpRanges[0].CidrIp == "0.0.0.0/0" && v6 && len(p.UserIdGroupPairs) == 0
}

// dualStack reports whether the VPC has an IPv6 block.
func (c *conv) dualStack(vpc string) bool {
	for _, v := range c.st.Vpcs {
		if v.VpcId == vpc {
			return v.Ipv6CidrBlock != ""
		}
	}
	return false
}

// instances groups the network interfaces by instance, in the order of
// their first interface; an instance keeps its VXLAN devices.
func (c *conv) instances() []spec.Instance {
	var out []spec.Instance
	index := map[string]int{}
	for _, e := range c.st.NetworkInterfaces {
		iid := c.instanceOf(e)
		i, ok := index[iid]
		if !ok {
			i = len(out)
			index[iid] = i
			out = append(out, spec.Instance{Name: c.ref(iid)})
		}
		oe := cloudmock.NetworkInterface{
			NetworkInterfaceId: c.ref(e.NetworkInterfaceId), SubnetId: c.ref(e.SubnetId), PrivateIpAddress: e.PrivateIpAddress,
			Ipv6Address: e.Ipv6Address, EnablePrimaryIpv6: e.EnablePrimaryIpv6, Mtu: e.Mtu, Description: e.Description,
		}
		for _, g := range e.Groups {
			oe.Groups = append(oe.Groups, c.ref(g))
		}
		out[i].NetworkInterfaces = append(out[i].NetworkInterfaces, oe)
	}
	for i := range out {
		in := c.e.origInstance(c.origInstanceName(out[i].Name))
		if in == nil {
			continue
		}
		for _, d := range in.VXLANDevices {
			od := spec.VXLANDevice{Name: d.Name, VNI: d.VNI}
			if d.NetworkInterface != "" {
				n, ok := c.rename(gHost, d.NetworkInterface)
				if !ok || !slices.ContainsFunc(out[i].NetworkInterfaces, func(e cloudmock.NetworkInterface) bool { return e.NetworkInterfaceId == n }) {
					c.note("instance %s: VXLAN device %s is left out (its network interface %s is gone)", out[i].Name, d.Name, d.NetworkInterface)
					continue
				}
				od.NetworkInterface = n
			}
			out[i].VXLANDevices = append(out[i].VXLANDevices, od)
		}
	}
	return out
}

// loadBalancers is the load balancers and their lab parts, with the exported names for
// ids; what the model has not (health-check port, unhealthy targets) is
// the original's.
func (c *conv) loadBalancers() ([]cloudmock.LoadBalancer, []spec.LoadBalancerLab) {
	lbs := c.st.Clone().LoadBalancers
	lab := make([]spec.LoadBalancerLab, len(lbs))
	for i := range lbs {
		lb := &lbs[i]
		lab[i].DefaultListeners = len(lb.Listeners) == 1 && lb.Listeners[0] == cloudmock.Listener{Protocol: "UDP", Port: 4789}
		orig, origLab := c.e.origLB(c.origName(lb.LoadBalancerArn, gHost))
		lab[i].Unhealthy = make([]bool, len(lb.Targets))
		for j, t := range lb.Targets {
			on := c.origName(t.NetworkInterfaceId, gHost)
			for k, o := range orig.Targets {
				if origLab.Unhealthy[k] && c.e.sameENI(o.NetworkInterfaceId, on) {
					lab[i].Unhealthy[j] = true
				}
			}
			lb.Targets[j].NetworkInterfaceId = c.ref(t.NetworkInterfaceId)
		}
		lab[i].HealthCheckPort = origLab.HealthCheckPort
		lb.LoadBalancerArn, lb.SubnetId, lb.VpcEndpointId = c.ref(lb.LoadBalancerArn), c.ref(lb.SubnetId), ""
		if lb.Type == "network" {
			lb.Type = "" // the format's default
		}
	}
	return lbs, lab
}

// note records something of the state that the file cannot say.
func (c *conv) note(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}
