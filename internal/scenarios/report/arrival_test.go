package report

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

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
	a := NewArrival("", "")
	a.Record(vxlanFrame(5, 100))
	a.Record(geneveFrame(5, 8460))
	a.Record(geneveFrame(5, 60))
	if a.Total != 3 || a.Geneve != 2 || a.ByVNI[5] != 3 || a.MaxInner != 8460 || a.MinInner != 60 {
		t.Fatalf("arrival %+v, want 3 datagrams, 2 in GENEVE, inner 60..8460", a)
	}
	// GENEVE carrying something else, a cut header, a protocol type that
	// does not match the datagram, another protocol type: not counted.
	bad := geneveFrame(5, 100)
	bad[14+20+8+40+20+2] = 0 // the inner UDP port is no longer 4789
	short := geneveFrame(5, 100)[:14+20+8+30]
	ipv6 := geneveFrame(5, 100)
	ipv6[14+20+8+2], ipv6[14+20+8+3] = 0x86, 0xdd
	mpls := geneveFrame(5, 100)
	mpls[14+20+8+2], mpls[14+20+8+3] = 0x88, 0x47
	for _, f := range [][]byte{bad, short, ipv6, mpls} {
		a.Record(f)
	}
	if a.Total != 3 || a.IPv6 != 0 {
		t.Fatalf("counted a datagram that is not GENEVE around VXLAN: %+v", a)
	}
}

// geneve6Frame is what a GWLB sends its appliance for a copy that reached
// a dual-stack endpoint over IPv6: IPv4 GENEVE, protocol type IPv6, the
// IPv6 VXLAN datagram inside.
func geneve6Frame(vni uint32, inner int) []byte {
	b := geneveFrame(vni, inner)[:14+20+8+40]
	b[14+20+8+2], b[14+20+8+3] = 0x86, 0xdd
	return append(b, vxlan6Frame(vni, inner)[14:]...)
}

// A GWLB's GENEVE around an IPv6 copy (the 8426 case: 8440-byte inner
// frames) is counted in Geneve and in IPv6, so outerFamily: ipv6 picks it.
func TestArrivalGeneveIPv6(t *testing.T) {
	a := NewArrival("", "")
	a.Record(geneve6Frame(7, 8426+14))
	a.Record(geneveFrame(7, 8446+14))
	if a.Total != 2 || a.Geneve != 2 || a.IPv6 != 1 || a.IPv6ByVNI[7] != 1 || a.MinInner != 8440 || a.MaxInner != 8460 {
		t.Fatalf("arrival %+v, want 2 in GENEVE, 1 of them IPv6 inside, inner 8440..8460", a)
	}
}

// vxlan6Frame is vxlanFrame carried over IPv6.
func vxlan6Frame(vni uint32, inner int) []byte {
	vx := vxlanFrame(vni, inner)[14+20:]
	b := make([]byte, 14+40, 14+40+len(vx))
	b[12], b[13] = 0x86, 0xdd
	ip := b[14:]
	ip[0], ip[4], ip[5], ip[6], ip[7] = 0x60, byte(len(vx)>>8), byte(len(vx)), 17, 255
	return append(b, vx...)
}

// Copies over IPv6 are counted, in IPv6 too, and the outerFamily of an
// arrived expectation picks them (or the others) out.
func TestArrivalOverIPv6(t *testing.T) {
	a := NewArrival("", "")
	for range 10 {
		a.Record(vxlan6Frame(6, 1440))
	}
	for range 10 {
		a.Record(vxlanFrame(4, 1460))
	}
	ext := vxlan6Frame(6, 100)
	ext[14+6] = 0 // a hop-by-hop header first: the service sends none
	a.Record(ext)
	if a.Total != 20 || a.IPv6 != 10 || a.IPv6ByVNI[6] != 10 || a.IPv6ByVNI[4] != 0 || a.MaxInnerByVNI[6] != 1440 {
		t.Fatalf("arrival %+v, want 20 datagrams, 10 over IPv6 (VNI 6, 1440-byte inner frames)", a)
	}
	s, err := spec.Load("../../../scenarios/library/ipv6-outer-74.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := &Observations{Ran: true, Arrivals: map[string]*Arrival{"collector6-eni": byVNI(a, 6), "collector4-eni": byVNI(a, 4)}}
	vm := verdictsByName(mustJudge(s, o))
	v6, v4 := vm["over IPv6, 74 bytes reserved under MTU 1500"], vm["over IPv4, 54 bytes reserved under MTU 1500 (the inner packet is IPv6 all the same)"]
	if !v6.Passed || !v4.Passed {
		t.Errorf("verdicts over IPv6 %+v, over IPv4 %+v", v6, v4)
	}
	// The copies to collector6 arriving over IPv4 fail its expectation.
	v4only := NewArrival("", "")
	for range 10 {
		v4only.Record(vxlanFrame(6, 1440))
	}
	vm = verdictsByName(mustJudge(s, &Observations{Ran: true, Arrivals: map[string]*Arrival{"collector6-eni": v4only}}))
	if v := vm["over IPv6, 74 bytes reserved under MTU 1500"]; v.Passed {
		t.Errorf("copies over IPv4 passed the over-IPv6 expectation: %+v", v)
	}
}

// byVNI keeps one VNI's datagrams of a recorded arrival.
func byVNI(a *Arrival, vni uint32) *Arrival {
	out := NewArrival("", "")
	out.ByVNI[vni], out.MaxInnerByVNI[vni], out.MinInnerByVNI[vni] = a.ByVNI[vni], a.MaxInnerByVNI[vni], a.MinInnerByVNI[vni]
	out.IPv6ByVNI = map[uint32]int64{vni: a.IPv6ByVNI[vni]}
	out.Total, out.IPv6 = a.ByVNI[vni], a.IPv6ByVNI[vni]
	out.MaxInner, out.MinInner = a.MaxInnerByVNI[vni], a.MinInnerByVNI[vni]
	return out
}

// tcpInner writes an inner IPv4 TCP header from a:ap to b:bp into a frame
// built by vxlanFrame or geneveFrame (inner at offset off).
func tcpInner(f []byte, off int, a, b [4]byte, ap, bp uint16) []byte {
	in := f[off:]
	in[12], in[13] = 0x08, 0x00
	ip := in[14:]
	ip[0], ip[9] = 0x45, 6
	copy(ip[12:], a[:])
	copy(ip[16:], b[:])
	ip[20], ip[21], ip[22], ip[23] = byte(ap>>8), byte(ap), byte(bp>>8), byte(bp)
	return f
}

func TestArrivalFlows(t *testing.T) {
	a := NewArrival("", "")
	c, s := [4]byte{10, 0, 0, 6}, [4]byte{10, 0, 0, 5}
	a.Record(tcpInner(vxlanFrame(1, 60), 50, c, s, 40000, 80))
	a.Record(tcpInner(vxlanFrame(1, 60), 50, s, c, 80, 40000)) // the reply: same flow
	a.Record(tcpInner(geneveFrame(1, 60), 50+68, c, s, 40001, 80))
	a.Record(vxlanFrame(1, 60)) // not IPv4 inside: no flow
	want := []string{"6 10.0.0.5:80-10.0.0.6:40000", "6 10.0.0.5:80-10.0.0.6:40001"}
	if got := a.Flows(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("flows %q, want %q", got, want)
	}
}
