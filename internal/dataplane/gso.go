package dataplane

import "encoding/binary"

// The fabric end of a veth sees what the instance's stack handed to its
// NIC: with the veth's offloads on, TCP (and UDP with UDP_SEGMENT) arrives
// as one GSO aggregate of up to 64 KiB with a partial checksum. A
// hypervisor sees the segments the NIC puts on the wire, with complete
// checksums; so does the mirror service: the ring carries a virtio_net_hdr
// before each frame, and the capture completes the checksum, or cuts the
// aggregate into wire segments, before it asks the model.

// vnetHdr is struct virtio_net_hdr (host byte order on packet sockets).
type vnetHdr struct {
	flags      uint8
	gsoType    uint8
	hdrLen     uint16
	gsoSize    uint16
	csumStart  uint16
	csumOffset uint16
}

const (
	vnetHdrLen       = 10
	vnetNeedsCsum    = 1    // VIRTIO_NET_HDR_F_NEEDS_CSUM
	vnetGSONone      = 0    // VIRTIO_NET_HDR_GSO_NONE
	vnetGSOTCPv4     = 1    // VIRTIO_NET_HDR_GSO_TCPV4
	vnetGSOTCPv6     = 4    // VIRTIO_NET_HDR_GSO_TCPV6
	vnetGSOUDPL4     = 5    // VIRTIO_NET_HDR_GSO_UDP_L4
	vnetGSOECN       = 0x80 // VIRTIO_NET_HDR_GSO_ECN
	tcpFlagFIN       = 0x01
	tcpFlagPSH       = 0x08
	tcpFlagCWR       = 0x80
	etherTypeIPv4    = 0x0800
	etherTypeIPv6    = 0x86dd
	ipProtoTCP       = 6
	ipProtoUDP       = 17
	maxSegmentsGuard = 1 << 16
)

func parseVnetHdr(b []byte) vnetHdr {
	return vnetHdr{
		flags:      b[0],
		gsoType:    b[1],
		hdrLen:     binary.NativeEndian.Uint16(b[2:]),
		gsoSize:    binary.NativeEndian.Uint16(b[4:]),
		csumStart:  binary.NativeEndian.Uint16(b[6:]),
		csumOffset: binary.NativeEndian.Uint16(b[8:]),
	}
}

// completeChecksum finishes a partial checksum in place: the field at
// start+offset holds the pseudo-header sum; the checksum covers the packet
// from start (up to the IPv4 total length or the IPv6 payload's end, so
// Ethernet padding is left out). It reports false when the offsets do not
// fit.
func completeChecksum(frame []byte, start, offset int) bool {
	end := len(frame)
	if len(frame) >= 14+20 && binary.BigEndian.Uint16(frame[12:]) == etherTypeIPv4 {
		if n := 14 + int(binary.BigEndian.Uint16(frame[16:])); n < end {
			end = n
		}
	}
	if len(frame) >= 14+40 && binary.BigEndian.Uint16(frame[12:]) == etherTypeIPv6 {
		if n := 14 + 40 + int(binary.BigEndian.Uint16(frame[18:])); n < end {
			end = n
		}
	}
	if start < 0 || start+offset+2 > end {
		return false
	}
	c := ^fold(csumAdd(0, frame[start:end]))
	if c == 0 {
		c = 0xffff // as the kernel's skb_checksum_help (CSUM_MANGLED_0)
	}
	binary.BigEndian.PutUint16(frame[start+offset:], c)
	return true
}

// csumAdd adds b to a ones'-complement running sum (big-endian 16-bit
// words, an odd last byte padded with zero). It adds 32-bit halves of
// 64-bit loads into four independent 64-bit accumulators: 2^32 = 1 modulo
// 65535, so the fold of the total is the 16-bit ones'-complement sum, and
// no carry chain slows the loop. A running sum stays far below 2^64 for
// any packet.
func csumAdd(sum uint64, b []byte) uint64 {
	var a0, a1, a2, a3 uint64
	for len(b) >= 32 {
		x0 := binary.BigEndian.Uint64(b)
		x1 := binary.BigEndian.Uint64(b[8:])
		x2 := binary.BigEndian.Uint64(b[16:])
		x3 := binary.BigEndian.Uint64(b[24:])
		a0 += x0>>32 + x0&0xffffffff
		a1 += x1>>32 + x1&0xffffffff
		a2 += x2>>32 + x2&0xffffffff
		a3 += x3>>32 + x3&0xffffffff
		b = b[32:]
	}
	for len(b) >= 8 {
		x := binary.BigEndian.Uint64(b)
		a0 += x>>32 + x&0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		a1 += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		a2 += uint64(b[0]) << 8
	}
	return sum + a0 + a1 + a2 + a3
}

// fold reduces a running sum to 16 bits.
func fold(sum uint64) uint16 {
	sum = sum>>32 + sum&0xffffffff
	sum = sum>>32 + sum&0xffffffff
	sum = sum>>16 + sum&0xffff
	sum = sum>>16 + sum&0xffff
	sum = sum>>16 + sum&0xffff
	return uint16(sum)
}

// segmenter cuts one IPv4 or IPv6 TCP or UDP GSO aggregate into wire
// segments, one at a time, into a reused buffer (no allocation): as a NIC
// does, each segment gets the headers with its own IP total length (IPv6:
// payload length), IPv4 id (+1 per segment), TCP sequence number and flags
// (FIN and PSH on the last only, CWR on the first only) or UDP length, and
// complete checksums. An IPv6 aggregate with extension headers is not cut.
type segmenter struct {
	buf []byte // scratch, at least the largest segment

	frame    []byte
	l3, l4   int // offsets of the IP and transport headers
	hdrEnd   int // end of the transport header
	v6       bool
	proto    byte
	mss      int
	pos      int // next payload byte
	k        int // segment index
	id0      uint16
	seq0     uint32
	tcpFlags byte
}

// init prepares to cut frame; it reports false when the aggregate is not
// one it can cut (not Ethernet/IPv4/TCP-or-UDP, bad headers, or a segment
// would not fit the scratch buffer).
func (s *segmenter) init(frame []byte, h vnetHdr) bool {
	s.frame, s.pos, s.k = frame, 0, 0
	s.mss = int(h.gsoSize)
	if s.mss == 0 || len(frame) < 14+20 {
		return false
	}
	l3 := 14
	ip := frame[l3:]
	var l4 int
	tcpType := byte(vnetGSOTCPv4)
	switch binary.BigEndian.Uint16(frame[12:]) {
	case etherTypeIPv4:
		ihl := int(ip[0]&0x0f) * 4
		if ip[0]>>4 != 4 || ihl < 20 || len(ip) < ihl {
			return false
		}
		s.v6, s.proto, l4 = false, ip[9], l3+ihl
	case etherTypeIPv6:
		if ip[0]>>4 != 6 || len(ip) < 40 {
			return false
		}
		s.v6, s.proto, l4, tcpType = true, ip[6], l3+40, vnetGSOTCPv6
	default:
		return false
	}
	switch {
	case h.gsoType&^vnetGSOECN == tcpType && s.proto == ipProtoTCP:
		if len(frame) < l4+20 {
			return false
		}
		doff := int(frame[l4+12]>>4) * 4
		if doff < 20 || len(frame) < l4+doff {
			return false
		}
		s.hdrEnd = l4 + doff
		s.seq0 = binary.BigEndian.Uint32(frame[l4+4:])
		s.tcpFlags = frame[l4+13]
	case h.gsoType == vnetGSOUDPL4 && s.proto == ipProtoUDP:
		if len(frame) < l4+8 {
			return false
		}
		s.hdrEnd = l4 + 8
	default:
		return false
	}
	if s.hdrEnd+s.mss > len(s.buf) {
		return false
	}
	s.l3, s.l4 = l3, l4
	s.id0 = binary.BigEndian.Uint16(ip[4:])
	s.pos = s.hdrEnd
	return true
}

// next returns the next segment (valid until the following call), or nil.
func (s *segmenter) next() []byte {
	if s.pos >= len(s.frame) || s.k >= maxSegmentsGuard {
		return nil
	}
	end := min(s.pos+s.mss, len(s.frame))
	last := end == len(s.frame)
	n := copy(s.buf, s.frame[:s.hdrEnd])
	n += copy(s.buf[n:], s.frame[s.pos:end])
	seg := s.buf[:n]
	off := s.pos - s.hdrEnd // payload offset of this segment
	s.pos = end

	ip := seg[s.l3:s.l4]
	l4 := seg[s.l4:]
	var sum uint64
	if s.v6 {
		binary.BigEndian.PutUint16(ip[4:], uint16(len(l4)))
		sum = csumAdd(0, ip[8:40]) // pseudo header: addresses
	} else {
		binary.BigEndian.PutUint16(ip[2:], uint16(n-s.l3))
		binary.BigEndian.PutUint16(ip[4:], s.id0+uint16(s.k))
		ip[10], ip[11] = 0, 0
		binary.BigEndian.PutUint16(ip[10:], ^fold(csumAdd(0, ip)))
		sum = csumAdd(0, ip[12:20]) // pseudo header: addresses
	}
	// Pseudo header: protocol, transport length.
	sum += uint64(s.proto) + uint64(len(l4))
	if s.proto == ipProtoTCP {
		binary.BigEndian.PutUint32(l4[4:], s.seq0+uint32(off))
		flags := s.tcpFlags
		if !last {
			flags &^= tcpFlagFIN | tcpFlagPSH
		}
		if s.k > 0 {
			flags &^= tcpFlagCWR
		}
		l4[13] = flags
		l4[16], l4[17] = 0, 0
		binary.BigEndian.PutUint16(l4[16:], ^fold(csumAdd(sum, l4)))
	} else {
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
		l4[6], l4[7] = 0, 0
		c := ^fold(csumAdd(sum, l4))
		if c == 0 {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(l4[6:], c)
	}
	s.k++
	return seg
}
