package cloudmock

import (
	"fmt"
	"net/netip"
)

// SourceRules is what decides the packets a source ENI sees in one
// direction once the never-mirrored classes are set aside, in Decide's
// order: the subnet's network ACL (for a peer outside the subnet), the
// ENI's security groups (stateful: see SetFlowTable), then the sessions
// by session number, each filter's rules of the direction by rule number.
// It is a read-only copy, for a data plane that decides some packets
// elsewhere (such as in the kernel) and must decide them as Decide does;
// Decide stays the reference, and differential tests hold the two
// together.
type SourceRules struct {
	ENIId string
	// IPv4 is the ENI's primary IPv4 address (invalid: none); Resolver
	// the VPC resolver's IPv4 address (Amazon DNS, never mirrored without
	// the amazon-dns network service; invalid: none).
	IPv4, Resolver netip.Addr
	// Subnet4 and Subnet6 are the ENI's subnet's CIDRs: the network ACL
	// applies only to packets whose peer lies outside both.
	Subnet4, Subnet6 netip.Prefix
	// ACLId names the subnet's network ACL ("": none, every packet
	// passes); ACL are its entries of the direction, in rule order.
	ACLId string
	ACL   []ACLEntry
	// HasGroups: the ENI has security groups, whose rules of the
	// direction Groups lists (one entry per rule and peer, in order). A
	// packet passes when an entry allows it (its flow is then recorded in
	// the ENI's flow table) or when its flow is recorded already.
	HasGroups bool
	Groups    []GroupEntry
	Sessions  []SessionRules
}

// ACLEntry is one entry of a network ACL: it matches a packet of protocol
// Proto (every protocol with All) whose peer (the source of an ingress
// packet, the destination of an egress one) lies in CIDR and, with
// HasPorts, a TCP or UDP packet whose destination port lies in Ports
// (inclusive). The first entry that matches decides; none: denied.
type ACLEntry struct {
	Number   int
	Allow    bool
	All      bool
	Proto    uint8
	CIDR     netip.Prefix
	HasPorts bool
	Ports    [2]uint16
}

// GroupEntry is one peer of a security group rule: it allows a packet
// whose peer lies in Peer and, unless All, whose protocol is Proto with,
// for TCP and UDP, the destination port in From..To, and for ICMP and
// ICMPv6 the type From and the code To (-1: any).
type GroupEntry struct {
	All      bool
	Proto    uint8
	From, To int
	Peer     netip.Prefix
}

// FilterRule is one traffic mirror filter rule: it matches a packet of
// protocol Proto (0: every protocol) from Src to Dst (masked prefixes)
// and, with HasSport or HasDport, a TCP or UDP packet whose source or
// destination port lies in Sport or Dport (inclusive).
type FilterRule struct {
	Number             int
	Accept             bool
	Proto              uint8
	Src, Dst           netip.Prefix
	HasSport, HasDport bool
	Sport, Dport       [2]uint16
}

// SessionRules is one session of a source ENI: its filter's rules of the
// direction, in rule order, and where and how its copies go.
type SessionRules struct {
	SessionId string
	Number    int
	VNI       uint32
	TargetId  string
	// TargetENIId is the target's ENI ("": a load balancer); CrossVPC
	// says the target lies in another VPC than the source.
	TargetENIId string
	CrossVPC    bool
	// OuterSrc and OuterDst are the copies' outer addresses (IPv6 when
	// both ends have a primary IPv6 address, see Decision.Outer).
	OuterSrc, OuterDst netip.Addr
	// MaxInner is how many bytes of the inner frame a copy keeps (0: all).
	MaxInner int
	// AmazonDNS: the session's filter has the amazon-dns network service;
	// traffic to or from the VPC resolver (Resolver, 169.254.169.253,
	// fd00:ec2::253) skips every session without it.
	AmazonDNS bool
	// Undelivered is "" when every copy reaches OuterDst as sent whatever
	// the packet (the receiving side's network ACL and security groups
	// let every outer source port in, no load balancer chooses);
	// otherwise it says which copies do not.
	Undelivered string
	Rules       []FilterRule
}

// SourceRules returns what decides the packets of source ENI ref in
// direction dir (false: no such ENI). Not for the packet path: it
// allocates.
func (m *Model) SourceRules(ref ENIRef, dir Direction) (SourceRules, bool) {
	e := m.eniAt(ref)
	if e == nil {
		return SourceRules{}, false
	}
	egress := dir == Egress
	r := SourceRules{ENIId: e.id, Subnet4: e.subnet4, Subnet6: e.subnet6, HasGroups: len(e.sgs) > 0}
	if e.ip.Is4() {
		r.IPv4 = e.ip
	}
	if e.resolver.Is4() {
		r.Resolver = e.resolver
	}
	if e.nacl != nil {
		r.ACLId, r.ACL = e.nacl.id, []ACLEntry{}
		entries := e.nacl.in
		if egress {
			entries = e.nacl.out
		}
		for _, a := range entries {
			r.ACL = append(r.ACL, ACLEntry{Number: a.number, Allow: a.allow, All: a.all, Proto: a.proto, CIDR: a.cidr,
				HasPorts: a.hasPorts, Ports: [2]uint16{a.ports.from, a.ports.to}})
		}
	}
	for _, g := range e.sgs {
		rules := g.in
		if egress {
			rules = g.out
		}
		for _, sr := range rules {
			for _, p := range sr.peers {
				r.Groups = append(r.Groups, GroupEntry{All: sr.all, Proto: sr.proto, From: sr.from, To: sr.to, Peer: p})
			}
		}
	}
	for _, s := range e.sessions {
		r.Sessions = append(r.Sessions, m.sessionRules(e, s, dir))
	}
	return r, true
}

func (m *Model) sessionRules(e *eni, s *session, dir Direction) SessionRules {
	t := s.target
	sr := SessionRules{SessionId: s.id, Number: s.number, VNI: s.vni, TargetId: t.id, OuterSrc: e.ip, OuterDst: t.ip, AmazonDNS: s.filter.amazonDNS}
	if t.kind == targetENI && t.eni != nil {
		sr.TargetENIId, sr.CrossVPC = t.eni.id, t.eni.vpc != e.vpc
	} else if t.lb != nil {
		sr.CrossVPC = t.lb.vpc != e.vpc
	}
	if dst, v6 := overIPv6(e, t); v6 {
		sr.OuterSrc, sr.OuterDst = e.ip6, dst
	}
	limit, _, _ := m.maxInner(e, s, sr.OuterDst.Is6())
	if limit != 1<<31-1 {
		sr.MaxInner = limit
	}
	sr.Undelivered = m.undelivered(e, s, sr.OuterDst)
	for _, fr := range s.filter.rules[dir] {
		sr.Rules = append(sr.Rules, FilterRule{Number: fr.number, Accept: fr.accept, Proto: fr.proto, Src: fr.src, Dst: fr.dst,
			HasSport: fr.hasSport, HasDport: fr.hasDport,
			Sport: [2]uint16{fr.sport.from, fr.sport.to}, Dport: [2]uint16{fr.dport.from, fr.dport.to}})
	}
	return sr
}

// OuterPorts is how many outer UDP source ports the copies carry: a copy's
// port is OuterPortBase plus the low bits of its flow's hash (see
// OuterSrcPort), so whatever happens to a session's copy on its way
// (Deliver) depends on the packet through that port alone.
const (
	OuterPortBase = outerPortBase
	OuterPorts    = outerPortMask + 1
)

// CopyDecision returns the decision Decide takes for a packet that
// session sessionID of source ENI ref mirrors in direction dir and whose
// copy carries outer source port srcPort, but for what depends on the
// packet itself (Flow, RuleNumber): with Deliver and AppendWire, what a
// data plane that decides elsewhere needs to deliver such copies as the
// model does. false: no such ENI or session.
func (m *Model) CopyDecision(ref ENIRef, sessionID string, dir Direction, srcPort uint16) (Decision, bool) {
	e := m.eniAt(ref)
	if e == nil {
		return Decision{}, false
	}
	for _, s := range e.sessions {
		if s.id == sessionID {
			return m.copyDecision(e, s, dir, srcPort), true
		}
	}
	return Decision{}, false
}

func (m *Model) copyDecision(e *eni, s *session, dir Direction, srcPort uint16) Decision {
	d := Decision{ENI: e.ref, ENIId: e.id, Direction: dir}
	m.mirrored(&d, e, s, 0, 0)
	d.Outer.SrcPort = srcPort
	return d
}

// undelivered delivers a copy of session s from e for every outer source
// port a copy can carry, and says which is not delivered to dst as sent.
func (m *Model) undelivered(e *eni, s *session, dst netip.Addr) string {
	for port := outerPortBase; port <= outerPortBase|outerPortMask; port++ {
		d := m.copyDecision(e, s, Ingress, uint16(port))
		switch dl := m.Deliver(&d); {
		case !dl.Delivered:
			return fmt.Sprintf("copies from port %d are %s", port, dl.Reason)
		case dl.Geneve || dl.To != dst:
			return fmt.Sprintf("copies from port %d go on to %s", port, dl.To)
		}
	}
	return ""
}
