package dataplane

import "net/netip"

// targetAddr is one address that receives copies of one target: the ENI
// target's address, or one registered target of a load balancer. It lives
// as long as the service: a configuration that drops the target and one
// that brings it back share it, and its counters.
type targetAddr struct {
	id             string // TrafficMirrorTargetId
	addr           netip.Addr
	eniID          string // the receiving ENI
	srcMAC, dstMAC [6]byte
	pcap           *pcapWriter // shared by the target's addresses; nil: none
	st             targetStats
}

type targetKey struct {
	id   string
	addr netip.Addr
}
