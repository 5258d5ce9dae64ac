package cloudmock

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

func (v *validator) vpcs(s *Spec) {
	seen := map[string]bool{}
	for i, x := range s.Vpcs {
		v.unique("Vpc", "VpcId", x.VpcId, i, seen)
		v.prefix("Vpc", x.VpcId, i, "CidrBlock", x.CidrBlock, 4)
		if x.Ipv6CidrBlock != "" {
			v.prefix("Vpc", x.VpcId, i, "Ipv6CidrBlock", x.Ipv6CidrBlock, 6)
		}
	}
}

func (v *validator) subnets(s *Spec) {
	seen := map[string]bool{}
	for i, x := range s.Subnets {
		v.unique("Subnet", "SubnetId", x.SubnetId, i, seen)
		p, ok := v.prefix("Subnet", x.SubnetId, i, "CidrBlock", x.CidrBlock, 4)
		vpc := v.r.vpcs[x.VpcId]
		if x.Ipv6CidrBlock != "" {
			v.subnetIPv6(x, i, vpc)
		}
		if vpc == nil {
			v.add("Subnet", x.SubnetId, i, "VpcId", codes.VpcNotFound, "VPC %q does not exist", x.VpcId)
			continue
		}
		if vp, err := netip.ParsePrefix(vpc.CidrBlock); ok && err == nil && (p.Bits() < vp.Bits() || !vp.Contains(p.Addr())) {
			v.add("Subnet", x.SubnetId, i, "CidrBlock", codes.SubnetRange, "%s is not inside VPC %s's %s", x.CidrBlock, x.VpcId, vpc.CidrBlock)
		}
	}
}

// subnetIPv6 checks a dual-stack subnet's IPv6 block: inside its VPC's
// Ipv6CidrBlock, no longer than a /64 (AWS gives subnets /64s of the VPC's
// /56).
func (v *validator) subnetIPv6(x Subnet, i int, vpc *Vpc) {
	p, ok := v.prefix("Subnet", x.SubnetId, i, "Ipv6CidrBlock", x.Ipv6CidrBlock, 6)
	if !ok || vpc == nil {
		return
	}
	if p.Bits() > 64 {
		v.add("Subnet", x.SubnetId, i, "Ipv6CidrBlock", codes.InvalidParameterValue, "%s: an IPv6 subnet is at most a /64", x.Ipv6CidrBlock)
	}
	if vpc.Ipv6CidrBlock == "" {
		v.add("Subnet", x.SubnetId, i, "Ipv6CidrBlock", codes.SubnetRange, "VPC %s has no Ipv6CidrBlock", x.VpcId)
		return
	}
	if vp, err := netip.ParsePrefix(vpc.Ipv6CidrBlock); err == nil && (p.Bits() < vp.Bits() || !vp.Contains(p.Addr())) {
		v.add("Subnet", x.SubnetId, i, "Ipv6CidrBlock", codes.SubnetRange, "%s is not inside VPC %s's %s", x.Ipv6CidrBlock, x.VpcId, vpc.Ipv6CidrBlock)
	}
}

func (v *validator) portRange(res, id string, idx int, field string, from, to int) {
	if from < 0 || from > 65535 {
		v.add(res, id, idx, field+".From", codes.InvalidParameterValue, "port %d is out of range 0-65535", from)
	}
	if to < 0 || to > 65535 {
		v.add(res, id, idx, field+".To", codes.InvalidParameterValue, "port %d is out of range 0-65535", to)
	}
	if from > to {
		v.add(res, id, idx, field, codes.InvalidParameterValue, "port range %d-%d has from > to", from, to)
	}
}

func (v *validator) acls(s *Spec) {
	seen := map[string]bool{}
	assoc := map[string]string{}
	for i, a := range s.NetworkAcls {
		const res = "NetworkAcl"
		v.unique(res, "NetworkAclId", a.NetworkAclId, i, seen)
		if v.r.vpcs[a.VpcId] == nil {
			v.add(res, a.NetworkAclId, i, "VpcId", codes.VpcNotFound, "VPC %q does not exist", a.VpcId)
		}
		for j, as := range a.Associations {
			f := fmt.Sprintf("Associations[%d].SubnetId", j)
			if v.r.subnets[as.SubnetId] == nil {
				v.add(res, a.NetworkAclId, i, f, codes.SubnetNotFound, "subnet %q does not exist", as.SubnetId)
			} else if other, dup := assoc[as.SubnetId]; dup {
				v.add(res, a.NetworkAclId, i, f, codes.InvalidParameterValue, "subnet %q is already associated with network ACL %q", as.SubnetId, other)
			}
			assoc[as.SubnetId] = a.NetworkAclId
		}
		nums := [2]map[int]bool{{}, {}}
		for j, e := range a.Entries {
			f := fmt.Sprintf("Entries[%d]", j)
			if e.RuleNumber < 1 || e.RuleNumber > 32766 {
				v.add(res, a.NetworkAclId, i, f+".RuleNumber", codes.InvalidParameterValue, "rule number %d is out of range 1-32766", e.RuleNumber)
			}
			dir := 0
			if e.Egress {
				dir = 1
			}
			if nums[dir][e.RuleNumber] {
				v.add(res, a.NetworkAclId, i, f+".RuleNumber", codes.NetworkAclEntryExists, "rule number %d is used twice in the %s entries", e.RuleNumber, [2]string{"inbound", "outbound"}[dir])
			}
			nums[dir][e.RuleNumber] = true
			proto, all, ok := parseProtocol(e.Protocol)
			if !ok {
				v.add(res, a.NetworkAclId, i, f+".Protocol", codes.InvalidParameterValue, "protocol %q is not -1, a number 0-255, tcp, udp, icmp or icmpv6", e.Protocol)
			}
			if e.RuleAction != "allow" && e.RuleAction != "deny" {
				v.add(res, a.NetworkAclId, i, f+".RuleAction", codes.InvalidParameterValue, "rule action %q is not allow or deny", e.RuleAction)
			}
			switch {
			case e.CidrBlock != "" && e.Ipv6CidrBlock != "":
				v.add(res, a.NetworkAclId, i, f+".CidrBlock", codes.InvalidParameterCombination, "give CidrBlock or Ipv6CidrBlock, not both")
			case e.CidrBlock != "":
				v.prefix(res, a.NetworkAclId, i, f+".CidrBlock", e.CidrBlock, 4)
			case e.Ipv6CidrBlock != "":
				v.prefix(res, a.NetworkAclId, i, f+".Ipv6CidrBlock", e.Ipv6CidrBlock, 6)
			default:
				v.add(res, a.NetworkAclId, i, f+".CidrBlock", codes.MissingParameter, "CidrBlock or Ipv6CidrBlock is required")
			}
			if e.PortRange != nil {
				if ok && (all || (proto != encap.ProtoTCP && proto != encap.ProtoUDP)) {
					v.add(res, a.NetworkAclId, i, f+".PortRange", codes.InvalidParameterCombination, "a port range needs protocol tcp (6) or udp (17), not %q", e.Protocol)
				}
				v.portRange(res, a.NetworkAclId, i, f+".PortRange", e.PortRange.From, e.PortRange.To)
			}
		}
	}
}

func (v *validator) groups(s *Spec) {
	seen := map[string]bool{}
	for i, g := range s.SecurityGroups {
		const res = "SecurityGroup"
		v.unique(res, "GroupId", g.GroupId, i, seen)
		if v.r.vpcs[g.VpcId] == nil {
			v.add(res, g.GroupId, i, "VpcId", codes.VpcNotFound, "VPC %q does not exist", g.VpcId)
		}
		for k, list := range [2][]IpPermission{g.IpPermissions, g.IpPermissionsEgress} {
			name := [2]string{"IpPermissions", "IpPermissionsEgress"}[k]
			for j, p := range list {
				v.permission(g.GroupId, i, fmt.Sprintf("%s[%d]", name, j), p)
			}
		}
	}
}

func (v *validator) permission(id string, idx int, f string, p IpPermission) {
	const res = "SecurityGroup"
	proto, all, ok := parseProtocol(p.IpProtocol)
	switch {
	case !ok:
		v.add(res, id, idx, f+".IpProtocol", codes.InvalidParameterValue, "protocol %q is not -1, a number 0-255, tcp, udp, icmp or icmpv6", p.IpProtocol)
	case all:
	case proto == encap.ProtoTCP || proto == encap.ProtoUDP:
		if p.FromPort < 0 || p.FromPort > 65535 || p.ToPort < 0 || p.ToPort > 65535 || p.FromPort > p.ToPort {
			v.add(res, id, idx, f+".FromPort", codes.InvalidParameterValue, "port range %d-%d is not within 0-65535 with from <= to", p.FromPort, p.ToPort)
		}
	case proto == encap.ProtoICMP || proto == encap.ProtoICMPv6:
		if p.FromPort < -1 || p.FromPort > 255 || p.ToPort < -1 || p.ToPort > 255 {
			v.add(res, id, idx, f+".FromPort", codes.InvalidParameterValue, "ICMP type %d / code %d is not within -1..255", p.FromPort, p.ToPort)
		}
	}
	for j, r := range p.IpRanges {
		v.prefix(res, id, idx, fmt.Sprintf("%s.IpRanges[%d].CidrIp", f, j), r.CidrIp, 4)
	}
	for j, r := range p.Ipv6Ranges {
		v.prefix(res, id, idx, fmt.Sprintf("%s.Ipv6Ranges[%d].CidrIpv6", f, j), r.CidrIpv6, 6)
	}
	for j, g := range p.UserIdGroupPairs {
		if v.r.groups[g.GroupId] == nil {
			v.add(res, id, idx, fmt.Sprintf("%s.UserIdGroupPairs[%d].GroupId", f, j), codes.GroupNotFound, "security group %q does not exist", g.GroupId)
		}
	}
}
