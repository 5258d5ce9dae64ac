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
	port           txPort
	pcap           *pcapWriter // shared by the target's addresses; nil: none
	st             targetStats
}

// txPort is where a receiver's copies are written directly: the fabric
// (index into the lab's fabrics) holding the receiver's subnet, and the
// receiver's bridge port there, the fabric end of its ENI. The frame goes
// out as the router would hand it to the bridge (router MAC → receiver
// MAC), and the bridge would forward it to exactly that port: every ENI's
// MAC is a static forwarding entry on its port. ok false: the lab has no
// port for the receiver; its copies are routed.
type txPort struct {
	fabric  int
	ifindex int32
	ok      bool
}

type targetKey struct {
	id   string
	addr netip.Addr
}
