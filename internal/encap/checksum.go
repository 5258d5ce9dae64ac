package encap

// Sum adds b to s as the Internet checksum (RFC 1071) does: big-endian
// 16-bit words, an odd last byte padded with zero. Start with 0; add a
// pseudo-header's parts and the segment in turn; Checksum ends it.
func Sum(s uint32, b []byte) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

// Checksum folds the carries of a Sum into 16 bits and complements it:
// the value for an IPv4, ICMP, TCP or UDP header's checksum field (a UDP
// sender writes 0 as 0xffff, RFC 768).
func Checksum(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
