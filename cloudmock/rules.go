package cloudmock

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// resolver indexes a Spec's resources by id (first occurrence wins).
type resolver struct {
	vpcs        map[string]*Vpc
	subnets     map[string]*Subnet
	groups      map[string]*SecurityGroup
	acls        map[string]*NetworkAcl
	aclOfSubnet map[string]*NetworkAcl
	enis        map[string]*NetworkInterface
	lbs         map[string]*LoadBalancer
	endpoints   map[string]*LoadBalancer
	filters     map[string]*TrafficMirrorFilter // nil until filter builds it
	targets     map[string]*TrafficMirrorTarget
	spec        *Spec
}

// filter is the first filter with the id (nil without). The index of the
// filters, the list an account holds thousands of, is built at the first
// question: a validation that asks none does not pay for it.
func (r *resolver) filter(id string) *TrafficMirrorFilter {
	if r.filters == nil {
		fs := r.spec.TrafficMirrorFilters
		r.filters = make(map[string]*TrafficMirrorFilter, len(fs))
		for i := range fs {
			putFirst(r.filters, fs[i].TrafficMirrorFilterId, fs[i])
		}
	}
	return r.filters[id]
}

func newResolver(s *Spec) *resolver {
	r := &resolver{
		vpcs: map[string]*Vpc{}, subnets: map[string]*Subnet{}, groups: map[string]*SecurityGroup{},
		acls: map[string]*NetworkAcl{}, aclOfSubnet: map[string]*NetworkAcl{},
		enis: map[string]*NetworkInterface{}, lbs: map[string]*LoadBalancer{},
		endpoints: map[string]*LoadBalancer{}, targets: map[string]*TrafficMirrorTarget{}, spec: s,
	}
	for i := range s.Vpcs {
		putFirst(r.vpcs, s.Vpcs[i].VpcId, &s.Vpcs[i])
	}
	for i := range s.Subnets {
		putFirst(r.subnets, s.Subnets[i].SubnetId, &s.Subnets[i])
	}
	for i := range s.SecurityGroups {
		putFirst(r.groups, s.SecurityGroups[i].GroupId, &s.SecurityGroups[i])
	}
	for i := range s.NetworkAcls {
		a := &s.NetworkAcls[i]
		putFirst(r.acls, a.NetworkAclId, a)
		for _, as := range a.Associations {
			putFirst(r.aclOfSubnet, as.SubnetId, a)
		}
	}
	for i := range s.NetworkInterfaces {
		putFirst(r.enis, s.NetworkInterfaces[i].NetworkInterfaceId, &s.NetworkInterfaces[i])
	}
	for i := range s.LoadBalancers {
		l := &s.LoadBalancers[i]
		putFirst(r.lbs, l.LoadBalancerArn, l)
		if l.VpcEndpointId != "" {
			putFirst(r.endpoints, l.VpcEndpointId, l)
		}
	}
	for i := range s.TrafficMirrorTargets {
		putFirst(r.targets, s.TrafficMirrorTargets[i].TrafficMirrorTargetId, s.TrafficMirrorTargets[i])
	}
	return r
}

func putFirst[T any](m map[string]*T, k string, v *T) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// parseProtocol reads an EC2 protocol string: "-1"/"all", a number 0-255,
// or tcp, udp, icmp, icmpv6. all is set for every protocol.
func parseProtocol(s string) (proto uint8, all, ok bool) {
	switch strings.ToLower(s) {
	case "-1", "all":
		return 0, true, true
	case "tcp":
		return encap.ProtoTCP, false, true
	case "udp":
		return encap.ProtoUDP, false, true
	case "icmp":
		return encap.ProtoICMP, false, true
	case "icmpv6", "58":
		return encap.ProtoICMPv6, false, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, false, false
	}
	return uint8(n), false, true
}

type aclEntry struct {
	number   int
	allow    bool
	all      bool
	proto    uint8
	cidr     netip.Prefix
	ports    portRange
	hasPorts bool
}

type nacl struct {
	id      string
	in, out []aclEntry
}

func compileNACL(a *NetworkAcl) *nacl {
	n := &nacl{id: a.NetworkAclId}
	for _, e := range a.Entries {
		ce := aclEntry{number: e.RuleNumber, allow: strings.EqualFold(e.RuleAction, "allow")}
		ce.proto, ce.all, _ = parseProtocol(e.Protocol)
		if e.CidrBlock != "" {
			ce.cidr, _ = netip.ParsePrefix(e.CidrBlock)
		} else {
			ce.cidr, _ = netip.ParsePrefix(e.Ipv6CidrBlock)
		}
		ce.cidr = ce.cidr.Masked()
		if e.PortRange != nil && (ce.proto == encap.ProtoTCP || ce.proto == encap.ProtoUDP) && !ce.all {
			ce.ports = portRange{uint16(e.PortRange.From), uint16(e.PortRange.To)}
			ce.hasPorts = true
		}
		if e.Egress {
			n.out = append(n.out, ce)
		} else {
			n.in = append(n.in, ce)
		}
	}
	byNumber := func(a, b aclEntry) int { return a.number - b.number }
	slices.SortStableFunc(n.in, byNumber)
	slices.SortStableFunc(n.out, byNumber)
	return n
}

// eval applies the ACL to a packet entering (egress false) or leaving the
// subnet: the first matching entry decides; rule 0 means the default deny.
// Inbound entries match the packet's source, outbound its destination; the
// port range is the destination port.
func (n *nacl) eval(egress bool, f *Flow) (allow bool, rule int) {
	entries, peer := n.in, f.Src
	if egress {
		entries, peer = n.out, f.Dst
	}
	for i := range entries {
		e := &entries[i]
		if !e.all && e.proto != f.Proto {
			continue
		}
		if !e.cidr.Contains(peer) {
			continue
		}
		if e.hasPorts && (!f.HasPorts || !e.ports.has(f.DstPort)) {
			continue
		}
		return e.allow, e.number
	}
	return false, 0
}

type sgRule struct {
	all      bool
	proto    uint8
	from, to int // ports, or ICMP type and code (-1: any)
	peers    []netip.Prefix
}

type securityGroup struct {
	id      string
	in, out []sgRule
}

func compileSG(g *SecurityGroup, m *Model) *securityGroup {
	sg := &securityGroup{id: g.GroupId}
	for _, p := range g.IpPermissions {
		sg.in = append(sg.in, compileSGRule(p, m))
	}
	for _, p := range g.IpPermissionsEgress {
		sg.out = append(sg.out, compileSGRule(p, m))
	}
	return sg
}

func compileSGRule(p IpPermission, m *Model) sgRule {
	r := sgRule{from: p.FromPort, to: p.ToPort}
	r.proto, r.all, _ = parseProtocol(p.IpProtocol)
	for _, ip := range p.IpRanges {
		if pf, err := netip.ParsePrefix(ip.CidrIp); err == nil {
			r.peers = append(r.peers, pf.Masked())
		}
	}
	for _, ip := range p.Ipv6Ranges {
		if pf, err := netip.ParsePrefix(ip.CidrIpv6); err == nil {
			r.peers = append(r.peers, pf.Masked())
		}
	}
	for _, pair := range p.UserIdGroupPairs {
		for _, e := range m.enis {
			if slices.Contains(e.groups, pair.GroupId) {
				r.peers = append(r.peers, netip.PrefixFrom(e.ip, e.ip.BitLen()))
				if e.ip6.IsValid() {
					r.peers = append(r.peers, netip.PrefixFrom(e.ip6, 128))
				}
			}
		}
	}
	return r
}

// allows reports whether a rule list lets the packet through; the peer is
// the source for inbound rules and the destination for outbound ones.
func sgAllows(rules []sgRule, peer netip.Addr, f *Flow) bool {
	for i := range rules {
		r := &rules[i]
		if !r.all {
			if r.proto != f.Proto {
				continue
			}
			switch r.proto {
			case encap.ProtoTCP, encap.ProtoUDP:
				if !f.HasPorts || int(f.DstPort) < r.from || int(f.DstPort) > r.to {
					continue
				}
			case encap.ProtoICMP, encap.ProtoICMPv6:
				if r.from != -1 && (!f.HasICMP || int(f.ICMPType) != r.from) {
					continue
				}
				if r.to != -1 && (!f.HasICMP || int(f.ICMPCode) != r.to) {
					continue
				}
			}
		}
		for _, p := range r.peers {
			if p.Contains(peer) {
				return true
			}
		}
	}
	return false
}

func compileFilter(f *TrafficMirrorFilter) *filter {
	cf := &filter{id: f.TrafficMirrorFilterId, amazonDNS: slices.Contains(f.NetworkServices, NetworkServiceAmazonDNS)}
	for d, rules := range [2][]TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules} {
		for _, r := range rules {
			cr := filterRule{number: r.RuleNumber, accept: r.RuleAction == "accept", proto: uint8(r.Protocol)}
			cr.src, _ = netip.ParsePrefix(r.SourceCidrBlock)
			cr.dst, _ = netip.ParsePrefix(r.DestinationCidrBlock)
			cr.src, cr.dst = cr.src.Masked(), cr.dst.Masked()
			if cr.src.Addr().Is4() && cr.dst.Addr().Is4() {
				cr.v4 = true
				cr.src4, cr.smask = prefix4(cr.src)
				cr.dst4, cr.dmask = prefix4(cr.dst)
			}
			if p := r.SourcePortRange; p != nil {
				cr.sport, cr.hasSport = portRange{uint16(p.FromPort), uint16(p.ToPort)}, true
			}
			if p := r.DestinationPortRange; p != nil {
				cr.dport, cr.hasDport = portRange{uint16(p.FromPort), uint16(p.ToPort)}, true
			}
			cf.rules[d] = append(cf.rules[d], cr)
		}
		slices.SortStableFunc(cf.rules[d], func(a, b filterRule) int { return a.number - b.number })
	}
	return cf
}

// match returns the first rule of the direction that matches, or nil.
func (f *filter) match(dir Direction, fl *Flow) *filterRule {
	rules := f.rules[dir]
	for i := range rules {
		r := &rules[i]
		if r.proto != 0 && r.proto != fl.Proto {
			continue
		}
		if r.hasDport && (!fl.HasPorts || !r.dport.has(fl.DstPort)) {
			continue
		}
		if r.hasSport && (!fl.HasPorts || !r.sport.has(fl.SrcPort)) {
			continue
		}
		if fl.v4 {
			if !r.v4 || fl.src4&r.smask != r.src4 || fl.dst4&r.dmask != r.dst4 {
				continue
			}
		} else if !r.src.Contains(fl.Src) || !r.dst.Contains(fl.Dst) {
			continue
		}
		return r
	}
	return nil
}

func prefix4(p netip.Prefix) (addr, mask uint32) {
	if p.Bits() <= 0 {
		return 0, 0
	}
	b := p.Masked().Addr().As4()
	mask = ^uint32(0) << (32 - p.Bits())
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), mask
}
