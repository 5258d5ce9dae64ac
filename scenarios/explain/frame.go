package explain

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Packet is one synthetic IPv4 packet to decide on.
type Packet struct {
	Proto    uint8 // 1 icmp, 6 tcp, 17 udp
	Src, Dst netip.Addr
	// SrcPort and DstPort for TCP and UDP; for ICMP, DstPort is the type
	// (8 echo request, 0 echo reply).
	SrcPort, DstPort uint16
	TCPFlags         uint8
	Payload          int // payload bytes after the transport header
}

// TCP flags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagPSH = 0x08
	flagACK = 0x10
)

// Frame builds the Ethernet frame of p (addresses and lengths right, the
// payload zero; checksums are not needed by the model).
func (p Packet) Frame() []byte {
	l4 := 8
	if p.Proto == 6 {
		l4 = 20
	}
	ipLen := 20 + l4 + p.Payload
	b := make([]byte, 14+ipLen)
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
	ip[8] = 64
	ip[9] = p.Proto
	s, d := p.Src.As4(), p.Dst.As4()
	copy(ip[12:16], s[:])
	copy(ip[16:20], d[:])
	t := ip[20:]
	switch p.Proto {
	case 6:
		binary.BigEndian.PutUint16(t[0:], p.SrcPort)
		binary.BigEndian.PutUint16(t[2:], p.DstPort)
		t[12] = 5 << 4
		t[13] = p.TCPFlags
	case 17:
		binary.BigEndian.PutUint16(t[0:], p.SrcPort)
		binary.BigEndian.PutUint16(t[2:], p.DstPort)
		binary.BigEndian.PutUint16(t[4:], uint16(8+p.Payload))
	case 1:
		t[0] = byte(p.DstPort)
	}
	return b
}

// Reply is the packet that answers p (ports and addresses swapped).
func (p Packet) Reply(payload int, flags uint8) Packet {
	r := Packet{Proto: p.Proto, Src: p.Dst, Dst: p.Src, SrcPort: p.DstPort, DstPort: p.SrcPort, TCPFlags: flags, Payload: payload}
	if p.Proto == 1 {
		r.SrcPort, r.DstPort = 0, 0 // echo reply
	}
	return r
}

func (p Packet) String() string {
	switch p.Proto {
	case 6, 17:
		name := map[uint8]string{6: "tcp", 17: "udp"}[p.Proto]
		return fmt.Sprintf("%s %s -> %s", name, netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort))
	}
	return fmt.Sprintf("icmp %s -> %s type %d", p.Src, p.Dst, p.DstPort)
}

// ParsePacket reads a packet given on the command line:
// "PROTO SRC[:PORT] -> DST[:PORT]" (PROTO tcp, udp or icmp; ">" works for
// "->"), e.g. "tcp 10.0.0.6:40000 -> 10.0.0.5:80".
func ParsePacket(s string, payload int) (Packet, error) {
	fields := strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, "->", " "), ">", " "))
	if len(fields) != 3 {
		return Packet{}, fmt.Errorf("packet %q: want \"PROTO SRC[:PORT] -> DST[:PORT]\"", s)
	}
	p := Packet{Payload: payload}
	switch strings.ToLower(fields[0]) {
	case "tcp":
		p.Proto, p.TCPFlags = 6, flagSYN
	case "udp":
		p.Proto = 17
	case "icmp":
		p.Proto, p.DstPort = 1, 8
	default:
		return Packet{}, fmt.Errorf("packet %q: protocol %q is not tcp, udp or icmp", s, fields[0])
	}
	var err error
	if p.Src, p.SrcPort, err = hostPort(fields[1], p.Proto != 1); err != nil {
		return Packet{}, fmt.Errorf("packet %q: source: %w", s, err)
	}
	var dport uint16
	if p.Dst, dport, err = hostPort(fields[2], p.Proto != 1); err != nil {
		return Packet{}, fmt.Errorf("packet %q: destination: %w", s, err)
	}
	if p.Proto != 1 {
		p.DstPort = dport
	}
	return p, nil
}

func hostPort(s string, ports bool) (netip.Addr, uint16, error) {
	if !ports {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return a, 0, fmt.Errorf("%q is not an IPv4 address", s)
		}
		return a, 0, nil
	}
	host, port, found := strings.Cut(s, ":")
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		return a, 0, fmt.Errorf("%q is not an IPv4 address", host)
	}
	if !found {
		return a, 0, fmt.Errorf("%q has no port", s)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return a, 0, fmt.Errorf("port %q: %w", port, err)
	}
	return a, uint16(n), nil
}
