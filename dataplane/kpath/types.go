package kpath

import (
	"fmt"
	"net/netip"
)

// Limits of the maps (bpf/kpath.h).
const (
	// MaxRules is the most rules a port holds per direction.
	MaxRules = 40
	// MaxSlots is the number of session slots (0 to MaxSlots-1).
	MaxSlots = 4096
	// MaxPorts is the most (ifindex, direction) entries of one Path.
	MaxPorts = 4096
	// MaxAllow is the most security group entries a port holds per
	// direction, MaxACL the most network ACL entries.
	MaxAllow = 32
	MaxACL   = 20
	// ConnSlots is the size of one ENI's table of allowed flows
	// (cloudmock.ConnSlots), MaxConnTables the tables of one Path.
	ConnSlots     = 4096
	MaxConnTables = 64
	// MinMaxInner is the smallest non-zero Session.MaxInner: the kernel
	// cuts a clone no shorter than its Ethernet, IP and transport headers
	// (bpf_skb_change_tail refuses); shorter packet lengths stay in user
	// space.
	MinMaxInner = 64
	// DefaultCopyMark is the mark put on every copy (the service's SO_MARK,
	// dataplane.DefaultMark).
	DefaultCopyMark = 0x6d6c6d72
	// CloneTag is the top byte of the mark a clone carries from the
	// source's port to the receiver's: CloneTag<<24 | hash7<<16 | slot.
	CloneTag = 0xB7
)

// Directions (cloudmock.Direction): Ingress is toward the instance (the
// port's egress hook), Egress from it (the port's ingress hook).
const (
	Ingress uint32 = 0
	Egress  uint32 = 1
)

// Punt is why the kernel leaves a packet to user space.
type Punt uint32

// The punt reasons (bpf/kpath.h enum kpath_punt).
const (
	PuntNotIPv4       Punt = iota // not an untagged IPv4 Ethernet frame
	PuntNotOurs                   // not the ENI's frame in this direction, or a group address
	PuntIPHeader                  // IP options, a bad total length, an L4 header cut short
	PuntFragment                  // MF set or a fragment offset
	PuntOffload                   // a GSO aggregate or CHECKSUM_PARTIAL
	PuntNever                     // DHCP, 169.254.0.0/16, the VPC resolver
	PuntReject                    // a reject rule matched and rejects stop
	PuntNoMatch                   // no accept rule matched
	PuntNoSession                 // the accepting rule's slot has no session
	PuntSecurityGroup             // no security group entry allows it and its flow is not recorded
	PuntNetworkACL                // the source subnet's network ACL denies it
	NumPunts
)

var puntNames = [NumPunts]string{"not-ipv4", "not-ours", "ip-header", "fragment", "offload", "never-mirrored", "rejected", "no-match", "no-session", "security-group", "network-acl"}

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
	// Src and Dst are IPv4 prefixes (0.0.0.0/0 for any).
	Src, Dst netip.Prefix
	// SrcPorts and DstPorts, when set, need a TCP or UDP packet with the
	// port in range.
	SrcPorts, DstPorts *PortRange
	// Slot is the session slot an accept mirrors into.
	Slot uint32
}

// Port is what the kernel decides at one port in one direction.
type Port struct {
	// MAC is the instance end's MAC.
	MAC [6]byte
	// Resolver is the VPC resolver, whose traffic is left to user space
	// (invalid: none).
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
// Subnet passes if the first entry that matches it allows it; otherwise
// it is left to user space (which drops it).
type NetworkACL struct {
	Subnet  netip.Prefix
	Entries []ACLEntry
}

// ACLEntry is one IPv4 entry of a network ACL: the packet's peer lies in
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

// Allow is one IPv4 peer of a security group rule: the packet's peer (its
// source at ingress, its destination at egress) is in Peer, and, unless
// All, its protocol is Proto and for TCP and UDP its destination port lies
// in From..To, for ICMP its type is From and its code To (-1: any).
type Allow struct {
	All      bool
	Proto    uint8
	From, To int
	Peer     netip.Prefix
}

// Session is where an accepting rule's copies go.
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
}

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
}
