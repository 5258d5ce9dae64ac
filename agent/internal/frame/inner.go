package frame

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Inner is the decoded inner (mirrored) packet. Reuse one Inner per
// goroutine: Decode allocates nothing.
type Inner struct {
	IP  IP
	TCP layers.TCP
	// DstPort and SrcPort are the TCP ports, valid after DecodeIP returns OK.
	SrcPort, DstPort uint16
	// Packet is the whole IP packet (trimmed to its announced length unless
	// short), valid after DecodeIP returns OK.
	Packet []byte
}

// DecodeEthernet decodes an inner Ethernet frame down to the TCP ports; call
// DecodeTCP afterwards for the TCP header proper.
func (in *Inner) DecodeEthernet(frame []byte) Result {
	et, p, r := EthernetPayload(frame)
	if r != OK {
		return r
	}
	if et != etherTypeIPv4 && et != etherTypeIPv6 {
		return NotIP
	}
	return in.DecodeIP(p)
}

// DecodeIP decodes an IP packet down to the TCP ports.
func (in *Inner) DecodeIP(pkt []byte) Result {
	if r := in.IP.Decode(pkt); r != OK {
		return r
	}
	in.Packet = pkt[:in.IP.Len]
	if in.IP.Protocol != protoTCP {
		return NotTCP
	}
	b := in.IP.Payload
	if len(b) < 4 {
		return Truncated
	}
	in.SrcPort = binary.BigEndian.Uint16(b[0:2])
	in.DstPort = binary.BigEndian.Uint16(b[2:4])
	return OK
}

// DecodeTCP decodes the TCP header into in.TCP. A packet whose IP header
// announces more bytes than were captured (a mirror truncation) is reported
// as Truncated: its payload is incomplete and must not enter a stream.
func (in *Inner) DecodeTCP() Result {
	if in.IP.Short {
		return Truncated
	}
	b := in.IP.Payload
	if len(b) < 20 {
		return Truncated
	}
	if off := int(b[12]>>4) * 4; off < 20 || off > len(b) {
		return BadHeader
	}
	if err := in.TCP.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		return BadHeader
	}
	return OK
}

// NetFlow returns the network flow (source, destination address) of the
// packet, as gopacket/reassembly expects it. It allocates nothing.
func (in *Inner) NetFlow() gopacket.Flow {
	n := in.IP.AddrLen()
	et := layers.EndpointIPv4
	if n == 16 {
		et = layers.EndpointIPv6
	}
	return gopacket.NewFlow(et, in.IP.Src[:n], in.IP.Dst[:n])
}

// FlowHash returns a hash of the packet's addresses and ports that is the
// same for both directions, to spread connections over workers.
func (in *Inner) FlowHash() uint32 {
	var h uint32 = 2166136261
	n := in.IP.AddrLen()
	for i := 0; i < n; i++ {
		h ^= uint32(in.IP.Src[i] ^ in.IP.Dst[i])
		h *= 16777619
	}
	h ^= uint32(in.SrcPort ^ in.DstPort)
	h *= 16777619
	h ^= uint32(in.SrcPort) + uint32(in.DstPort)
	h *= 16777619
	// Mix the bits down (murmur3's finaliser): the low bits alone, which
	// pick a worker, have the same parity for every port pair of two
	// addresses (the port terms cancel in bit 0), so with two workers
	// every connection between two hosts went to the same one.
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
