package runner

import "testing"

// geneveFrame wraps vxlanFrame's IPv4 datagram in what a Gateway Load
// Balancer sends its appliance: IPv4, UDP to 6081, GENEVE with 32 bytes of
// options and protocol type IPv4.
func geneveFrame(vni uint32, inner int) []byte {
	vx := vxlanFrame(vni, inner)[14:]
	b := make([]byte, 14+20+8+40, 14+20+8+40+len(vx))
	b[12], b[13] = 0x08, 0x00
	ip := b[14:]
	ip[0], ip[9] = 0x45, 17
	udp := ip[20:]
	udp[2], udp[3] = 0x17, 0xc1 // 6081
	g := udp[8:]
	g[0], g[2], g[3] = 8, 0x08, 0x00
	return append(b, vx...)
}

func TestArrivalGeneve(t *testing.T) {
	a := &Arrival{ByVNI: map[uint32]int64{}, MaxInnerByVNI: map[uint32]int{}, MinInnerByVNI: map[uint32]int{}}
	a.record(vxlanFrame(5, 100))
	a.record(geneveFrame(5, 8460))
	a.record(geneveFrame(5, 60))
	if a.Total != 3 || a.Geneve != 2 || a.ByVNI[5] != 3 || a.MaxInner != 8460 || a.MinInner != 60 {
		t.Fatalf("arrival %+v, want 3 datagrams, 2 in GENEVE, inner 60..8460", a)
	}
	// GENEVE carrying something else, a cut header, another protocol
	// type: not counted.
	bad := geneveFrame(5, 100)
	bad[14+20+8+40+20+2] = 0 // the inner UDP port is no longer 4789
	short := geneveFrame(5, 100)[:14+20+8+30]
	ipv6 := geneveFrame(5, 100)
	ipv6[14+20+8+2], ipv6[14+20+8+3] = 0x86, 0xdd
	for _, f := range [][]byte{bad, short, ipv6} {
		a.record(f)
	}
	if a.Total != 3 {
		t.Fatalf("counted a datagram that is not GENEVE around VXLAN: %+v", a)
	}
}
