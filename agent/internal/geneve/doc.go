// Package geneve decodes GENEVE (RFC 8926) headers as a Gateway Load
// Balancer sends them to its appliances on UDP 6081: the 8-byte header,
// its variable-length options (AWS's class 0x0108 TLVs: the endpoint id,
// the attachment id and the flow cookie), and the payload, whose protocol
// type says what it is (0x0800 IPv4, 0x86DD IPv6, 0x6558 Ethernet).
//
// Decode aliases its input and does not allocate; bad input is an error
// value, never a panic.
package geneve
