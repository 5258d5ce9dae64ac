package gen

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// Header sizes of the frames the generator builds.
const (
	EthHeaderLen  = 14
	IPv4HeaderLen = 20
	UDPHeaderLen  = 8
	// MinIPLen is the smallest IP packet size a frame can have.
	MinIPLen = IPv4HeaderLen + UDPHeaderLen
)

// Flow describes the frames to send: addresses, ports and the IP packet size
// (the figure the bench calls "packet size": 64 … 8947, what an MTU bounds).
type Flow struct {
	SrcMAC, DstMAC net.HardwareAddr
	Src, Dst       netip.Addr
	SrcPort        uint16
	DstPort        uint16
	IPLen          int
	// Payload, when set, is the UDP payload (IPLen is then derived from
	// it); otherwise the payload is filler bytes.
	Payload []byte
}

// Frames builds n frames of the flow that differ only in their UDP source
// port (SrcPort, SrcPort+1, …), so hashing on the 5-tuple sees n flows. The
// IPv4 and UDP checksums are valid.
func Frames(f Flow, n int) ([][]byte, error) {
	if f.Payload != nil {
		f.IPLen = MinIPLen + len(f.Payload)
	}
	if f.IPLen < MinIPLen || f.IPLen > 65535 {
		return nil, fmt.Errorf("ip packet size %d out of range [%d, 65535]", f.IPLen, MinIPLen)
	}
	if !f.Src.Is4() || !f.Dst.Is4() {
		return nil, fmt.Errorf("flow %s -> %s: only IPv4 is generated", f.Src, f.Dst)
	}
	if len(f.SrcMAC) != 6 || len(f.DstMAC) != 6 {
		return nil, fmt.Errorf("flow %s -> %s: MAC addresses must be 6 bytes", f.Src, f.Dst)
	}
	if n < 1 {
		n = 1
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = frame(f, f.SrcPort+uint16(i))
	}
	return out, nil
}

func frame(f Flow, sport uint16) []byte {
	b := make([]byte, EthHeaderLen+f.IPLen)
	copy(b[0:6], f.DstMAC)
	copy(b[6:12], f.SrcMAC)
	binary.BigEndian.PutUint16(b[12:14], 0x0800)
	ip := b[EthHeaderLen:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:4], uint16(f.IPLen))
	binary.BigEndian.PutUint16(ip[4:6], sport)  // identification: anything
	binary.BigEndian.PutUint16(ip[6:8], 0x4000) // don't fragment
	ip[8] = 64
	ip[9] = 17
	src, dst := f.Src.As4(), f.Dst.As4()
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	binary.BigEndian.PutUint16(ip[10:12], encap.Checksum(encap.Sum(0, ip[:IPv4HeaderLen])))
	udp := ip[IPv4HeaderLen:]
	ulen := f.IPLen - IPv4HeaderLen
	binary.BigEndian.PutUint16(udp[0:2], sport)
	binary.BigEndian.PutUint16(udp[2:4], f.DstPort)
	binary.BigEndian.PutUint16(udp[4:6], uint16(ulen))
	if f.Payload != nil {
		copy(udp[UDPHeaderLen:], f.Payload)
	} else {
		for i := UDPHeaderLen; i < ulen; i++ {
			udp[i] = byte(i)
		}
	}
	// Pseudo-header: addresses, protocol, UDP length.
	s := encap.Sum(encap.Sum(0, src[:]), dst[:])
	s += 17 + uint32(ulen)
	c := encap.Checksum(encap.Sum(s, udp[:ulen]))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(udp[6:8], c)
	return b
}
