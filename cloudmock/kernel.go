package cloudmock

import (
	"fmt"
	"net/netip"
)

// KernelPlan is the part of a model that an in-kernel mirror path can
// decide exactly: per source ENI and direction, either the filter rules in
// decision order with the sessions they lead to, or why the packets must
// be decided here (Model.DecideInto) instead.
//
// The kernel path decides only plain IPv4 packets and hands every other
// packet to the user-space path (which calls DecideInto), so the plan
// carries no IPv6 rules and no never-mirrored classes: those are the
// kernel path's punt rules. What the plan does carry is whatever is static
// per ENI and session, and the source's security groups, which are
// stateful through a table of allowed flows that the kernel shares
// (ShareConnTable), and the source subnet's network ACL. A session's
// target must be an ENI of the same VPC reached over IPv4, and every copy of the session must be delivered (the target's
// network ACL and security groups allow the copy whatever its outer
// source port). A direction where any of that fails is decided in user
// space whole, and Why says which rule sent it there.
type KernelPlan struct {
	// RejectStops: the first matching rule of any session decides (see
	// RejectBehavior); otherwise a reject only ends its own session.
	RejectStops bool
	ENIs        []KernelENI
	// Sessions are the sessions the rules lead to (KernelRule.Session).
	Sessions []KernelSession
}

// KernelENI is one source ENI of a KernelPlan.
type KernelENI struct {
	Ref   ENIRef
	ENIId string
	// Resolver is the VPC resolver's IPv4 address, whose traffic is
	// decided in user space (Amazon DNS); invalid when the ENI has none.
	Resolver netip.Addr
	// Dirs are the ENI's two directions, by Direction.
	Dirs [2]KernelDirection
}

// KernelDirection is what the kernel decides for one ENI and direction.
type KernelDirection struct {
	// Why is empty when the kernel may decide this direction's IPv4
	// packets; otherwise it names the rule that needs the user-space path.
	Why string
	// Stateful: the ENI has security groups. A packet passes them when an
	// entry of Allow matches it, and its flow is then recorded in the
	// ENI's table of allowed flows (ShareConnTable), or when its flow is
	// in that table already; otherwise the groups drop it (the user-space
	// path decides and counts it).
	Stateful bool
	Allow    []KernelAllow
	// ACL, when not nil, is the source subnet's network ACL (its entries
	// that can match IPv4, in order): a packet whose peer lies outside
	// Subnet passes when the first entry that matches it allows it, and
	// is dropped otherwise (the user-space path decides and counts it).
	ACL    []KernelACLEntry
	Subnet netip.Prefix
	// Rules are in decision order: sessions by session number, each
	// session's rules by rule number. The first rule of a session that
	// matches decides that session; an accepting one mirrors the packet.
	Rules []KernelRule
}

// KernelRule is one IPv4 filter rule.
type KernelRule struct {
	Session  int // index into KernelPlan.Sessions
	Number   int
	Accept   bool
	Proto    uint8        // 0: every protocol
	Src, Dst netip.Prefix // IPv4, masked
	// HasSport and HasDport: the rule needs a TCP or UDP packet whose
	// port lies in Sport or Dport (inclusive ranges).
	HasSport, HasDport bool
	Sport, Dport       [2]uint16
}

// KernelAllow is one IPv4 peer of a security group rule, in the
// direction's sense (the source of an ingress packet, the destination of
// an egress one).
type KernelAllow struct {
	// All: every protocol and port; otherwise Proto, and for TCP and UDP
	// the destination port in From..To, for ICMP the type From and code To
	// (-1: any).
	All      bool
	Proto    uint8
	From, To int
	Peer     netip.Prefix
}

// KernelACLEntry is one IPv4 entry of a network ACL: it matches a packet
// of protocol Proto (any with All) whose peer (the source of an ingress
// packet, the destination of an egress one) lies in CIDR and, with
// HasPorts, a TCP or UDP packet whose destination port lies in Ports.
type KernelACLEntry struct {
	Number   int
	Allow    bool
	All      bool
	Proto    uint8
	CIDR     netip.Prefix
	HasPorts bool
	Ports    [2]uint16
}

// KernelSession is a session of a KernelPlan: where its copies go.
type KernelSession struct {
	SessionId string
	Number    int
	ENI       ENIRef // the source ENI
	TargetId  string
	// TargetENIId is the receiving ENI (the target).
	TargetENIId string
	VNI         uint32
	// OuterSrc and OuterDst are the copies' outer IPv4 addresses: the
	// source ENI's and the target's primary addresses.
	OuterSrc, OuterDst netip.Addr
	// MaxInner is how many bytes of the inner frame a copy keeps (0: all).
	MaxInner int
}

// maxKernelACL bounds a direction's network ACL entries in the kernel's
// table: the profiles' quota (20 per direction) keeps a valid spec within.
const maxKernelACL = 20

// maxKernelAllow bounds a direction's security group entries (one per
// rule and IPv4 peer) in the kernel's table.
const maxKernelAllow = 32

// maxKernelRules bounds a direction's rules in the kernel's table. The
// quotas keep a valid spec below it (AWS: 3 sessions of 10 rules per
// direction; Alibaba: 1 of 10).
const maxKernelRules = 40

// KernelPlan compiles the model for an in-kernel path (see KernelPlan).
// Sources lists the ENIs to compile (nil: every source ENI).
func (m *Model) KernelPlan(sources []ENIRef) KernelPlan {
	if sources == nil {
		sources = m.SourceENIs()
	}
	p := KernelPlan{RejectStops: m.reject == RejectStops}
	slot := map[*session]int{}
	for _, ref := range sources {
		e := m.eniAt(ref)
		if e == nil {
			continue
		}
		ke := KernelENI{Ref: ref, ENIId: e.id}
		if e.resolver.Is4() {
			ke.Resolver = e.resolver
		}
		why := m.kernelENIWhy(e)
		for _, dir := range []Direction{Ingress, Egress} {
			kd := &ke.Dirs[dir]
			kd.Why = why
			if kd.Why != "" {
				continue
			}
			if e.nacl != nil {
				kd.ACL, kd.Subnet = kernelACL(e.nacl, dir), e.subnet4
				if len(kd.ACL) > maxKernelACL {
					kd.Why, kd.ACL = fmt.Sprintf("network ACL %s has %d IPv4 entries %s (the kernel path holds %d)", e.nacl.id, len(kd.ACL), dir, maxKernelACL), nil
					continue
				}
			}
			if len(e.sgs) > 0 {
				kd.Stateful, kd.Allow = true, kernelAllows(e.sgs, dir)
				if len(kd.Allow) > maxKernelAllow {
					kd.Why, kd.Allow = fmt.Sprintf("security groups with %d IPv4 peers %s (the kernel path holds %d)", len(kd.Allow), dir, maxKernelAllow), nil
					continue
				}
			}
			for _, s := range e.sessions {
				for i := range s.filter.rules[dir] {
					r := &s.filter.rules[dir][i]
					if !r.v4 {
						continue // never matches an IPv4 packet
					}
					idx, ok := slot[s]
					if !ok {
						idx = len(p.Sessions)
						slot[s] = idx
						p.Sessions = append(p.Sessions, m.kernelSession(e, s))
					}
					kd.Rules = append(kd.Rules, KernelRule{Session: idx, Number: r.number, Accept: r.accept,
						Proto: r.proto, Src: r.src.Masked(), Dst: r.dst.Masked(),
						HasSport: r.hasSport, HasDport: r.hasDport,
						Sport: [2]uint16{r.sport.from, r.sport.to}, Dport: [2]uint16{r.dport.from, r.dport.to}})
				}
			}
			if len(kd.Rules) > maxKernelRules {
				kd.Why, kd.Rules = fmt.Sprintf("%d filter rules (the kernel path holds %d)", len(kd.Rules), maxKernelRules), nil
			}
		}
		p.ENIs = append(p.ENIs, ke)
	}
	return p
}

// kernelENIWhy returns why none of the ENI's packets can be decided in
// the kernel ("" when they can, as far as the ENI and its sessions go).
func (m *Model) kernelENIWhy(e *eni) string {
	if !e.ip.Is4() {
		return "the ENI has no IPv4 address"
	}
	for _, s := range e.sessions {
		if why := m.kernelSessionWhy(e, s); why != "" {
			return fmt.Sprintf("session %s: %s", s.id, why)
		}
	}
	return ""
}

func (m *Model) kernelSessionWhy(e *eni, s *session) string {
	t := s.target
	switch {
	case t.kind != targetENI || t.eni == nil:
		return fmt.Sprintf("target %s is a load balancer", t.id)
	case t.eni.vpc != e.vpc:
		return fmt.Sprintf("target %s is in another VPC", t.id)
	case !t.ip.Is4():
		return fmt.Sprintf("target %s has no IPv4 address", t.id)
	}
	if _, v6 := overIPv6(e, t); v6 {
		return "copies travel over IPv6"
	}
	d := Decision{Mirrored: true, ENI: e.ref, session: s, SessionId: s.id, TargetId: t.id, VNI: s.vni,
		Outer: Outer{Src: e.ip, Dst: t.ip, DstPort: VXLANPort}}
	for port := outerPortBase; port <= outerPortBase|outerPortMask; port++ {
		d.Outer.SrcPort = uint16(port)
		if dl := m.Deliver(&d); !dl.Delivered || dl.Geneve || dl.To != t.ip {
			return fmt.Sprintf("copies from port %d are %s", port, dl.Reason)
		}
	}
	return ""
}

func (m *Model) kernelSession(e *eni, s *session) KernelSession {
	limit, _, _ := m.maxInner(e, s, false)
	if limit == 1<<31-1 {
		limit = 0
	}
	return KernelSession{SessionId: s.id, Number: s.number, ENI: e.ref, TargetId: s.target.id,
		TargetENIId: s.target.eni.id, VNI: s.vni, OuterSrc: e.ip, OuterDst: s.target.ip, MaxInner: limit}
}

// kernelAllows lists the groups' IPv4 peers in direction dir, one entry
// per rule and peer.
func kernelAllows(groups []*securityGroup, dir Direction) []KernelAllow {
	var out []KernelAllow
	for _, g := range groups {
		rules := g.in
		if dir == Egress {
			rules = g.out
		}
		for _, r := range rules {
			for _, p := range r.peers {
				if p.Addr().Is4() {
					out = append(out, KernelAllow{All: r.all, Proto: r.proto, From: r.from, To: r.to, Peer: p})
				}
			}
		}
	}
	return out
}

// kernelACL lists the source subnet's network ACL entries for direction
// dir that can match an IPv4 packet, in order.
func kernelACL(n *nacl, dir Direction) []KernelACLEntry {
	entries := n.in
	if dir == Egress {
		entries = n.out
	}
	out := []KernelACLEntry{}
	for _, a := range entries {
		if !a.cidr.Addr().Is4() {
			continue // never matches an IPv4 packet
		}
		out = append(out, KernelACLEntry{Number: a.number, Allow: a.allow, All: a.all, Proto: a.proto, CIDR: a.cidr,
			HasPorts: a.hasPorts, Ports: [2]uint16{a.ports.from, a.ports.to}})
	}
	return out
}

// CountKernel adds what an in-kernel path counted for a session in one
// direction: packets mirrored (all delivered), their bytes before
// truncation, and how many were truncated. An unknown session is ignored
// (it left the model; its counts left with it).
func (m *Model) CountKernel(sessionID string, dir Direction, packets, bytes, truncated uint64) {
	for _, s := range m.sessions {
		if s.id != sessionID {
			continue
		}
		for _, e := range m.enis {
			for _, es := range e.sessions {
				if es == s {
					e.counters.mirrorBytes[dir&1].Add(bytes)
					e.counters.mirrorPackets[dir&1].Add(packets)
				}
			}
		}
		s.counters.packets.Add(packets)
		s.counters.bytes.Add(bytes)
		s.counters.truncated.Add(truncated)
		s.counters.delivery[Delivered].Add(packets)
		return
	}
}
