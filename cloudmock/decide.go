package cloudmock

import (
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// Reason says why a packet is, or is not, mirrored.
type Reason uint8

const (
	// ReasonMirrored: an accept rule of a session matched.
	ReasonMirrored Reason = iota
	// ReasonUnknownENI: the ENI is not in the model.
	ReasonUnknownENI
	// ReasonMalformed: the frame's IP header is cut short or invalid.
	ReasonMalformed
	// ReasonNotIP: neither IPv4 nor IPv6 (and not ARP).
	ReasonNotIP
	// ReasonARP: ARP is never mirrored.
	ReasonARP
	// ReasonNDP: ICMPv6 neighbour discovery and multicast listener
	// discovery, IPv6's link-layer control (its ARP), are never mirrored.
	ReasonNDP
	// ReasonDHCP: DHCP (UDP 67/68, DHCPv6 546/547) is never mirrored.
	ReasonDHCP
	// ReasonMetadata: the instance metadata service (169.254.169.254).
	ReasonMetadata
	// ReasonTimeService: the time sync service (169.254.169.123).
	ReasonTimeService
	// ReasonWindowsActivation: Windows activation (KMS, TCP 1688 to
	// 169.254.169.250/251).
	ReasonWindowsActivation
	// ReasonAmazonDNS: the VPC resolver, and no session's filter has the
	// amazon-dns network service.
	ReasonAmazonDNS
	// ReasonIPv6Unsupported: the profile mirrors no IPv6 (Alibaba).
	ReasonIPv6Unsupported
	// ReasonSourceNACL: the source subnet's network ACL drops the packet.
	ReasonSourceNACL
	// ReasonSourceSG: the source ENI's security groups drop the packet.
	ReasonSourceSG
	// ReasonNoSession: the ENI is the source of no session.
	ReasonNoSession
	// ReasonRejected: a reject rule matched (see RuleNumber, SessionNumber).
	ReasonRejected
	// ReasonNoRuleMatched: no rule of any session's filter matched.
	ReasonNoRuleMatched
)

var reasonCodes = [...]string{
	ReasonMirrored:          "mirrored",
	ReasonUnknownENI:        "unknown-eni",
	ReasonMalformed:         "malformed",
	ReasonNotIP:             "not-ip",
	ReasonARP:               "never-mirrored-arp",
	ReasonNDP:               "never-mirrored-ndp",
	ReasonDHCP:              "never-mirrored-dhcp",
	ReasonMetadata:          "never-mirrored-metadata",
	ReasonTimeService:       "never-mirrored-time-service",
	ReasonWindowsActivation: "never-mirrored-windows-activation",
	ReasonAmazonDNS:         "never-mirrored-amazon-dns",
	ReasonIPv6Unsupported:   "ipv6-unsupported",
	ReasonSourceNACL:        "dropped-by-source-nacl",
	ReasonSourceSG:          "dropped-by-source-sg",
	ReasonNoSession:         "no-session",
	ReasonRejected:          "rejected-by-rule",
	ReasonNoRuleMatched:     "no-rule-matched",
}

// String returns the reason's stable code, e.g. "rejected-by-rule".
func (r Reason) String() string {
	if int(r) < len(reasonCodes) {
		return reasonCodes[r]
	}
	return fmt.Sprintf("reason-%d", uint8(r))
}

// Well-known link-local services.
var (
	addrMetadata  = netip.AddrFrom4([4]byte{169, 254, 169, 254})
	addrTime      = netip.AddrFrom4([4]byte{169, 254, 169, 123})
	addrDNS       = netip.AddrFrom4([4]byte{169, 254, 169, 253})
	addrKMS1      = netip.AddrFrom4([4]byte{169, 254, 169, 250})
	addrKMS2      = netip.AddrFrom4([4]byte{169, 254, 169, 251})
	addrMetadata6 = netip.MustParseAddr("fd00:ec2::254")
	addrTime6     = netip.MustParseAddr("fd00:ec2::123")
	addrDNS6      = netip.MustParseAddr("fd00:ec2::253")
)

// kmsPort is Windows activation's TCP port.
const kmsPort = 1688

// Outer is the outer 5-tuple of a mirrored copy (protocol UDP).
type Outer struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}

// Decision is the model's verdict for one packet at a source ENI.
type Decision struct {
	Mirrored  bool
	Reason    Reason
	ENI       ENIRef
	ENIId     string
	Direction Direction
	Flow      Flow
	// SessionId and SessionNumber: the session that mirrored or rejected.
	SessionId     string
	SessionNumber int
	// TargetId, VNI: where the copy goes (Mirrored).
	TargetId string
	VNI      uint32
	// RuleNumber: the filter rule that decided (accept or reject), or the
	// source network ACL rule that dropped (0: its default deny).
	RuleNumber int
	// Outer is the copy's outer 5-tuple (Mirrored); Dst is the target's
	// address (for a load balancer, its own; see Deliver for the receiver).
	Outer Outer
	// MaxInner is the most bytes of the inner frame that the copy keeps
	// (packet length and MTU rule); the encapsulation applies it.
	MaxInner int
	// MaxInnerRule names the rule that set MaxInner (CutPacketLength,
	// CutTargetMTU, CutGatewayLBMTU, CutSourceMTU; "": no limit), and
	// MaxInnerMTU the MTU it applied (0 for the packet length).
	MaxInnerRule string
	MaxInnerMTU  int
	// GroupId: the source security group list's first id (ReasonSourceSG).
	GroupId string

	session *session
}

// Decide returns what happens to frame (an Ethernet frame) seen at the
// source ENI in direction dir. It does not allocate. It records flows that
// the source's security groups allow, so that their return traffic passes
// (security groups are stateful); Decide is safe for concurrent use.
func (m *Model) Decide(ref ENIRef, dir Direction, frame []byte) Decision {
	var d Decision
	m.DecideInto(&d, ref, dir, frame)
	return d
}

// DecideInto is Decide writing into d (every field is overwritten).
func (m *Model) DecideInto(d *Decision, ref ENIRef, dir Direction, frame []byte) {
	*d = Decision{ENI: ref, Direction: dir}
	e := m.eniAt(ref)
	if e == nil {
		d.Reason = ReasonUnknownENI
		return
	}
	d.ENIId = e.id
	f, ok := ParseFlow(frame)
	d.Flow = f
	if !ok {
		d.Reason = ReasonMalformed
		return
	}
	if r, never := m.neverMirrored(&d.Flow); never {
		d.Reason = r
		return
	}
	hash := FlowHash(&d.Flow)
	if r, rule, group, dropped := m.sourceDrops(e, dir, &d.Flow, hash); dropped {
		d.Reason, d.RuleNumber, d.GroupId = r, rule, group
		return
	}
	if len(e.sessions) == 0 {
		d.Reason = ReasonNoSession
		return
	}
	isDNS := m.isAmazonDNS(e, &d.Flow)
	var rejectS *session
	var rejectRule int
	dnsSkipped := false
	for _, s := range e.sessions {
		if isDNS && !s.filter.amazonDNS {
			dnsSkipped = true
			continue
		}
		r := s.filter.match(dir, &d.Flow)
		if r == nil {
			continue
		}
		if r.accept {
			m.mirrored(d, e, s, r.number, hash)
			return
		}
		if rejectS == nil {
			rejectS, rejectRule = s, r.number
		}
		if m.reject == RejectStops {
			break
		}
	}
	switch {
	case rejectS != nil:
		d.Reason, d.SessionId, d.SessionNumber, d.RuleNumber = ReasonRejected, rejectS.id, rejectS.number, rejectRule
		d.session = rejectS
	case dnsSkipped:
		d.Reason = ReasonAmazonDNS
	default:
		d.Reason = ReasonNoRuleMatched
	}
}

func (m *Model) mirrored(d *Decision, e *eni, s *session, rule int, hash uint64) {
	d.Mirrored, d.Reason = true, ReasonMirrored
	d.SessionId, d.SessionNumber, d.RuleNumber = s.id, s.number, rule
	d.TargetId, d.VNI = s.target.id, s.vni
	d.session = s
	port := outerPort(hash)
	if m.isResolverReply(e, &d.Flow) {
		port = outerPortBase
	}
	d.Outer = Outer{Src: e.ip, Dst: s.target.ip, SrcPort: port, DstPort: encap.VXLANPort}
	if dst, ok := overIPv6(e, s.target); ok {
		d.Outer.Src, d.Outer.Dst = e.ip6, dst
	}
	d.MaxInner, d.MaxInnerRule, d.MaxInnerMTU = m.maxInner(e, s, d.Outer.Dst.Is6())
}

// overIPv6 reports whether a session's copies travel over IPv6. The AWS
// packet-format page says the outer source is "the primary IP address of
// the source network interface" and the destination "the primary IP
// address of the appliance"; on AWS that is the primary private IPv4
// address unless the interface has a primary IPv6 address
// (EnablePrimaryIpv6). The model carries a copy over IPv6 when both ends
// have one: an ENI target whose primary IPv6 address is enabled, from a
// source ENI whose is too. A load balancer (a Network Load Balancer or a
// Gateway Load Balancer endpoint) has no primary flag: a dual-stack one
// (with an Ipv6Address) receives over IPv6 the copies of a source ENI with
// a primary IPv6 address, the same rule with the load balancer's only IPv6
// address as its primary one; it returns the outer destination.
func overIPv6(src *eni, t *target) (netip.Addr, bool) {
	switch {
	case !src.primary6:
	case t.kind == targetENI && t.eni.primary6:
		return t.eni.ip6, true
	case t.lb != nil && t.lb.ip6.IsValid():
		return t.lb.ip6, true
	}
	return netip.Addr{}, false
}

// neverMirrored classifies the traffic that no session mirrors.
func (m *Model) neverMirrored(f *Flow) (Reason, bool) {
	switch f.EtherType {
	case encap.EtherTypeARP:
		return ReasonARP, true
	case encap.EtherTypeIPv4:
	case encap.EtherTypeIPv6:
		if !m.profile.IPv6 {
			return ReasonIPv6Unsupported, true
		}
	default:
		return ReasonNotIP, true
	}
	if f.Proto == encap.ProtoICMPv6 && f.HasICMP && isNDP(f.ICMPType) {
		return ReasonNDP, true
	}
	if f.Proto == encap.ProtoUDP && f.HasPorts {
		sp, dp := f.SrcPort, f.DstPort
		if (sp == 67 || sp == 68) && (dp == 67 || dp == 68) || (sp == 546 || sp == 547) && (dp == 546 || dp == 547) {
			return ReasonDHCP, true
		}
	}
	for _, a := range [2]netip.Addr{f.Src, f.Dst} {
		switch a {
		case addrMetadata, addrMetadata6:
			return ReasonMetadata, true
		case addrTime, addrTime6:
			return ReasonTimeService, true
		}
	}
	if f.Proto == encap.ProtoTCP && f.HasPorts {
		if (f.Dst == addrKMS1 || f.Dst == addrKMS2) && f.DstPort == kmsPort ||
			(f.Src == addrKMS1 || f.Src == addrKMS2) && f.SrcPort == kmsPort {
			return ReasonWindowsActivation, true
		}
	}
	return 0, false
}

// isNDP reports the ICMPv6 types of IPv6's link-layer control: neighbour
// discovery (RFC 4861: router solicitation and advertisement, neighbour
// solicitation and advertisement, redirect; types 133-137) and multicast
// listener discovery (RFC 2710, RFC 3810: query, report, done, MLDv2
// report; 130-132, 143). The AWS list of never-mirrored traffic names ARP
// and DHCP; neighbour discovery is IPv6's ARP and, with DHCPv6, how an
// instance is addressed, and MLD only joins the link's multicast groups
// (a VPC has no multicast outside a transit gateway), so the model treats
// them alike. Echo (128, 129) and errors (1-4) are ordinary traffic.
func isNDP(t uint8) bool {
	return t >= 130 && t <= 137 || t == 143
}

// isAmazonDNS reports traffic to or from the VPC resolver.
func (m *Model) isAmazonDNS(e *eni, f *Flow) bool {
	for _, a := range [2]netip.Addr{f.Src, f.Dst} {
		if a == addrDNS || a == addrDNS6 || (e.resolver.IsValid() && a == e.resolver) {
			return true
		}
	}
	return false
}

// isResolverReply reports a packet sent by the VPC resolver (Amazon DNS).
// In the AWS capture every such reply carries the outer source port 65408
// (0xFF80: the hash bits all zero) while each query has a port of its own
// flow: the resolver is answered by the hypervisor itself, so its replies
// do not carry the flow's hash. The model reproduces that observation.
func (m *Model) isResolverReply(e *eni, f *Flow) bool {
	return f.Src == addrDNS || f.Src == addrDNS6 || (e.resolver.IsValid() && f.Src == e.resolver)
}

// sourceDrops applies the source subnet's network ACL (only to traffic that
// crosses the subnet's boundary) and the ENI's security groups.
func (m *Model) sourceDrops(e *eni, dir Direction, f *Flow, hash uint64) (Reason, int, string, bool) {
	egress := dir == Egress
	peer := f.Src
	if egress {
		peer = f.Dst
	}
	if e.nacl != nil && !e.subnet4.Contains(peer) && !e.subnet6.Contains(peer) {
		if allow, rule := e.nacl.eval(egress, f); !allow {
			return ReasonSourceNACL, rule, "", true
		}
	}
	if len(e.sgs) == 0 {
		return 0, 0, "", false
	}
	for _, g := range e.sgs {
		rules := g.in
		if egress {
			rules = g.out
		}
		if sgAllows(rules, peer, f) {
			e.conns.add(hash)
			return 0, 0, "", false
		}
	}
	if e.conns.has(hash) {
		return 0, 0, "", false
	}
	return ReasonSourceSG, 0, e.sgs[0].id, true
}

// flowSlots is the size of the flow table an ENI starts with.
const flowSlots = 4096

// connTable remembers the flows that a security group let through, so that
// their return traffic passes. A fixed table of atomic slots: an old flow
// can be overwritten by a new one that hashes to the same slot, after which
// its unsolicited return traffic is dropped again. The layout is
// SetFlowTable's.
type connTable struct {
	slots []atomic.Uint64
	mask  uint64 // len(slots) - 1, a power of two less one
}

func newConnTable() *connTable {
	return &connTable{slots: make([]atomic.Uint64, flowSlots), mask: flowSlots - 1}
}

func (c *connTable) add(h uint64) {
	h |= 1
	if s := &c.slots[h&c.mask]; s.Load() != h {
		s.Store(h)
	}
}

func (c *connTable) has(h uint64) bool {
	h |= 1
	return c.slots[h&c.mask].Load() == h
}

// SetFlowTable places the flow table of ENI id (its security groups are
// stateful: the flows they let through, whose return traffic passes) in
// slots, keeping the flows it holds. A data plane that decides some
// packets elsewhere (in the kernel) shares the table by giving the model
// memory the other side reads and writes too; nil gives the table memory
// of its own again. The layout is part of the contract: len(slots) is a
// power of two; a flow f that a group allowed is recorded as
// h = FlowHash(&f)|1 at index h mod len(slots); 0 is an empty slot; each
// slot is read and written atomically. Models that carry this one's state
// over (WithStateFrom) share the table. It must not run while the model
// decides packets.
func (m *Model) SetFlowTable(id string, slots []atomic.Uint64) error {
	r, ok := m.eniByID[id]
	if !ok {
		return fmt.Errorf("set flow table: no network interface %s", id)
	}
	if slots == nil {
		slots = make([]atomic.Uint64, flowSlots)
	}
	if n := len(slots); n == 0 || n&(n-1) != 0 {
		return fmt.Errorf("set flow table of %s: %d slots, want a power of two", id, n)
	}
	c, mask := m.enis[r].conns, uint64(len(slots)-1)
	if len(slots) == len(c.slots) && &slots[0] == &c.slots[0] {
		return nil // in place already
	}
	for i := range slots {
		slots[i].Store(0)
	}
	for i := range c.slots {
		if h := c.slots[i].Load(); h != 0 {
			slots[h&mask].Store(h)
		}
	}
	c.slots, c.mask = slots, mask
	return nil
}

// String is a one-line human explanation of the decision.
func (d Decision) String() string {
	flow := d.Flow.String()
	switch d.Reason {
	case ReasonMirrored:
		s := fmt.Sprintf("%s %s at %s: mirrored by session %s (number %d, rule %d accept) to target %s, VNI %d, outer %s -> %s",
			flow, d.Direction, d.ENIId, d.SessionId, d.SessionNumber, d.RuleNumber, d.TargetId, d.VNI,
			netip.AddrPortFrom(d.Outer.Src, d.Outer.SrcPort), netip.AddrPortFrom(d.Outer.Dst, d.Outer.DstPort))
		if d.Outer.Src.Is6() {
			if d.session != nil && d.session.target.lb != nil {
				s += " (over IPv6: the source's primary IPv6 address to the dual-stack load balancer's IPv6 address)"
			} else {
				s += " (over IPv6: both ends have a primary IPv6 address)"
			}
		}
		if n := d.Flow.L3Offset + d.Flow.IPLen; d.MaxInner > 0 && n > d.MaxInner {
			s += fmt.Sprintf(", truncated to %d of %d inner frame bytes (%s)", d.MaxInner, n, d.TruncationText())
		}
		return s
	case ReasonRejected:
		return fmt.Sprintf("%s %s at %s: not mirrored: rejected by rule %d of session %s (number %d)",
			flow, d.Direction, d.ENIId, d.RuleNumber, d.SessionId, d.SessionNumber)
	case ReasonSourceNACL:
		rule := "its default deny"
		if d.RuleNumber != 0 {
			rule = fmt.Sprintf("rule %d", d.RuleNumber)
		}
		return fmt.Sprintf("%s %s at %s: not mirrored: dropped at the source by the subnet's network ACL (%s)", flow, d.Direction, d.ENIId, rule)
	case ReasonSourceSG:
		return fmt.Sprintf("%s %s at %s: not mirrored: dropped at the source by its security groups (%s, ...)", flow, d.Direction, d.ENIId, d.GroupId)
	}
	return fmt.Sprintf("%s %s at %s: not mirrored: %s", flow, d.Direction, d.ENIId, d.Reason.text())
}

func (r Reason) text() string {
	switch r {
	case ReasonUnknownENI:
		return "unknown ENI"
	case ReasonMalformed:
		return "malformed IP header"
	case ReasonNotIP:
		return "not IP"
	case ReasonARP:
		return "ARP is never mirrored"
	case ReasonNDP:
		return "ICMPv6 neighbour and multicast listener discovery (IPv6's ARP) is never mirrored"
	case ReasonDHCP:
		return "DHCP and DHCPv6 are never mirrored"
	case ReasonMetadata:
		return "the instance metadata service (169.254.169.254, fd00:ec2::254) is never mirrored"
	case ReasonTimeService:
		return "the time sync service (169.254.169.123, fd00:ec2::123) is never mirrored"
	case ReasonWindowsActivation:
		return "Windows activation (KMS, 169.254.169.250/251:1688) is never mirrored"
	case ReasonAmazonDNS:
		return "Amazon DNS is mirrored only by a filter with the amazon-dns network service"
	case ReasonIPv6Unsupported:
		return "the profile does not mirror IPv6"
	case ReasonNoSession:
		return "the ENI is the source of no session"
	case ReasonNoRuleMatched:
		return "no filter rule of any session matched"
	}
	return r.String()
}

// String renders a flow as "tcp 10.0.0.1:1234 -> 10.0.0.2:80".
func (f Flow) String() string {
	switch f.EtherType {
	case encap.EtherTypeARP:
		return "arp"
	case encap.EtherTypeIPv4, encap.EtherTypeIPv6:
	default:
		return fmt.Sprintf("ethertype %#04x", f.EtherType)
	}
	name := protoName(f.Proto)
	if f.HasPorts {
		return fmt.Sprintf("%s %s -> %s", name, netip.AddrPortFrom(f.Src, f.SrcPort), netip.AddrPortFrom(f.Dst, f.DstPort))
	}
	if f.HasICMP {
		return fmt.Sprintf("%s %s -> %s type %d code %d", name, f.Src, f.Dst, f.ICMPType, f.ICMPCode)
	}
	return fmt.Sprintf("%s %s -> %s", name, f.Src, f.Dst)
}

func protoName(p uint8) string {
	switch p {
	case encap.ProtoTCP:
		return "tcp"
	case encap.ProtoUDP:
		return "udp"
	case encap.ProtoICMP:
		return "icmp"
	case encap.ProtoICMPv6:
		return "icmpv6"
	}
	return fmt.Sprintf("proto %d", p)
}
