package spec

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// check is the semantic pass over the file itself: names unique, every
// reference resolves, each program/traffic/expectation has exactly one kind,
// values in range. It reports every problem at once (Problems). The provider's
// own rules (quotas, session numbers, VNIs, …) are checked by ModelProblems.
// It stops, with an error wrapping ErrInterrupted, soon after ctx is done.
func (s *Scenario) check(ctx context.Context) error {
	c := &problems{s: s}
	s.refs = buildRefs(s, c)
	s.checkProfile(c)
	s.checkNetwork(c)
	s.checkMirror(c)
	s.checkPrograms(c)
	s.checkTraffic(c)
	s.checkExpect(c)
	// Addresses are resolved whatever else is wrong, so that their own
	// problems show now and ModelProblems can still check the provider's
	// rules on every resource whose references resolved.
	if ctx.Err() != nil {
		return interrupted(ctx, s.File)
	}
	addrs, aerr := s.resolveAddrs(ctx)
	if errors.Is(aerr, ErrInterrupted) {
		return aerr
	}
	s.addrs = addrs
	s.model = s.buildModel()
	c.out = append(c.out, AsProblems(aerr)...)
	if err := c.err(); err != nil {
		return err
	}
	return s.checkPlatform()
}

func oneOf(v string, allowed ...string) bool { return slices.Contains(allowed, v) }

func (s *Scenario) checkProfile(c *problems) {
	if !oneOf(s.Profile.Provider, "", "aws", "alibaba") {
		c.at("profile.provider", "unknown provider %q (want aws or alibaba)", s.Profile.Provider)
	}
	if !oneOf(s.Profile.RejectBehaviour, "", "reject-stops", "reject-falls-through") {
		c.at("profile.rejectBehaviour", "unknown reject behaviour %q (want reject-stops or reject-falls-through)", s.Profile.RejectBehaviour)
	}
}

func (s *Scenario) checkNetwork(c *problems) {
	if len(s.Network.VPCs.List) == 0 {
		c.at("network", "no VPC: network.vpcs needs at least one")
	}
	for i, v := range s.Network.VPCs.List {
		if v.CidrBlock == "" { // or not valid: decoding reported it
			c.at(s.Network.VPCs.places.path(placeKey{"Vpc", i, "CidrBlock"}, vpcTable.yamlKey), "missing CidrBlock")
		}
	}
	for k := range s.Network.VPCs.Subnets {
		s.checkSubnet(c, k)
	}
	pcs := &s.Network.VPCPeeringConnections
	for i, pc := range pcs.List {
		p := pcs.places.path(placeKey{"VpcPeeringConnection", i, ""}, nil)
		s.checkVPCNamed(c, p, "VpcId", pc.RequesterVpcInfo.VpcId)
		s.checkVPCNamed(c, p, "PeerVpcId", pc.AccepterVpcInfo.VpcId)
	}
	tg := &s.Network.TransitGateways
	for k, a := range tg.Attachments {
		s.checkVPCNamed(c, tg.places.path(placeKey{"TransitGatewayVpcAttachment", k, ""}, nil), "VpcId", a.VpcId)
	}
	for i := range s.Network.NetworkAcls.List {
		s.checkNetworkACL(c, i)
	}
	for i := range s.Network.SecurityGroups.List {
		s.checkSecurityGroup(c, i)
	}
	for i, inst := range s.Network.Instances.List {
		s.checkInstance(c, fmt.Sprintf("network.instances[%d]", i), inst)
	}
	for i := range s.Network.LoadBalancers.List {
		s.checkLoadBalancer(c, i)
	}
}

// checkSubnet checks subnet k: inside its VPC, its network ACL's.
func (s *Scenario) checkSubnet(c *problems, k int) {
	vs := &s.Network.VPCs
	sn, v := vs.Subnets[k], vs.List[vs.parent[k]]
	vcidr, _ := netip.ParsePrefix(v.CidrBlock) // valid or empty: decoded
	sp := vs.places.path(placeKey{"Subnet", k, ""}, nil)
	if cidr, err := netip.ParsePrefix(sn.CidrBlock); err != nil {
		c.at(sp+".CidrBlock", "missing CidrBlock")
	} else if vcidr.IsValid() && !(vcidr.Contains(cidr.Addr()) && cidr.Bits() >= vcidr.Bits()) {
		c.at(sp+".CidrBlock", "subnet %s is not inside VPC %q (%s)", cidr, v.VpcId, vcidr)
	}
	if name := vs.SubnetACLs[k]; name != "" {
		if acl, ok := s.refs.acls[name]; !ok {
			c.at(sp+".networkAcl", "no network ACL named %q", name)
		} else if acl.VpcId != "" && acl.VpcId != v.VpcId {
			c.at(sp+".networkAcl", "network ACL %q belongs to VPC %q, not %q", name, acl.VpcId, v.VpcId)
		}
	}
}

// checkVPCNamed checks the field key, which must name a VPC, of the
// resource at path p.
func (s *Scenario) checkVPCNamed(c *problems, p, key, name string) {
	if name == "" {
		c.at(p, "missing %s", key)
	} else if _, ok := s.refs.vpcs[name]; !ok {
		c.at(p+"."+key, "no VPC named %q", name)
	}
}

// checkNetworkACL checks network ACL i and its entries.
func (s *Scenario) checkNetworkACL(c *problems, i int) {
	acls := &s.Network.NetworkAcls
	acl, at := acls.List[i], func(f string) string { return acls.places.path(placeKey{"NetworkAcl", i, f}, aclTable.yamlKey) }
	s.checkVPCRef(c, at("VpcId"), acl.VpcId)
	for j, e := range acl.Entries {
		ep := at("Entries[" + strconv.Itoa(j) + "]")
		if !oneOf(e.RuleAction, "allow", "deny") {
			c.at(ep+".RuleAction", "RuleAction %q: want allow or deny", e.RuleAction)
		}
		switch {
		case e.CidrBlock != "" && e.Ipv6CidrBlock != "":
			c.at(ep+".Ipv6CidrBlock", "give CidrBlock or Ipv6CidrBlock, not both")
		case e.CidrBlock == "" && e.Ipv6CidrBlock == "":
			c.at(ep+".CidrBlock", "missing CidrBlock (or Ipv6CidrBlock)")
		}
	}
}

// checkSecurityGroup checks security group i and its rules.
func (s *Scenario) checkSecurityGroup(c *problems, i int) {
	sgs := &s.Network.SecurityGroups
	sg, at := sgs.List[i], func(f string) string { return sgs.places.path(placeKey{"SecurityGroup", i, f}, sgKeys) }
	s.checkVPCRef(c, at("VpcId"), sg.VpcId)
	for _, list := range []struct {
		field string
		rules []cloudmock.IpPermission
	}{{"IpPermissions", sg.IpPermissions}, {"IpPermissionsEgress", sg.IpPermissionsEgress}} {
		for j, rule := range list.rules {
			rp := at(fmt.Sprintf("%s[%d]", list.field, j))
			for _, peer := range rule.UserIdGroupPairs {
				if _, ok := s.refs.sgs[peer.GroupId]; !ok {
					c.at(rp, "no security group named %q", peer.GroupId)
				}
			}
			if len(rule.UserIdGroupPairs)+len(rule.IpRanges)+len(rule.Ipv6Ranges) == 0 {
				c.at(rp, "a rule needs CidrIp, CidrIpv6 or a peer security group")
			}
		}
	}
}

// checkInstance checks the instance at path p, its network interfaces and
// its VXLAN devices.
func (s *Scenario) checkInstance(c *problems, p string, inst Instance) {
	if len(inst.NetworkInterfaces) == 0 {
		c.at(p, "instance %q has no networkInterfaces", inst.Name)
	}
	vpc := ""
	for j, eni := range inst.NetworkInterfaces {
		vpc = s.checkInterface(c, fmt.Sprintf("%s.networkInterfaces[%d]", p, j), inst.Name, vpc, eni)
	}
	for j, d := range inst.VXLANDevices {
		dp := fmt.Sprintf("%s.vxlanDevices[%d]", p, j)
		if d.Name == "" || len(d.Name) > 15 {
			c.at(dp+".name", "a VXLAN device needs a name of 1-15 bytes")
		}
		if d.VNI < 0 || d.VNI > 1<<24-1 {
			c.at(dp+".vni", "vni %d out of range 0-16777215", d.VNI)
		}
		if d.NetworkInterface != "" && !slices.ContainsFunc(inst.NetworkInterfaces, func(e cloudmock.NetworkInterface) bool { return e.NetworkInterfaceId == d.NetworkInterface }) {
			c.at(dp+".networkInterface", "instance %q has no interface named %q", inst.Name, d.NetworkInterface)
		}
	}
}

// checkInterface checks the network interface at path ep of instance inst,
// whose earlier interfaces are in VPC vpc ("" when none resolved yet), and
// returns the VPC of the instance's interfaces so far.
func (s *Scenario) checkInterface(c *problems, ep, inst, vpc string, eni cloudmock.NetworkInterface) string {
	if sn, ok := s.checkSubnetRef(c, ep, eni.SubnetId); ok {
		if vpc == "" {
			vpc = sn.vpc.VpcId
		} else if vpc != sn.vpc.VpcId {
			c.at(ep+".SubnetId", "instance %q has interfaces in two VPCs (%s, %s)", inst, vpc, sn.vpc.VpcId)
		}
		a, _ := netip.ParseAddr(eni.PrivateIpAddress) // valid or empty: decoded
		checkPrivateAddr(c, ep, a, eni.SubnetId, sn)
		if a6, err := netip.ParseAddr(eni.Ipv6Address); err == nil && !sn.cidr6.Contains(a6) {
			c.at(ep+".Ipv6Address", "%s is not in subnet %q's Ipv6CidrBlock (%s)", a6, eni.SubnetId, sn.cidr6)
		}
	}
	for k, g := range eni.Groups {
		if _, ok := s.refs.sgs[g]; !ok {
			c.at(fmt.Sprintf("%s.GroupSet[%d]", ep, k), "no security group named %q", g)
		}
	}
	if eni.Mtu != 0 && (eni.Mtu < 576 || eni.Mtu > 9001) {
		c.at(ep+".mtu", "mtu %d out of range 576-9001", eni.Mtu)
	}
	return vpc
}

// checkLoadBalancer checks load balancer i.
func (s *Scenario) checkLoadBalancer(c *problems, i int) {
	lbs := &s.Network.LoadBalancers
	lb, at := lbs.List[i], func(f string) string { return lbs.places.path(placeKey{"LoadBalancer", i, f}, lbTable.yamlKey) }
	p := at("")
	if !oneOf(lb.Type, "", "network", "gateway") {
		c.at(at("Type"), "Type %q: want network or gateway", lb.Type)
	}
	if sn, ok := s.checkSubnetRef(c, p, lb.SubnetId); ok {
		a, _ := netip.ParseAddr(lb.PrivateIpAddress) // valid or empty: decoded
		checkPrivateAddr(c, p, a, lb.SubnetId, sn)
	}
	if port := lbs.Lab[i].HealthCheckPort; port != 0 && !validPort(port) {
		c.at(p+".healthCheckPort", "port %d out of range 1-65535", port)
	}
	for j, t := range lb.Targets {
		if _, ok := s.refs.eniOrInstance(t.NetworkInterfaceId); !ok {
			c.at(at(fmt.Sprintf("Targets[%d].NetworkInterfaceId", j)), "no network interface or instance named %q", t.NetworkInterfaceId)
		}
	}
}

// checkSubnetRef reports a missing or unknown SubnetId of the resource at
// path p, and returns the subnet it names.
func (s *Scenario) checkSubnetRef(c *problems, p, subnet string) (subnetRef, bool) {
	sn, ok := s.refs.subnets[subnet]
	switch {
	case subnet == "":
		c.at(p, "missing SubnetId")
		return sn, false
	case !ok:
		c.at(p+".SubnetId", "no subnet named %q", subnet)
	}
	return sn, ok
}

// checkPrivateAddr reports a PrivateIpAddress, of the resource at path p,
// that is outside its subnet sn (named subnet).
func checkPrivateAddr(c *problems, p string, a netip.Addr, subnet string, sn subnetRef) {
	if a.IsValid() && !sn.cidr.Contains(a) {
		c.at(p+".PrivateIpAddress", "%s is not in subnet %q (%s)", a, subnet, sn.cidr)
	}
}

func (s *Scenario) checkVPCRef(c *problems, path, name string) {
	if name == "" {
		if len(s.Network.VPCs.List) > 1 {
			c.at(path, "missing VpcId (the scenario has several VPCs)")
		}
		return
	}
	if _, ok := s.refs.vpcs[name]; !ok {
		c.at(path, "no VPC named %q", name)
	}
}

func (s *Scenario) checkMirror(c *problems) {
	r, m := s.refs, &s.Mirror
	for _, p := range m.later {
		c.at(p.path, "%s", p.msg)
	}
	at := func(res string, i int, field string) string {
		return m.places.path(placeKey{res, i, field}, mirrorKeys[res])
	}
	for i, f := range m.Filters {
		for _, list := range []struct {
			name  string
			rules []cloudmock.TrafficMirrorFilterRule
		}{{"IngressFilterRules", f.IngressFilterRules}, {"EgressFilterRules", f.EgressFilterRules}} {
			for j, rule := range list.rules {
				if !oneOf(rule.RuleAction, "accept", "reject") {
					c.at(at("TrafficMirrorFilter", i, fmt.Sprintf("%s[%d].RuleAction", list.name, j)), "RuleAction %q: want accept or reject", rule.RuleAction)
				}
			}
		}
	}
	type ref struct {
		field, id, kind string
		ok              bool
	}
	check := func(res string, i int, refs ...ref) {
		for _, x := range refs {
			if x.id != "" && !x.ok {
				c.at(at(res, i, x.field), "no %s named %q", x.kind, x.id)
			}
		}
	}
	has := func(m map[string]*cloudmock.LoadBalancer, id string) bool { _, ok := m[id]; return ok }
	for i, t := range m.Targets {
		_, eni := r.enis[t.NetworkInterfaceId]
		check("TrafficMirrorTarget", i, ref{"NetworkInterfaceId", t.NetworkInterfaceId, "network interface", eni},
			ref{"NetworkLoadBalancerArn", t.NetworkLoadBalancerArn, "load balancer", has(r.lbs, t.NetworkLoadBalancerArn)},
			ref{"GatewayLoadBalancerEndpointId", t.GatewayLoadBalancerEndpointId, "load balancer", has(r.lbs, t.GatewayLoadBalancerEndpointId)})
	}
	for i, ss := range m.Sessions {
		_, eni := r.enis[ss.NetworkInterfaceId]
		_, tgt := r.targets[ss.TrafficMirrorTargetId]
		_, flt := r.filters[ss.TrafficMirrorFilterId]
		check("TrafficMirrorSession", i, ref{"NetworkInterfaceId", ss.NetworkInterfaceId, "network interface", eni},
			ref{"TrafficMirrorTargetId", ss.TrafficMirrorTargetId, "mirror target", tgt},
			ref{"TrafficMirrorFilterId", ss.TrafficMirrorFilterId, "mirror filter", flt})
	}
}
