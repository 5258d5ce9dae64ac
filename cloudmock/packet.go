package cloudmock

import (
	"encoding/binary"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// Flow is what the model reads from a frame: the inner 5-tuple and a little
// more. It is parsed by hand with bounds checks (no allocation).
type Flow struct {
	// EtherType after any VLAN tags.
	EtherType uint16
	// L3Offset is where the IP header starts in the frame.
	L3Offset int
	// IPLen is the IP packet's length from its header (IPv6: 40 + payload).
	IPLen int
	// Proto is the transport protocol (after IPv6 extension headers).
	Proto    uint8
	Src, Dst netip.Addr
	// SrcPort and DstPort are set for TCP and UDP (HasPorts).
	SrcPort, DstPort uint16
	HasPorts         bool
	// ICMPType and ICMPCode are set for ICMP and ICMPv6 (HasICMP).
	ICMPType, ICMPCode uint8
	HasICMP            bool
	// TCPFlags of a TCP segment.
	TCPFlags uint8
	// Fragment is set for a non-first IP fragment (no transport header).
	Fragment bool

	// IPv4 addresses as integers, for the fast paths.
	v4         bool
	src4, dst4 uint32
}

// ParseFlow reads an Ethernet frame (with up to two VLAN tags). ok is false
// when an IP header is cut short or invalid; a non-IP frame parses with only
// EtherType set.
func ParseFlow(frame []byte) (f Flow, ok bool) {
	if len(frame) < 14 {
		return f, false
	}
	off := 12
	et := binary.BigEndian.Uint16(frame[off:])
	off += 2
	for i := 0; i < 2 && (et == encap.EtherTypeVLAN || et == encap.EtherTypeQinQ); i++ {
		if len(frame) < off+4 {
			return f, false
		}
		et = binary.BigEndian.Uint16(frame[off+2:])
		off += 4
	}
	f.EtherType = et
	f.L3Offset = off
	switch et {
	case encap.EtherTypeIPv4:
		return f, parseIPv4(&f, frame[off:])
	case encap.EtherTypeIPv6:
		return f, parseIPv6(&f, frame[off:])
	}
	return f, true
}

func parseIPv4(f *Flow, b []byte) bool {
	if len(b) < 20 || b[0]>>4 != 4 {
		return false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return false
	}
	f.IPLen = int(binary.BigEndian.Uint16(b[2:]))
	f.Proto = b[9]
	f.Src = netip.AddrFrom4([4]byte(b[12:16]))
	f.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	f.v4 = true
	f.src4 = binary.BigEndian.Uint32(b[12:])
	f.dst4 = binary.BigEndian.Uint32(b[16:])
	if binary.BigEndian.Uint16(b[6:])&0x1fff != 0 {
		f.Fragment = true
		return true
	}
	parseL4(f, b[ihl:])
	return true
}

func parseIPv6(f *Flow, b []byte) bool {
	if len(b) < 40 || b[0]>>4 != 6 {
		return false
	}
	f.IPLen = 40 + int(binary.BigEndian.Uint16(b[4:]))
	f.Src = netip.AddrFrom16([16]byte(b[8:24]))
	f.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	next, off := b[6], 40
walk:
	for i := 0; i < 8; i++ {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < off+8 {
				f.Proto = next
				return true
			}
			next, off = b[off], off+8*(int(b[off+1])+1)
			continue
		case 44: // fragment
			if len(b) < off+8 {
				f.Proto = next
				return true
			}
			frag := binary.BigEndian.Uint16(b[off+2:]) &^ 7
			next, off = b[off], off+8
			if frag != 0 {
				f.Proto = next
				f.Fragment = true
				return true
			}
			continue
		}
		break walk
	}
	f.Proto = next
	if off <= len(b) {
		parseL4(f, b[off:])
	}
	return true
}

// parseL4 reads ports or ICMP type/code; a cut-short header leaves them
// unset (such a packet matches no port range).
func parseL4(f *Flow, b []byte) {
	switch f.Proto {
	case encap.ProtoTCP:
		if len(b) >= 14 {
			f.SrcPort = binary.BigEndian.Uint16(b)
			f.DstPort = binary.BigEndian.Uint16(b[2:])
			f.TCPFlags = b[13]
			f.HasPorts = true
		}
	case encap.ProtoUDP:
		if len(b) >= 8 {
			f.SrcPort = binary.BigEndian.Uint16(b)
			f.DstPort = binary.BigEndian.Uint16(b[2:])
			f.HasPorts = true
		}
	case encap.ProtoICMP, encap.ProtoICMPv6:
		if len(b) >= 2 {
			f.ICMPType, f.ICMPCode = b[0], b[1]
			f.HasICMP = true
		}
	}
}

// FlowHash is a symmetric hash of the flow: the 5-tuple for TCP and UDP,
// the 3-tuple for other protocols, the same in both directions. It picks
// the copies' outer source port (OuterSrcPort) and the flow's slot in its
// ENI's flow table (SetFlowTable).
func FlowHash(f *Flow) uint64 {
	pa, pb := f.SrcPort, f.DstPort
	if !f.HasPorts {
		pa, pb = 0, 0
	}
	if f.v4 {
		a, b := f.src4, f.dst4
		if a > b || (a == b && pa > pb) {
			a, b, pa, pb = b, a, pb, pa
		}
		h := mix(uint64(0x6d6972726f726c61)^uint64(f.Proto), uint64(a)<<32|uint64(b))
		return mix(h, uint64(pa)<<16|uint64(pb))
	}
	a, b := f.Src, f.Dst
	if c := a.Compare(b); c > 0 || (c == 0 && pa > pb) {
		a, b, pa, pb = b, a, pb, pa
	}
	h := uint64(0x6d6972726f726c61) ^ uint64(f.Proto)
	h = mixAddr(h, a)
	h = mixAddr(h, b)
	h = mix(h, uint64(pa)<<16|uint64(pb))
	return h
}

func mixAddr(h uint64, a netip.Addr) uint64 {
	b := a.As16()
	h = mix(h, binary.LittleEndian.Uint64(b[:8]))
	return mix(h, binary.LittleEndian.Uint64(b[8:]))
}

func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0x9e3779b97f4a7c15
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return h
}
