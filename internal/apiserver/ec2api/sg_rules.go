package ec2api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// A security group rule as the API adds and removes it: one protocol and
// port range, and one peer (an IPv4 or IPv6 CIDR, or a group). The model
// keeps rules as IpPermissions with lists of peers; rules are matched on
// the normalized protocol, the ports (not for protocol -1) and the peer.
type sgRule struct {
	egress   bool
	proto    string // protocolName: tcp, udp, icmp, icmpv6, -1 or a number
	from, to int
	cidr     string // one of cidr, cidr6, group
	cidr6    string
	group    string
	// groupName is a peer group given by name (SourceSecurityGroupName),
	// resolved to group under the state lock.
	groupName string
	// permParam and param name the request's parameters of the rule
	// ("IpPermissions.1", "" for the top-level form) and of its peer
	// ("IpPermissions.1.IpRanges.2", "CidrIp").
	permParam, param string
}

// key identifies a rule within its group.
func (r sgRule) key() string {
	from, to := r.from, r.to
	if r.proto == "-1" {
		from, to = 0, 0
	}
	return fmt.Sprintf("%v|%s|%d|%d|%s|%s|%s", r.egress, r.proto, from, to, r.cidr, r.cidr6, r.group)
}

// id is the rule's stable security group rule id (sgr-…).
func (r sgRule) id(groupID string) string { return derivedID("sgr", groupID+"|"+r.key()) }

func (r sgRule) String() string {
	peer := r.cidr + r.cidr6 + r.group
	if r.proto == "-1" {
		return fmt.Sprintf("peer: %s, ALL, ALLOW", peer)
	}
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, strings.ToUpper(r.proto), r.from, r.to)
}

// sgRulesOf splits permissions into rules.
func sgRulesOf(ps []cloudmock.IpPermission, egress bool) []sgRule {
	var out []sgRule
	for _, p := range ps {
		base := sgRule{egress: egress, proto: protocolName(p.IpProtocol), from: p.FromPort, to: p.ToPort}
		for _, r := range p.IpRanges {
			x := base
			x.cidr = r.CidrIp
			out = append(out, x)
		}
		for _, r := range p.Ipv6Ranges {
			x := base
			x.cidr6 = r.CidrIpv6
			out = append(out, x)
		}
		for _, g := range p.UserIdGroupPairs {
			x := base
			x.group = g.GroupId
			out = append(out, x)
		}
	}
	return out
}

// addRule adds r to the permissions, joining the permission with the same
// protocol and ports when there is one, as EC2 shows them. It returns the
// index of the permission and the path of the peer in it
// ("IpRanges[2]").
func addRule(ps []cloudmock.IpPermission, r sgRule) ([]cloudmock.IpPermission, int, string) {
	i := -1
	for j, p := range ps {
		if protocolName(p.IpProtocol) == r.proto && (r.proto == "-1" || (p.FromPort == r.from && p.ToPort == r.to)) {
			i = j
			break
		}
	}
	if i < 0 {
		p := cloudmock.IpPermission{IpProtocol: r.proto}
		if r.proto != "-1" {
			p.FromPort, p.ToPort = r.from, r.to
		}
		ps = append(ps, p)
		i = len(ps) - 1
	}
	p := &ps[i]
	switch {
	case r.cidr != "":
		p.IpRanges = append(p.IpRanges, cloudmock.IpRange{CidrIp: r.cidr})
		return ps, i, fmt.Sprintf("IpRanges[%d]", len(p.IpRanges)-1)
	case r.cidr6 != "":
		p.Ipv6Ranges = append(p.Ipv6Ranges, cloudmock.Ipv6Range{CidrIpv6: r.cidr6})
		return ps, i, fmt.Sprintf("Ipv6Ranges[%d]", len(p.Ipv6Ranges)-1)
	}
	p.UserIdGroupPairs = append(p.UserIdGroupPairs, cloudmock.UserIdGroupPair{GroupId: r.group})
	return ps, i, fmt.Sprintf("UserIdGroupPairs[%d]", len(p.UserIdGroupPairs)-1)
}

// removeRule removes r from the permissions (a permission left with no
// peer goes too); false when r is not there.
func removeRule(ps []cloudmock.IpPermission, r sgRule) ([]cloudmock.IpPermission, bool) {
	for i := range ps {
		p := &ps[i]
		if protocolName(p.IpProtocol) != r.proto || (r.proto != "-1" && (p.FromPort != r.from || p.ToPort != r.to)) {
			continue
		}
		found := false
		switch {
		case r.cidr != "":
			p.IpRanges, found = without(p.IpRanges, func(x cloudmock.IpRange) bool { return x.CidrIp == r.cidr })
		case r.cidr6 != "":
			p.Ipv6Ranges, found = without(p.Ipv6Ranges, func(x cloudmock.Ipv6Range) bool { return x.CidrIpv6 == r.cidr6 })
		default:
			p.UserIdGroupPairs, found = without(p.UserIdGroupPairs, func(x cloudmock.UserIdGroupPair) bool { return x.GroupId == r.group })
		}
		if !found {
			continue
		}
		if len(p.IpRanges)+len(p.Ipv6Ranges)+len(p.UserIdGroupPairs) == 0 {
			ps = append(ps[:i:i], ps[i+1:]...)
		}
		return ps, true
	}
	return ps, false
}

// without removes the first element that matches.
func without[T any](xs []T, match func(T) bool) ([]T, bool) {
	for i, x := range xs {
		if match(x) {
			return append(xs[:i:i], xs[i+1:]...), true
		}
	}
	return xs, false
}

// readRules decodes IpPermissions.N (and the older top-level IpProtocol,
// FromPort, ToPort, CidrIp and SourceSecurityGroupName) into rules; none
// at all is MissingParameter unless allowNone.
func (c *call) readRules(egress, allowNone bool) ([]sgRule, error) {
	idx := c.p.indexes("IpPermissions")
	if !c.p.ok() {
		return nil, c.p.Err()
	}
	var out []sgRule
	for _, n := range idx {
		pre := fmt.Sprintf("IpPermissions.%d", n)
		proto, _ := c.p.str(pre + ".IpProtocol")
		base, err := c.ruleBase(pre, proto, egress)
		if err != nil {
			return nil, err
		}
		var peers []sgRule
		if err := c.readPeers(pre, base, &peers); err != nil {
			return nil, err
		}
		if len(peers) == 0 {
			return nil, errMissing(pre + ".IpRanges.1.CidrIp")
		}
		out = append(out, peers...)
	}
	// the older single-rule form
	proto, okProto := c.p.str("IpProtocol")
	cidr, okCidr := c.p.str("CidrIp")
	srcName, okSrc := c.p.str("SourceSecurityGroupName")
	c.p.str("SourceSecurityGroupOwnerId")
	if okProto || okCidr || okSrc {
		if len(idx) > 0 {
			return nil, errorf(codes.InvalidParameterCombination, "Give the rules in IpPermissions or in IpProtocol/FromPort/ToPort/CidrIp, not both.")
		}
		if !okProto && okSrc {
			proto = "-1"
		}
		base, err := c.ruleBase("", proto, egress)
		if err != nil {
			return nil, err
		}
		switch {
		case okCidr:
			base.cidr, base.param = cidr, "CidrIp"
		case okSrc:
			base.groupName, base.param = srcName, "SourceSecurityGroupName"
		default:
			return nil, errMissing("CidrIp")
		}
		out = append(out, base)
	}
	if len(out) == 0 && !allowNone {
		return nil, errMissing("IpPermissions")
	}
	return out, nil
}

// ruleBase reads a rule's protocol and ports (prefix "" for the top-level
// parameters).
func (c *call) ruleBase(pre, proto string, egress bool) (sgRule, error) {
	name := func(k string) string {
		if pre == "" {
			return k
		}
		return pre + "." + k
	}
	if proto == "" {
		return sgRule{}, errMissing(name("IpProtocol"))
	}
	r := sgRule{egress: egress, proto: protocolName(proto), permParam: pre}
	from := c.p.int(name("FromPort"))
	to := c.p.int(name("ToPort"))
	switch {
	case !c.p.ok():
		return r, c.p.Err()
	case r.proto == "-1":
	case r.proto == "tcp" || r.proto == "udp":
		if from == nil {
			return r, errMissing(name("FromPort"))
		}
		if to == nil {
			return r, errMissing(name("ToPort"))
		}
		r.from, r.to = *from, *to
	default:
		if _, err := strconv.Atoi(r.proto); err != nil && r.proto != "icmp" && r.proto != "icmpv6" {
			return r, errInvalid(name("IpProtocol"), proto, "It must be tcp, udp, icmp, icmpv6, -1 or a protocol number.")
		}
		r.from, r.to = -1, -1
		if from != nil {
			r.from = *from
		}
		if to != nil {
			r.to = *to
		}
	}
	return r, nil
}

// readPeers reads IpRanges.M, Ipv6Ranges.M and Groups.M of one permission.
// Descriptions are read and not kept (the model has none).
func (c *call) readPeers(pre string, base sgRule, out *[]sgRule) error {
	for _, list := range []struct{ name, key string }{{"IpRanges", "CidrIp"}, {"Ipv6Ranges", "CidrIpv6"}, {"Groups", "GroupId"}} {
		idx := c.p.indexes(pre + "." + list.name)
		for _, m := range idx {
			ip := fmt.Sprintf("%s.%s.%d", pre, list.name, m)
			c.p.str(ip + ".Description")
			if list.name == "Groups" {
				c.p.str(ip + ".UserId")
				c.p.str(ip + ".GroupName")
			}
			v := c.p.required(ip + "." + list.key)
			r := base
			r.param = ip
			switch list.name {
			case "IpRanges":
				r.cidr = v
			case "Ipv6Ranges":
				r.cidr6 = v
			default:
				r.group = v
			}
			*out = append(*out, r)
		}
	}
	// a malformed PrefixListIds.N is left to begin's UnknownParameter
	if idx, _ := c.p.scanIndexes(pre + ".PrefixListIds"); len(idx) > 0 {
		return errorf(codeUnsupported, "Prefix lists are not modelled (%s.PrefixListIds).", pre)
	}
	return c.p.Err()
}
