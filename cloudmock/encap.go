package cloudmock

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// Encapsulation constants (RFC 7348 and what the AWS capture shows).
const (
	// outerPortBase: the AWS capture's outer source ports lie in
	// 65408-65525, i.e. 0xFF80 plus 7 bits of flow hash.
	outerPortBase = 0xFF80
	outerPortMask = 0x7F
)

// OuterSrcPort is the outer UDP source port of a flow's copies: 0xFF80 plus
// 7 bits of a symmetric hash of the inner 5-tuple (3-tuple for protocols
// without ports), so both directions of a flow share one port, as in the
// AWS capture (ports 65408-65525, one per flow).
func OuterSrcPort(f *Flow) uint16 { return outerPort(FlowHash(f)) }

func outerPort(hash uint64) uint16 { return outerPortBase | uint16(hash&outerPortMask) }

// maxInner is the most inner-frame bytes a copy keeps: the session's packet
// length, and the profile's MTU rule (AWS: an instance target's MTU, a
// Gateway Load Balancer's 8500; Alibaba: the source ENI's MTU), less the
// reserved overhead, plus the inner Ethernet header.
//
// The reserve follows the family of the copy's outer header, not of the
// mirrored packet: the AWS guide's figures are "54 bytes of additional
// headers ... when using IPv4, and 74 bytes when using IPv6", and the 20
// bytes between them are exactly an IPv6 header's excess over an IPv4
// one, a difference only the added (outer) header can make; an inner IPv6
// packet adds no header bytes over an inner IPv4 one.
func (m *Model) maxInner(src *eni, s *session, outer6 bool) (limit int, rule string, mtu int) {
	limit = 1<<31 - 1
	if s.packetLength > 0 {
		limit, rule = s.packetLength, CutPacketLength
	}
	reserve := m.profile.ReserveIPv4
	if outer6 {
		reserve = m.profile.ReserveIPv6
	}
	mtuRule := ""
	switch {
	case m.profile.Truncation == TruncateSourceMTU:
		mtu, mtuRule = src.mtu, CutSourceMTU
	case s.target.kind == targetENI:
		mtu, mtuRule = s.target.eni.mtu, CutTargetMTU
	case s.target.kind == targetGWLB:
		mtu, mtuRule = m.profile.GatewayLBMTU, CutGatewayLBMTU
	}
	if mtu > 0 && mtu-reserve+encap.EthernetHeaderLen < limit {
		return mtu - reserve + encap.EthernetHeaderLen, mtuRule, mtu
	}
	return limit, rule, 0
}

// The rules that cut a copy (Decision.MaxInnerRule).
const (
	CutPacketLength = "packet-length"
	CutTargetMTU    = "target-mtu"
	CutGatewayLBMTU = "gateway-load-balancer-mtu"
	CutSourceMTU    = "source-mtu"
)

// TruncationText says which rule sets MaxInner, with its figures (e.g.
// "the gateway load balancer's MTU 8500 less 54 reserved"); "" when
// nothing limits the copy.
func (d *Decision) TruncationText() string {
	reserve := d.MaxInnerMTU - (d.MaxInner - encap.EthernetHeaderLen)
	switch d.MaxInnerRule {
	case CutPacketLength:
		return fmt.Sprintf("the session's packet length %d", d.MaxInner)
	case CutTargetMTU:
		return fmt.Sprintf("the target's MTU %d less %d reserved", d.MaxInnerMTU, reserve)
	case CutGatewayLBMTU:
		return fmt.Sprintf("the gateway load balancer's MTU %d less %d reserved", d.MaxInnerMTU, reserve)
	case CutSourceMTU:
		return fmt.Sprintf("the source's MTU %d less %d reserved", d.MaxInnerMTU, reserve)
	}
	return d.MaxInnerRule
}

// InnerLen is how many bytes of a frame of frameLen bytes the copy carries.
func (d *Decision) InnerLen(frameLen int) int {
	if d.MaxInner > 0 && frameLen > d.MaxInner {
		return d.MaxInner
	}
	return frameLen
}

// Truncated reports whether a frame of frameLen bytes is cut in the copy.
func (d *Decision) Truncated(frameLen int) bool { return d.InnerLen(frameLen) < frameLen }

// appendVXLAN appends the copy's UDP payload to dst: the VXLAN header (flags
// 0x08, the session's VNI) and the inner frame cut to InnerLen. It does not
// allocate when dst has room. The inner checksums are left as they are.
// A decision that is not Mirrored appends nothing.
func (d *Decision) appendVXLAN(dst []byte, frame []byte) []byte {
	if !d.Mirrored {
		return dst
	}
	dst = d.appendVXLANHeader(dst)
	return append(dst, frame[:d.InnerLen(len(frame))]...)
}

// FrameHeader gives the parts of the outer frame that the model does not
// know: the Ethernet addresses, and optionally the outer destination (zero:
// Decision.Outer.Dst; set it to Delivery.To for a load balancer's chosen
// target). It must be of the outer source's family.
type FrameHeader struct {
	SrcMAC, DstMAC [6]byte
	Dst            netip.Addr
}

// outerHeaderLen is the length of a decision's outer IP, UDP and VXLAN
// headers: 36 over IPv4, 56 over IPv6 (0 when not mirrored).
func (d *Decision) outerHeaderLen() int {
	switch {
	case !d.Mirrored:
		return 0
	case d.Outer.Src.Is6():
		return encap.OuterIPv6Len + encap.UDPHeaderLen + encap.VXLANHeaderLen
	}
	return encap.OuterIPv4Len + encap.UDPHeaderLen + encap.VXLANHeaderLen
}

// AppendFrame appends the whole outer frame to dst: Ethernet, the outer IP
// header, UDP, VXLAN and the inner frame cut to InnerLen. It does not
// allocate when dst has room.
//
// Over IPv4: TTL 255, id 0, no DF, a correct header checksum and UDP
// checksum 0, as the AWS capture shows; the total length is the inner
// frame's length + 36 (inner IP length + 50 when untruncated).
//
// Over IPv6 (see Decision.Outer): traffic class and flow label 0, hop
// limit 255 (as the IPv4 TTL), payload length = UDP length = inner frame +
// 16, and a computed UDP checksum. IPv6 makes the UDP checksum mandatory
// (RFC 8200 section 8.1); the zero-checksum exception for tunnels (RFC
// 6935, RFC 6936) holds only where the receiving end is configured for it,
// which a mirror target (a plain UDP socket on an appliance; Linux drops a
// zero UDP checksum over IPv6 unless the socket opts in) is not, and RFC
// 7348 lets a VXLAN sender compute it. A decision that is not Mirrored, or
// a destination of the other family, appends nothing.
func (d *Decision) AppendFrame(dst []byte, h FrameHeader, frame []byte) []byte {
	outerDst := d.Outer.Dst
	if h.Dst.IsValid() {
		outerDst = h.Dst
	}
	switch {
	case !d.Mirrored || !d.Outer.Src.IsValid() || d.Outer.Src.Is4() != outerDst.Is4():
		return dst
	case d.Outer.Src.Is6():
		return d.appendFrame6(dst, h, outerDst, frame)
	}
	inner := d.InnerLen(len(frame))
	dst = append(dst, h.DstMAC[:]...)
	dst = append(dst, h.SrcMAC[:]...)
	dst = append(dst, 0x08, 0x00)
	dst = appendIPv4UDP(dst, d.Outer.Src, outerDst, d.Outer.SrcPort, d.Outer.DstPort, encap.VXLANHeaderLen+inner)
	return d.appendVXLAN(dst, frame)
}

// appendIPv4UDP appends an IPv4 header (TTL 255, id 0, no DF, correct
// header checksum) and a UDP header (checksum 0) for a UDP payload of
// payloadLen bytes.
func appendIPv4UDP(dst []byte, src, to netip.Addr, sport, dport uint16, payloadLen int) []byte {
	ipLen := encap.OuterIPv4Len + encap.UDPHeaderLen + payloadLen
	ip := len(dst)
	src4, dst4 := src.As4(), to.As4()
	dst = append(dst,
		0x45, 0, byte(ipLen>>8), byte(ipLen), // version/IHL, TOS, total length
		0, 0, 0, 0, // id, flags/fragment offset
		encap.OuterTTL, encap.ProtoUDP, 0, 0, // TTL, protocol, checksum
		src4[0], src4[1], src4[2], src4[3],
		dst4[0], dst4[1], dst4[2], dst4[3])
	binary.BigEndian.PutUint16(dst[ip+10:], ipv4Checksum(dst[ip:ip+encap.OuterIPv4Len]))
	udpLen := ipLen - encap.OuterIPv4Len
	return append(dst, byte(sport>>8), byte(sport), byte(dport>>8), byte(dport),
		byte(udpLen>>8), byte(udpLen), 0, 0)
}

// AppendWire appends the frame the receiver dl names gets for the copy d
// (dl is Deliver's answer for d): for an ENI or a Network Load Balancer
// target, AppendFrame's VXLAN frame to dl.To; for a Gateway Load Balancer,
// the GENEVE frame the GWLB sends its appliance: Ethernet, IPv4 from the
// GWLB's address (dl.From) to the appliance (dl.To), TTL 255, id 0, no DF,
// UDP from dl.Tunnel.SrcPort to 6081 (checksum 0), GENEVE with the GWLB's
// TLVs, and as its payload the copy's UDP/VXLAN datagram as the endpoint
// received it (to the endpoint's address): IPv4 (GENEVE protocol type
// 0x0800), or IPv6 (0x86DD, its UDP checksum computed) when the copy
// reached a dual-stack endpoint over IPv6; the GWLB-to-appliance leg stays
// IPv4. It does not allocate when dst has room; an undelivered copy, or one
// whose GENEVE leg is not IPv4, appends nothing.
func (d *Decision) AppendWire(dst []byte, h FrameHeader, dl *Delivery, frame []byte) []byte {
	if !dl.Delivered {
		return dst
	}
	if b, ok := d.AppendWireHeader(dst, h, dl, len(frame)); ok {
		return append(b, frame[:d.InnerLen(len(frame))]...)
	}
	if !dl.Geneve {
		h.Dst = dl.To
		return d.AppendFrame(dst, h, frame)
	}
	in6 := d.Outer.Src.Is6() && d.Outer.Dst.Is6()
	if !dl.From.Is4() || !dl.To.Is4() || !in6 && (!d.Outer.Src.Is4() || !d.Outer.Dst.Is4()) {
		return dst
	}
	vx := d.outerHeaderLen() + d.InnerLen(len(frame))
	dst = append(dst, h.DstMAC[:]...)
	dst = append(dst, h.SrcMAC[:]...)
	dst = append(dst, 0x08, 0x00)
	dst = appendIPv4UDP(dst, dl.From, dl.To, dl.Tunnel.SrcPort, encap.GenevePort, encap.GWLBGeneveLen+vx)
	if in6 {
		dst = appendGeneveGWLB(dst, &dl.Tunnel, encap.EtherTypeIPv6)
		return d.appendIPv6VXLAN(dst, d.Outer.Dst, frame)
	}
	dst = appendGeneveGWLB(dst, &dl.Tunnel, encap.EtherTypeIPv4)
	dst = appendIPv4UDP(dst, d.Outer.Src, d.Outer.Dst, d.Outer.SrcPort, d.Outer.DstPort, vx-encap.OuterIPv4Len-encap.UDPHeaderLen)
	return d.appendVXLAN(dst, frame)
}

// AppendWireHeader appends what AppendWire appends before the inner frame
// for a frame of frameLen bytes, and reports true: the headers followed
// by frame[:InnerLen(frameLen)] are AppendWire's bytes, so a caller can
// hand the kernel the frame where it lies (a capture ring) instead of
// copying it behind the headers. It appends nothing and reports false
// when the headers depend on the frame's content (a copy over IPv6, whose
// UDP checksum covers the frame: use AppendWire) or AppendWire would
// append nothing.
func (d *Decision) AppendWireHeader(dst []byte, h FrameHeader, dl *Delivery, frameLen int) ([]byte, bool) {
	if !dl.Delivered || !d.Mirrored || !d.Outer.Src.Is4() || !d.Outer.Dst.Is4() {
		return dst, false
	}
	inner := d.InnerLen(frameLen)
	if !dl.Geneve {
		to := d.Outer.Dst
		if dl.To.IsValid() {
			to = dl.To
		}
		if !to.Is4() {
			return dst, false
		}
		dst = append(dst, h.DstMAC[:]...)
		dst = append(dst, h.SrcMAC[:]...)
		dst = append(dst, 0x08, 0x00)
		dst = appendIPv4UDP(dst, d.Outer.Src, to, d.Outer.SrcPort, d.Outer.DstPort, encap.VXLANHeaderLen+inner)
		return d.appendVXLANHeader(dst), true
	}
	if !dl.From.Is4() || !dl.To.Is4() {
		return dst, false
	}
	vx := encap.OuterIPv4Len + encap.UDPHeaderLen + encap.VXLANHeaderLen + inner
	dst = append(dst, h.DstMAC[:]...)
	dst = append(dst, h.SrcMAC[:]...)
	dst = append(dst, 0x08, 0x00)
	dst = appendIPv4UDP(dst, dl.From, dl.To, dl.Tunnel.SrcPort, encap.GenevePort, encap.GWLBGeneveLen+vx)
	dst = appendGeneveGWLB(dst, &dl.Tunnel, encap.EtherTypeIPv4)
	dst = appendIPv4UDP(dst, d.Outer.Src, d.Outer.Dst, d.Outer.SrcPort, d.Outer.DstPort, encap.VXLANHeaderLen+inner)
	return d.appendVXLANHeader(dst), true
}

// appendVXLANHeader appends the VXLAN header: flags 0x08, the session's
// VNI.
func (d *Decision) appendVXLANHeader(dst []byte) []byte {
	return append(dst, encap.VXLANFlags, 0, 0, 0, byte(d.VNI>>16), byte(d.VNI>>8), byte(d.VNI), 0)
}

// WireIPLen is the length of the IP datagram (without Ethernet) that
// AppendWire writes for a frame of frameLen bytes: the VXLAN datagram
// (inner + 36, over IPv6 inner + 56), and 68 more behind a Gateway Load
// Balancer.
func (d *Decision) WireIPLen(dl *Delivery, frameLen int) int {
	n := d.outerHeaderLen() + d.InnerLen(frameLen)
	if dl.Geneve {
		n += encap.GWLBOverhead
	}
	return n
}

// appendFrame6 is AppendFrame over IPv6.
func (d *Decision) appendFrame6(dst []byte, h FrameHeader, outerDst netip.Addr, frame []byte) []byte {
	dst = append(dst, h.DstMAC[:]...)
	dst = append(dst, h.SrcMAC[:]...)
	dst = append(dst, 0x86, 0xdd)
	return d.appendIPv6VXLAN(dst, outerDst, frame)
}

// appendIPv6VXLAN appends the copy's IPv6 datagram to outerDst: the IPv6
// header, UDP (checksum computed), VXLAN and the inner frame cut to
// InnerLen.
func (d *Decision) appendIPv6VXLAN(dst []byte, outerDst netip.Addr, frame []byte) []byte {
	udpLen := encap.UDPHeaderLen + encap.VXLANHeaderLen + d.InnerLen(len(frame))
	src16, dst16 := d.Outer.Src.As16(), outerDst.As16()
	dst = append(dst, 0x60, 0, 0, 0, byte(udpLen>>8), byte(udpLen), encap.ProtoUDP, encap.OuterTTL)
	dst = append(dst, src16[:]...)
	dst = append(dst, dst16[:]...)
	udp := len(dst)
	dst = append(dst,
		byte(d.Outer.SrcPort>>8), byte(d.Outer.SrcPort), byte(d.Outer.DstPort>>8), byte(d.Outer.DstPort),
		byte(udpLen>>8), byte(udpLen), 0, 0)
	dst = d.appendVXLAN(dst, frame)
	sum := udp6Checksum(src16, dst16, dst[udp:])
	binary.BigEndian.PutUint16(dst[udp+6:], sum)
	return dst
}

// udp6Checksum is the UDP checksum over IPv6 (RFC 8200 section 8.1): the
// one's complement of the one's complement sum of the pseudo-header
// (addresses, upper-layer length, next header 17) and the segment, with a
// result of 0 sent as 0xffff. It does not allocate.
func udp6Checksum(src, dst [16]byte, seg []byte) uint16 {
	var sum uint64
	for i := 0; i < 16; i += 2 {
		sum += uint64(src[i])<<8 | uint64(src[i+1])
		sum += uint64(dst[i])<<8 | uint64(dst[i+1])
	}
	sum += uint64(len(seg)) + encap.ProtoUDP
	n := len(seg) &^ 7
	for i := 0; i < n; i += 8 {
		v := binary.BigEndian.Uint64(seg[i:])
		sum += v>>48 + v>>32&0xffff + v>>16&0xffff + v&0xffff
	}
	for i := n; i+1 < len(seg); i += 2 {
		sum += uint64(seg[i])<<8 | uint64(seg[i+1])
	}
	if len(seg)%2 == 1 {
		sum += uint64(seg[len(seg)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	if c := ^uint16(sum); c != 0 {
		return c
	}
	return 0xffff
}

// ipv4Checksum is an IPv4 header's checksum (0 over a header that has its
// own in place).
func ipv4Checksum(h []byte) uint16 { return encap.Checksum(encap.Sum(0, h)) }
