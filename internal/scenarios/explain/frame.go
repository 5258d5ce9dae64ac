package explain

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Packet is one synthetic IPv4 or IPv6 packet to decide on.
type Packet struct {
	Proto    uint8 // 1 icmp, 6 tcp, 17 udp, 58 icmpv6
	Src, Dst netip.Addr
	// SrcPort and DstPort for TCP and UDP; for ICMP, DstPort is the type
	// (8 echo request, 0 echo reply; ICMPv6 128 and 129).
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

// frame builds the Ethernet frame of p (addresses and lengths right, the
// payload zero; checksums are not needed by the model).
func (p Packet) frame() []byte {
	l4 := 8
	if p.Proto == 6 {
		l4 = 20
	}
	hl := 20
	if p.Src.Is6() {
		hl = 40
	}
	ipLen := hl + l4 + p.Payload
	b := make([]byte, 14+ipLen)
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 1})
	ip := b[14:]
	if p.Src.Is6() {
		binary.BigEndian.PutUint16(b[12:], 0x86dd)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(ipLen-40))
		ip[6], ip[7] = p.Proto, 64
		s, d := p.Src.As16(), p.Dst.As16()
		copy(ip[8:24], s[:])
		copy(ip[24:40], d[:])
	} else {
		binary.BigEndian.PutUint16(b[12:], 0x0800)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
		ip[8] = 64
		ip[9] = p.Proto
		s, d := p.Src.As4(), p.Dst.As4()
		copy(ip[12:16], s[:])
		copy(ip[16:20], d[:])
	}
	t := ip[hl:]
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
	case 1, 58:
		t[0] = byte(p.DstPort)
	}
	return b
}

// reply is the packet that answers p (ports and addresses swapped).
func (p Packet) reply(payload int, flags uint8) Packet {
	r := Packet{Proto: p.Proto, Src: p.Dst, Dst: p.Src, SrcPort: p.DstPort, DstPort: p.SrcPort, TCPFlags: flags, Payload: payload}
	switch p.Proto {
	case 1:
		r.SrcPort, r.DstPort = 0, 0 // echo reply
	case 58:
		r.SrcPort, r.DstPort = 0, 129 // echo reply
	}
	return r
}

func (p Packet) String() string {
	switch p.Proto {
	case 6, 17:
		name := map[uint8]string{6: "tcp", 17: "udp"}[p.Proto]
		return fmt.Sprintf("%s %s -> %s", name, netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort))
	}
	if p.Proto == 58 {
		return fmt.Sprintf("icmpv6 %s -> %s type %d", p.Src, p.Dst, p.DstPort)
	}
	return fmt.Sprintf("icmp %s -> %s type %d", p.Src, p.Dst, p.DstPort)
}

// ParsePacket reads a packet given on the command line:
// "PROTO SRC[:PORT] -> DST[:PORT]" (PROTO tcp, udp, icmp or icmpv6; ">"
// works for "->"; IPv6 with a port in brackets; ICMP may end in "type N",
// echo request by default), e.g. "tcp 10.0.0.6:40000 -> 10.0.0.5:80",
// "udp [2001:db8::6]:5000 -> [2001:db8::5]:5000" or "icmpv6 2001:db8::6 ->
// ff02::1:ff00:5 type 135" (a neighbour solicitation).
func ParsePacket(s string, payload int) (Packet, error) {
	fields := strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, "->", " "), ">", " "))
	icmpType := -1
	if len(fields) == 5 && strings.EqualFold(fields[3], "type") {
		n, err := strconv.ParseUint(fields[4], 10, 8)
		if err != nil {
			return Packet{}, fmt.Errorf("packet %q: ICMP type %q is not 0-255", s, fields[4])
		}
		icmpType, fields = int(n), fields[:3]
	}
	if len(fields) != 3 {
		return Packet{}, fmt.Errorf("packet %q: want \"PROTO SRC[:PORT] -> DST[:PORT]\" (ICMP: \"... type N\" may follow)", s)
	}
	p := Packet{Payload: payload}
	switch strings.ToLower(fields[0]) {
	case "tcp":
		p.Proto, p.TCPFlags = 6, flagSYN
	case "udp":
		p.Proto = 17
	case "icmp":
		p.Proto, p.DstPort = 1, 8
	case "icmpv6", "icmp6":
		p.Proto, p.DstPort = 58, 128
	default:
		return Packet{}, fmt.Errorf("packet %q: protocol %q is not tcp, udp, icmp or icmpv6", s, fields[0])
	}
	icmp := p.Proto == 1 || p.Proto == 58
	var err error
	if p.Src, p.SrcPort, err = hostPort(fields[1], !icmp); err != nil {
		return Packet{}, fmt.Errorf("packet %q: source: %w", s, err)
	}
	var dport uint16
	if p.Dst, dport, err = hostPort(fields[2], !icmp); err != nil {
		return Packet{}, fmt.Errorf("packet %q: destination: %w", s, err)
	}
	if !icmp {
		p.DstPort = dport
	}
	switch {
	case p.Src.Is4() != p.Dst.Is4():
		return Packet{}, fmt.Errorf("packet %q: source and destination are of different address families", s)
	case p.Proto == 1 && !p.Src.Is4():
		return Packet{}, fmt.Errorf("packet %q: icmp needs IPv4 addresses (icmpv6 for IPv6)", s)
	case p.Proto == 58 && p.Src.Is4():
		return Packet{}, fmt.Errorf("packet %q: icmpv6 needs IPv6 addresses", s)
	case icmpType >= 0 && !icmp:
		return Packet{}, fmt.Errorf("packet %q: a type is for icmp and icmpv6 only", s)
	case icmpType >= 0:
		p.DstPort = uint16(icmpType)
	}
	return p, nil
}

// hostPort reads ADDR, or with ports ADDR:PORT ([ADDR]:PORT for IPv6).
func hostPort(s string, ports bool) (netip.Addr, uint16, error) {
	if !ports {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return a, 0, fmt.Errorf("%q is not an IP address", s)
		}
		return a.Unmap(), 0, nil
	}
	i := strings.LastIndex(s, ":")
	if i < 0 || strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
		if a, err := netip.ParseAddr(s); err == nil {
			return a, 0, fmt.Errorf("%q has no port", s)
		}
		return netip.Addr{}, 0, fmt.Errorf("%q is not ADDR:PORT ([ADDR]:PORT for IPv6)", s)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s[:i], "["), "]")
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return a, 0, fmt.Errorf("%q is not an IP address", host)
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return a, 0, fmt.Errorf("port %q: %w", s[i+1:], err)
	}
	return a.Unmap(), uint16(n), nil
}
