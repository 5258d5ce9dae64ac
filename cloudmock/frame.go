package cloudmock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// Packet describes a synthetic frame for BuildFrame (explain, tests).
type Packet struct {
	// ARP builds an ARP request from Src for Dst instead of an IP packet.
	ARP bool
	// Proto is the IP protocol (encap.ProtoTCP, encap.ProtoUDP, encap.ProtoICMP, ...).
	Proto uint8
	// Src and Dst are both IPv4 or both IPv6.
	Src, Dst netip.Addr
	// SrcPort and DstPort for TCP and UDP.
	SrcPort, DstPort uint16
	// ICMPType and ICMPCode for ICMP and ICMPv6.
	ICMPType, ICMPCode uint8
	// TCPFlags; 0 means SYN.
	TCPFlags uint8
	// PayloadLen bytes of zero payload follow the transport header.
	PayloadLen int
	// SrcMAC and DstMAC; zero values are replaced by fixed local addresses.
	SrcMAC, DstMAC [6]byte
}

var (
	defaultSrcMAC = [6]byte{0x02, 0x6d, 0x6c, 0, 0, 1}
	defaultDstMAC = [6]byte{0x02, 0x6d, 0x6c, 0, 0, 2}
)

// BuildFrame returns an Ethernet frame for p with correct IPv4 header and
// TCP/UDP/ICMP checksums.
func BuildFrame(p Packet) ([]byte, error) {
	if p.SrcMAC == [6]byte{} {
		p.SrcMAC = defaultSrcMAC
	}
	if p.DstMAC == [6]byte{} {
		p.DstMAC = defaultDstMAC
	}
	if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() != p.Dst.Is4() {
		return nil, errors.New("build frame: source and destination must be addresses of one family")
	}
	if p.PayloadLen < 0 || p.PayloadLen > 65000 {
		return nil, fmt.Errorf("build frame: payload length %d is out of range 0-65000", p.PayloadLen)
	}
	b := make([]byte, 0, 14+40+20+p.PayloadLen)
	b = append(b, p.DstMAC[:]...)
	b = append(b, p.SrcMAC[:]...)
	if p.ARP {
		if !p.Src.Is4() {
			return nil, errors.New("build frame: ARP needs IPv4 addresses")
		}
		b = binary.BigEndian.AppendUint16(b, encap.EtherTypeARP)
		b = append(b, 0, 1, 8, 0, 6, 4, 0, 1)
		b = append(b, p.SrcMAC[:]...)
		b = append(b, p.Src.AsSlice()...)
		b = append(b, 0, 0, 0, 0, 0, 0)
		return append(b, p.Dst.AsSlice()...), nil
	}
	l4 := transport(p)
	if p.Src.Is4() {
		b = binary.BigEndian.AppendUint16(b, encap.EtherTypeIPv4)
		ip := len(b)
		total := 20 + len(l4)
		b = append(b, 0x45, 0, byte(total>>8), byte(total), 0, 1, 0x40, 0, 64, p.Proto, 0, 0)
		b = append(b, p.Src.AsSlice()...)
		b = append(b, p.Dst.AsSlice()...)
		binary.BigEndian.PutUint16(b[ip+10:], ipv4Checksum(b[ip:ip+20]))
	} else {
		b = binary.BigEndian.AppendUint16(b, encap.EtherTypeIPv6)
		b = append(b, 0x60, 0, 0, 0, byte(len(l4)>>8), byte(len(l4)), p.Proto, 64)
		b = append(b, p.Src.AsSlice()...)
		b = append(b, p.Dst.AsSlice()...)
	}
	l4off := len(b)
	b = append(b, l4...)
	var ck int
	switch p.Proto {
	case encap.ProtoTCP:
		ck = 16
	case encap.ProtoUDP:
		ck = 6
	case encap.ProtoICMP, encap.ProtoICMPv6:
		ck = 2
	default:
		return b, nil
	}
	pseudo := p.Proto != encap.ProtoICMP
	sum := l4Checksum(p.Src, p.Dst, p.Proto, b[l4off:], pseudo)
	if p.Proto == encap.ProtoUDP && sum == 0 {
		sum = 0xffff
	}
	binary.BigEndian.PutUint16(b[l4off+ck:], sum)
	return b, nil
}

// transport builds the transport header and payload (checksum zero).
func transport(p Packet) []byte {
	var h []byte
	switch p.Proto {
	case encap.ProtoTCP:
		flags := p.TCPFlags
		if flags == 0 {
			flags = 0x02
		}
		h = make([]byte, 20, 20+p.PayloadLen)
		binary.BigEndian.PutUint16(h, p.SrcPort)
		binary.BigEndian.PutUint16(h[2:], p.DstPort)
		binary.BigEndian.PutUint32(h[4:], 1)
		h[12], h[13] = 5<<4, flags
		binary.BigEndian.PutUint16(h[14:], 65535)
	case encap.ProtoUDP:
		h = make([]byte, 8, 8+p.PayloadLen)
		binary.BigEndian.PutUint16(h, p.SrcPort)
		binary.BigEndian.PutUint16(h[2:], p.DstPort)
		binary.BigEndian.PutUint16(h[4:], uint16(8+p.PayloadLen))
	case encap.ProtoICMP, encap.ProtoICMPv6:
		h = make([]byte, 8, 8+p.PayloadLen)
		h[0], h[1] = p.ICMPType, p.ICMPCode
	}
	return append(h, make([]byte, p.PayloadLen)...)
}

func l4Checksum(src, dst netip.Addr, proto uint8, seg []byte, pseudo bool) uint16 {
	var sum uint32
	if pseudo {
		sum = encap.Sum(encap.Sum(0, src.AsSlice()), dst.AsSlice()) + uint32(proto) + uint32(len(seg))
	}
	return encap.Checksum(encap.Sum(sum, seg))
}
