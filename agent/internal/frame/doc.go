// Package frame decodes the headers around mirrored traffic without
// allocating: the outer Ethernet/IP/UDP headers that carry VXLAN (for
// AF_PACKET and pcap inputs), and the inner Ethernet/IP/TCP headers of the
// mirrored packet. Every packet that is not usable gets a Result saying why,
// so the caller can count it.
package frame
