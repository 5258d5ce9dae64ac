package frame

import (
	"encoding/binary"
)

// Result says what a decode step made of a packet.
type Result uint8

// Results. OK means the packet was decoded; every other value is a reason to
// skip it, exported as a metric label by String.
const (
	OK Result = iota
	Truncated
	NotIP
	Fragment
	NotUDP
	OtherUDPPort
	NotTCP
	BadHeader
	numResults
)

// NumResults is the number of distinct Result values (for counter arrays).
const NumResults = int(numResults)

var resultNames = [...]string{
	OK:           "ok",
	Truncated:    "truncated",
	NotIP:        "not_ip",
	Fragment:     "ip_fragment",
	NotUDP:       "not_udp",
	OtherUDPPort: "other_udp_port",
	NotTCP:       "not_tcp",
	BadHeader:    "bad_header",
}

// String returns a short snake_case name of r.
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

const (
	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd
	etherTypeVLAN = 0x8100
	etherTypeQinQ = 0x88a8
	protoTCP      = 6
	protoUDP      = 17
)

// MaxVLANTags is how many VLAN tags (802.1Q, 802.1ad, in any order)
// EthernetPayload strips; a frame with more is counted not_ip.
const MaxVLANTags = 8

// EthernetPayload strips the Ethernet header and up to MaxVLANTags VLAN
// tags from frame, returning the EtherType and the payload.
func EthernetPayload(frame []byte) (etherType uint16, payload []byte, r Result) {
	if len(frame) < 14 {
		return 0, nil, Truncated
	}
	et := binary.BigEndian.Uint16(frame[12:14])
	off := 14
	for i := 0; i < MaxVLANTags && (et == etherTypeVLAN || et == etherTypeQinQ); i++ {
		if len(frame) < off+4 {
			return 0, nil, Truncated
		}
		et = binary.BigEndian.Uint16(frame[off+2 : off+4])
		off += 4
	}
	return et, frame[off:], OK
}

// IP is the decoded IPv4 or IPv6 header of a packet.
type IP struct {
	Version  uint8
	Protocol uint8
	Src, Dst [16]byte // IPv4 addresses use the first 4 bytes
	// Payload is the transport header and data, trimmed to the length the
	// IP header announces (Ethernet padding removed).
	Payload []byte
	// Len is the length of the packet within the decoded buffer: the
	// announced length, or the captured length when Short.
	Len int
	// Short is true when fewer bytes were captured than the IP header
	// announces: the mirror session truncated the packet.
	Short bool
	// FirstFragment is set when Decode returns Fragment for the fragment
	// at offset 0; Protocol and Payload (the fragment's data: the
	// transport header and the start of its payload) are then valid.
	FirstFragment bool
}

// AddrLen returns 4 or 16.
func (ip *IP) AddrLen() int {
	if ip.Version == 4 {
		return 4
	}
	return 16
}

// Decode parses an IPv4 or IPv6 header at the start of b. Fragments are
// reported (Fragment) and not decoded further: mirrored fragments cannot be
// part of a reassembled TCP stream without IP reassembly. Of a first
// fragment, Protocol and Payload are set (see FirstFragment).
func (ip *IP) Decode(b []byte) Result {
	ip.FirstFragment = false
	if len(b) < 1 {
		return Truncated
	}
	switch b[0] >> 4 {
	case 4:
		return ip.decode4(b)
	case 6:
		return ip.decode6(b)
	}
	return NotIP
}

func (ip *IP) decode4(b []byte) Result {
	if len(b) < 20 {
		return Truncated
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || total < ihl {
		return BadHeader
	}
	if len(b) < ihl {
		return Truncated
	}
	frag := binary.BigEndian.Uint16(b[6:8])
	if frag&0x3fff != 0 { // MF set or offset non-zero
		if frag&0x1fff == 0 {
			ip.FirstFragment, ip.Protocol = true, b[9]
			ip.Payload = b[ihl:min(total, len(b))]
		}
		return Fragment
	}
	ip.Version = 4
	ip.Protocol = b[9]
	ip.Src = [16]byte{}
	ip.Dst = [16]byte{}
	copy(ip.Src[:4], b[12:16])
	copy(ip.Dst[:4], b[16:20])
	ip.Short = len(b) < total
	ip.Len = min(total, len(b))
	ip.Payload = b[ihl:ip.Len]
	return OK
}

func (ip *IP) decode6(b []byte) Result {
	if len(b) < 40 {
		return Truncated
	}
	plen := int(binary.BigEndian.Uint16(b[4:6]))
	next := b[6]
	copy(ip.Src[:], b[8:24])
	copy(ip.Dst[:], b[24:40])
	ip.Version = 6
	end := 40 + plen
	ip.Short = len(b) < end
	if !ip.Short {
		b = b[:end]
	}
	ip.Len = len(b)
	off := 40
	// Skip the extension headers that may precede TCP.
	for {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < off+8 {
				return Truncated
			}
			next = b[off]
			off += (int(b[off+1]) + 1) * 8
			if off > len(b) {
				return Truncated
			}
			continue
		case 44: // fragment header: next header, reserved, offset and M flag
			if len(b) >= off+8 && binary.BigEndian.Uint16(b[off+2:off+4])>>3 == 0 {
				ip.FirstFragment, ip.Protocol = true, b[off]
				ip.Payload = b[off+8:]
			}
			return Fragment
		}
		break
	}
	ip.Protocol = next
	ip.Payload = b[off:]
	return OK
}

// UDPPayload returns the payload of the UDP datagram in ip if its
// destination port is port (0: any port).
func UDPPayload(ip *IP, port uint16) ([]byte, Result) {
	if ip.Protocol != protoUDP {
		return nil, NotUDP
	}
	if ip.Short {
		return nil, Truncated
	}
	b := ip.Payload
	if len(b) < 8 {
		return nil, Truncated
	}
	if port != 0 && binary.BigEndian.Uint16(b[2:4]) != port {
		return nil, OtherUDPPort
	}
	ulen := int(binary.BigEndian.Uint16(b[4:6]))
	if ulen < 8 {
		return nil, BadHeader
	}
	if ulen > len(b) {
		return nil, Truncated
	}
	return b[8:ulen], OK
}

// OuterVXLAN finds the VXLAN header in an outer frame captured on an
// interface: Ethernet (ethernet true) or raw IP, then IPv4/IPv6, then UDP to
// port. It returns the UDP payload (starting with the VXLAN header).
func OuterVXLAN(ip *IP, pkt []byte, ethernet bool, port uint16) ([]byte, Result) {
	if ethernet {
		et, p, r := EthernetPayload(pkt)
		if r != OK {
			return nil, r
		}
		if et != etherTypeIPv4 && et != etherTypeIPv6 {
			return nil, NotIP
		}
		pkt = p
	}
	if r := ip.Decode(pkt); r != OK {
		return nil, r
	}
	return UDPPayload(ip, port)
}
