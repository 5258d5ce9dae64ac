package kpath

import (
	"encoding/binary"
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// vxlanHeaderLen is the header of a copy in VXLAN over IPv4 (Ethernet,
// IPv4, UDP, VXLAN).
const vxlanHeaderLen = encap.EthernetHeaderLen + encap.OuterIPv4Len + encap.UDPHeaderLen + encap.VXLANHeaderLen

// compileRoute checks r and converts it into the map's layout: the
// header as the model wrote it, and where the program sets its lengths
// (and updates its IPv4 checksums) for each copy.
func compileRoute(r *Route, out *kpathRoute) error {
	*out = kpathRoute{CountIn: r.CountIn}
	if err := checkSlot(r.CountIn); err != nil {
		return fmt.Errorf("counted in: %w", err)
	}
	if r.Lost != cloudmock.Delivered {
		if int(r.Lost) >= LostReasons {
			return fmt.Errorf("lost reason %d: at most %d", r.Lost, LostReasons-1)
		}
		out.Lost = uint8(r.Lost)
		return nil
	}
	if r.ReceiverIfindex <= 0 {
		return fmt.Errorf("receiver ifindex %d: want a positive interface index", r.ReceiverIfindex)
	}
	h := r.Header
	w, err := walkHeader(h)
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	out.Ifindex, out.Hlen, out.Nfix = uint32(r.ReceiverIfindex), uint8(len(h)), uint8(len(w.fixes))
	if r.Forward {
		out.Flags |= routeForward
	}
	copy(out.Hdr[:], h)
	copy(out.Fix[:], w.fixes)
	if w.udp6 != 0 {
		// The program sums the datagram with its checksum field 0.
		out.Udp6, out.Pseudo = uint8(w.udp6), w.pseudo
		binary.BigEndian.PutUint16(out.Hdr[w.udp6+6:], 0)
	}
	return nil
}

// header is what walkHeader found in a route's header.
type header struct {
	fixes []kpathFix
	// udp6 is the offset of the UDP header over IPv6 (0: none), pseudo
	// the sum of its pseudo-header's addresses and next header in the
	// program's (host) order.
	udp6   int
	pseudo uint32
}

// walkHeader walks a route's header (Ethernet, then IPv4 or IPv6 and UDP
// to VXLAN, or IPv4 and UDP to GENEVE carrying IPv4 or IPv6 again) and
// returns its length fields: each IPv4 total length (with the header's
// checksum), IPv6 payload length and UDP length, and where a UDP checksum
// over IPv6 is due. Anything else (options, extension headers, a UDP
// checksum over IPv4, two over IPv6, a header that does not end with
// VXLAN) is refused: the program could not complete it.
func walkHeader(h []byte) (header, error) {
	var w header
	if len(h) < vxlanHeaderLen || len(h) > MaxHeader {
		return w, fmt.Errorf("%d bytes: want %d to %d", len(h), vxlanHeaderLen, MaxHeader)
	}
	et := binary.BigEndian.Uint16(h[12:])
	for ip := encap.EthernetHeaderLen; ; {
		udp, err := w.ipLayer(h, et, ip)
		if err != nil {
			return w, err
		}
		next := udp + encap.UDPHeaderLen
		switch port := binary.BigEndian.Uint16(h[udp+2:]); {
		case port == encap.VXLANPort && next+encap.VXLANHeaderLen == len(h):
			return w, nil
		case port == encap.GenevePort && next+8 <= len(h):
			et = binary.BigEndian.Uint16(h[next+2:])
			ip = next + 8 + int(h[next]&0x3f)*4
		default:
			return w, fmt.Errorf("offset %d: UDP port %d is not VXLAN ending the header nor GENEVE", udp, port)
		}
	}
}

// ipLayer adds the length fields of the IP and UDP headers at ip (of
// EtherType et) to w and returns the UDP header's offset.
func (w *header) ipLayer(h []byte, et uint16, ip int) (int, error) {
	var udp int
	switch et {
	case encap.EtherTypeIPv4:
		udp = ip + encap.OuterIPv4Len
		if udp+encap.UDPHeaderLen > len(h) || h[ip] != 0x45 || h[ip+9] != encap.ProtoUDP {
			return 0, fmt.Errorf("offset %d: not IPv4 without options carrying UDP", ip)
		}
		if binary.BigEndian.Uint16(h[udp+6:]) != 0 {
			return 0, fmt.Errorf("offset %d: a UDP checksum over IPv4", udp)
		}
		w.fixes = append(w.fixes, kpathFix{At: uint8(ip + 2), Base: uint8(ip), Csum: uint8(ip + 10)})
	case encap.EtherTypeIPv6:
		udp = ip + encap.OuterIPv6Len
		if udp+encap.UDPHeaderLen > len(h) || h[ip]>>4 != 6 || h[ip+6] != encap.ProtoUDP {
			return 0, fmt.Errorf("offset %d: not IPv6 carrying UDP", ip)
		}
		if w.udp6 != 0 {
			return 0, fmt.Errorf("offset %d: a second UDP checksum over IPv6", udp)
		}
		w.udp6 = udp
		// Words as the program reads them (little-endian host), the next
		// header byte-swapped so.
		w.pseudo = uint32(encap.ProtoUDP) << 8
		for i := ip + 8; i < udp; i += 2 {
			w.pseudo += uint32(binary.LittleEndian.Uint16(h[i:]))
		}
		w.fixes = append(w.fixes, kpathFix{At: uint8(ip + 4), Base: uint8(udp)})
	default:
		return 0, fmt.Errorf("offset %d: EtherType %#04x is neither IPv4 nor IPv6", ip, et)
	}
	if len(w.fixes)+1 > MaxFixes {
		return 0, fmt.Errorf("more than %d length fields", MaxFixes)
	}
	w.fixes = append(w.fixes, kpathFix{At: uint8(udp + 4), Base: uint8(udp)})
	return udp, nil
}
