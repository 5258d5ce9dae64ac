package kpath

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// vxlanHeaderLen is the header of a copy in VXLAN over IPv4 (Ethernet,
// IPv4, UDP, VXLAN).
const vxlanHeaderLen = cloudmock.EthernetHeaderLen + cloudmock.OuterIPv4Len + cloudmock.UDPHeaderLen + cloudmock.VXLANHeaderLen

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
	if len(h) < vxlanHeaderLen || len(h) > MaxHeader {
		return fmt.Errorf("header of %d bytes: want %d to %d", len(h), vxlanHeaderLen, MaxHeader)
	}
	fixes, err := headerFixes(h)
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	out.Ifindex, out.Hlen, out.Nfix = uint32(r.ReceiverIfindex), uint8(len(h)), uint8(len(fixes))
	if r.Forward {
		out.Flags |= routeForward
	}
	copy(out.Hdr[:], h)
	copy(out.Fix[:], fixes)
	return nil
}

// headerFixes walks a route's header (Ethernet, then IPv4 and UDP to
// VXLAN, or to GENEVE carrying IPv4 again) and returns its length fields:
// each IPv4 total length (with the header's checksum) and UDP length.
// Anything else (IPv6, options, a UDP checksum, a header that does not
// end with VXLAN) is refused: the program could not complete it.
func headerFixes(h []byte) ([]kpathFix, error) {
	if binary.BigEndian.Uint16(h[12:]) != cloudmock.EtherTypeIPv4 {
		return nil, errors.New("not IPv4 over Ethernet")
	}
	var fixes []kpathFix
	for ip := cloudmock.EthernetHeaderLen; ; {
		udp := ip + cloudmock.OuterIPv4Len
		next := udp + cloudmock.UDPHeaderLen
		switch {
		case len(fixes)+2 > MaxFixes:
			return nil, fmt.Errorf("more than %d length fields", MaxFixes)
		case next > len(h):
			return nil, fmt.Errorf("offset %d: IPv4 and UDP cut short", ip)
		case h[ip] != 0x45 || h[ip+9] != cloudmock.ProtoUDP:
			return nil, fmt.Errorf("offset %d: not IPv4 without options carrying UDP", ip)
		case binary.BigEndian.Uint16(h[udp+6:]) != 0:
			return nil, fmt.Errorf("offset %d: a UDP checksum", udp)
		}
		fixes = append(fixes, kpathFix{At: uint8(ip + 2), Base: uint8(ip), Csum: uint8(ip + 10)},
			kpathFix{At: uint8(udp + 4), Base: uint8(udp)})
		switch port := binary.BigEndian.Uint16(h[udp+2:]); {
		case port == cloudmock.VXLANPort && next+cloudmock.VXLANHeaderLen == len(h):
			return fixes, nil
		case port == cloudmock.GenevePort && next+8 <= len(h):
			if binary.BigEndian.Uint16(h[next+2:]) != cloudmock.EtherTypeIPv4 {
				return nil, fmt.Errorf("offset %d: GENEVE does not carry IPv4", next)
			}
			ip = next + 8 + int(h[next]&0x3f)*4
		default:
			return nil, fmt.Errorf("offset %d: UDP port %d is not VXLAN ending the header nor GENEVE", udp, port)
		}
	}
}
