//go:build linux

package kpath

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Limits of the maps, from bpf/kpath.h (enum limit, through bpf2go).
const (
	// MaxRules is the most rules a port holds per direction.
	MaxRules = int(kpathLimitKPATH_MAX_RULES)
	// MaxSlots is the number of session slots (0 to MaxSlots-1).
	MaxSlots = uint32(kpathLimitKPATH_MAX_SLOTS)
	// MaxPorts is the most (ifindex, direction) entries of one Path.
	MaxPorts = int(kpathLimitKPATH_MAX_PORTS)
	// MaxAllow is the most security group entries a port holds per
	// direction, MaxACL the most network ACL entries.
	MaxAllow = int(kpathLimitKPATH_MAX_ALLOW)
	MaxACL   = int(kpathLimitKPATH_MAX_ACL)
	// ConnSlots is the size of one ENI's table of allowed flows (the
	// model's flow table is placed there: cloudmock.Model.SetFlowTable),
	// MaxConnTables the tables of one Path.
	ConnSlots     = int(kpathLimitKPATH_CONN_SLOTS)
	MaxConnTables = int(kpathLimitKPATH_MAX_CONN_TABLES)
	// MinMaxInner is the smallest non-zero Session.MaxInner: the kernel
	// cuts a clone no shorter than its Ethernet, IP and transport headers
	// (bpf_skb_change_tail refuses); shorter packet lengths stay in user
	// space.
	MinMaxInner = 64
	// DefaultCopyMark is the mark put on every copy (the service's SO_MARK,
	// dataplane.DefaultMark).
	DefaultCopyMark = uint32(kpathMarkKPATH_DEFAULT_COPY_MARK)
	// CloneTag is the top byte of the mark a clone carries from the
	// source's port to the receiver's: CloneTag<<24 | hash7<<16 | slot.
	CloneTag = uint32(kpathMarkKPATH_CLONE_TAG)
	// OuterPorts is the number of routes of a session (Session.Routes),
	// one per outer source port (cloudmock.OuterPorts).
	OuterPorts = int(kpathLimitKPATH_OUTER_PORTS)
	// MaxHeader is the longest Route.Header, MaxFixes the most length
	// fields it may hold (IPv4 total lengths and UDP lengths).
	MaxHeader = int(kpathLimitKPATH_MAX_HEADER)
	MaxFixes  = int(kpathLimitKPATH_MAX_FIXES)
	// LostReasons bounds Route.Lost (Counters.Lost has as many entries).
	LostReasons = int(kpathLimitKPATH_LOST_REASONS)
)

// Directions (cloudmock.Direction): Ingress is toward the instance (the
// port's egress hook), Egress from it (the port's ingress hook).
const (
	Ingress = uint32(kpathDirKPATH_DIR_INGRESS)
	Egress  = uint32(kpathDirKPATH_DIR_EGRESS)
)

// Punt is why the kernel leaves a packet to user space.
type Punt uint32

// The punt reasons (bpf/kpath.h enum punt).
const (
	PuntNotIP         = Punt(kpathPuntKPATH_PUNT_NOT_IP)         // not an untagged IPv4 (or, with Port.IPv6, IPv6) Ethernet frame
	PuntNotOurs       = Punt(kpathPuntKPATH_PUNT_NOT_OURS)       // not the ENI's frame in this direction, or a group address
	PuntIPHeader      = Punt(kpathPuntKPATH_PUNT_IP_HEADER)      // IPv4 options, more than 4 IPv6 extension headers, a bad length, an L4 header cut short
	PuntFragment      = Punt(kpathPuntKPATH_PUNT_FRAGMENT)       // MF set or a fragment offset, an IPv6 fragment header
	PuntOffload       = Punt(kpathPuntKPATH_PUNT_OFFLOAD)        // a GSO aggregate or CHECKSUM_PARTIAL
	PuntNever         = Punt(kpathPuntKPATH_PUNT_NEVER)          // DHCP, the metadata, time and activation services, Amazon DNS no rule with AmazonDNS mirrors
	PuntReject        = Punt(kpathPuntKPATH_PUNT_REJECT)         // a reject rule matched and rejects stop
	PuntNoMatch       = Punt(kpathPuntKPATH_PUNT_NO_MATCH)       // no accept rule matched
	PuntNoSession     = Punt(kpathPuntKPATH_PUNT_NO_SESSION)     // the accepting rule's slot has no session
	PuntSecurityGroup = Punt(kpathPuntKPATH_PUNT_SECURITY_GROUP) // no security group entry allows it and its flow is not recorded
	PuntNetworkACL    = Punt(kpathPuntKPATH_PUNT_NETWORK_ACL)    // the source subnet's network ACL denies it
	PuntCut           = Punt(kpathPuntKPATH_PUNT_CUT)            // its session cuts it shorter than its headers (and a partial checksum's field) reach
	NumPunts          = Punt(kpathPuntKPATH_PUNT_REASONS)
)

var puntNames = [NumPunts]string{"not-ip", "not-ours", "ip-header", "fragment", "offload", "never-mirrored", "rejected", "no-match", "no-session", "security-group", "network-acl", "cut-in-headers"}

// String is the reason's stable code.
func (p Punt) String() string {
	if p < NumPunts {
		return puntNames[p]
	}
	return fmt.Sprintf("punt-%d", uint32(p))
}

// PortRange is an inclusive range of TCP or UDP ports.
type PortRange struct{ From, To uint16 }

// Rule is one filter rule of a port and direction, in decision order
// (sessions by number, each session's rules by number).
type Rule struct {
	// Group: the rules of one session share a group; a group's rules are
	// consecutive. The first matching rule of a group decides the group.
	Group uint16
	// Accept: an accept mirrors into Slot; a reject decides its group
	// (and the packet, when rejects stop).
	Accept bool
	// Proto is the IP protocol number, 0 for all.
	Proto uint8
	// Src and Dst are prefixes of one family: IPv4 (0.0.0.0/0 for any),
	// or IPv6 (::/0), which match only IPv6 packets (Port.IPv6).
	Src, Dst netip.Prefix
	// SrcPorts and DstPorts, when set, need a TCP or UDP packet with the
	// port in range.
	SrcPorts, DstPorts *PortRange
	// Slot is the session slot an accept mirrors into.
	Slot uint32
	// AmazonDNS: the rule's session mirrors Amazon DNS (its filter has the
	// amazon-dns network service). A packet to or from Port.Resolver or
	// 169.254.169.253 skips every rule without it.
	AmazonDNS bool
}

// Port is what the kernel decides at one port in one direction.
type Port struct {
	// MAC is the instance end's MAC.
	MAC [6]byte
	// IPv6: the port decides IPv6 packets too (the profile mirrors
	// IPv6), by the IPv6 rules, security group peers and network ACL
	// entries, each family's in order; otherwise they are punted
	// (PuntNotIP). MaxRules, MaxAllow and MaxACL bound each family.
	IPv6 bool
	// Resolver is the VPC resolver (invalid: none): like 169.254.169.253,
	// Amazon DNS, which only rules with AmazonDNS mirror.
	Resolver netip.Addr
	// Rules are the filter rules in decision order.
	Rules []Rule
	// SecurityGroups, when set, are the ENI's (stateful) security groups.
	SecurityGroups *SecurityGroups
	// NetworkACL, when set, is the source subnet's network ACL.
	NetworkACL *NetworkACL
}

// NetworkACL is a subnet's network ACL in one direction: a packet whose
// peer (its source at ingress, its destination at egress) lies outside
// Subnet (an IPv6 one: outside Subnet6, when valid) passes if the first
// entry of its family that matches it allows it; otherwise it is left to
// user space (which drops it).
type NetworkACL struct {
	Subnet, Subnet6 netip.Prefix
	Entries         []ACLEntry
}

// ACLEntry is one entry of a network ACL (IPv4 or IPv6): the packet's peer lies in
// CIDR, its protocol is Proto (any with All), and with Ports its TCP or
// UDP destination port lies in the range.
type ACLEntry struct {
	Allow bool
	All   bool
	Proto uint8
	CIDR  netip.Prefix
	Ports *PortRange
}

// SecurityGroups are an ENI's security groups in one direction: a packet
// an Allow entry matches passes and its flow is recorded in connection
// table ConnTable (see Path.ConnTable), a packet of a recorded flow passes,
// and any other is left to user space (which drops it).
type SecurityGroups struct {
	ConnTable int
	Allow     []Allow
}

// Allow is one peer (IPv4 or IPv6) of a security group rule: the packet's peer (its
// source at ingress, its destination at egress) is in Peer, and, unless
// All, its protocol is Proto and for TCP and UDP its destination port lies
// in From..To, for ICMP its type is From and its code To (-1: any).
type Allow struct {
	All      bool
	Proto    uint8
	From, To int
	Peer     netip.Prefix
}

// Session is where an accepting rule's copies go: with Routes, each
// outer source port's copies as its route says; without, every copy in
// VXLAN to one receiver (VNI, the outer addresses, the MACs and
// ReceiverIfindex).
type Session struct {
	// VNI is the session's VXLAN network identifier (24 bits).
	VNI uint32
	// OuterSrc (the source ENI's address) and OuterDst (the receiver's)
	// are the outer IPv4 addresses.
	OuterSrc, OuterDst netip.Addr
	// SrcMAC is the router's MAC in the receiver's subnet, DstMAC the
	// receiver's.
	SrcMAC, DstMAC [6]byte
	// MaxInner is the most inner-frame bytes a copy keeps (0: all;
	// otherwise MinMaxInner to 65535).
	MaxInner int
	// ReceiverIfindex is the receiver's bridge port in the fabric namespace
	// (its program encapsulates the clone; attach it too).
	ReceiverIfindex int
	// Routes, when set (OuterPorts of them), replace the fields above but
	// MaxInner: Routes[i] is what becomes of the copies whose outer
	// source port is cloudmock.OuterPortBase+i (see PlanCopy.Route).
	Routes []Route
}

// Route is what becomes of the copies of a session that carry one outer
// source port, as cloudmock's Deliver and Decision.AppendWire say.
type Route struct {
	// Lost, when not cloudmock.Delivered, is why the copies are lost on
	// the way (the kernel counts them, Counters.Lost, and sends nothing).
	Lost cloudmock.DeliveryReason
	// ReceiverIfindex is the receiver's bridge port (attach it: its
	// program wraps the clone).
	ReceiverIfindex int
	// Forward: ReceiverIfindex is the link toward the receiver's fabric
	// (see AttachForward), where the copy is forwarded to the receiver.
	Forward bool
	// CountIn is the slot whose Counters count these copies (the
	// session's own, or one per receiver, so that each receiver's copies
	// can be told apart).
	CountIn uint32
	// Header is the frame before the inner one, as AppendWire writes it:
	// Ethernet, IPv4, UDP and VXLAN, or that datagram in IPv4, UDP and
	// GENEVE (behind a Gateway Load Balancer). Its lengths and IPv4
	// checksums are completed per copy; its UDP checksums must be 0.
	Header []byte
}

// Tally counts copies: Packets of Bytes (inner frame lengths before any
// cut), Truncated of them cut to MaxInner.
type Tally struct{ Packets, Bytes, Truncated uint64 }

// Counters are one slot's counters, summed over the CPUs.
type Counters struct {
	// Packets and Bytes (inner frame lengths before any cut) that the
	// kernel mirrored; Truncated of them cut to MaxInner.
	Packets, Bytes, Truncated uint64
	// Errors: a clone that could not be sent or encapsulated.
	Errors uint64
	// WireBytes are the copies' IPv4 bytes (outer header included, after
	// any cut).
	WireBytes uint64
	// Lost are the copies the kernel mirrored but that are lost on the
	// way, by why (cloudmock.DeliveryReason); the fields above count only
	// the copies sent.
	Lost [LostReasons]Tally
}

// Sub returns c minus o, field by field (what was counted since o).
func (c Counters) Sub(o Counters) Counters {
	d := Counters{Packets: c.Packets - o.Packets, Bytes: c.Bytes - o.Bytes, Truncated: c.Truncated - o.Truncated,
		Errors: c.Errors - o.Errors, WireBytes: c.WireBytes - o.WireBytes}
	for r := range c.Lost {
		d.Lost[r] = Tally{c.Lost[r].Packets - o.Lost[r].Packets, c.Lost[r].Bytes - o.Lost[r].Bytes, c.Lost[r].Truncated - o.Lost[r].Truncated}
	}
	return d
}
