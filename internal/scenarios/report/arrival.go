package report

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// Record counts one received frame if it is VXLAN: Ethernet, IPv4 (or
// IPv6, counted in IPv6 too), UDP to 4789, VXLAN header with the I flag;
// or that datagram in GENEVE (UDP to 6081, protocol type IPv4 or IPv6), as a
// Gateway Load Balancer sends it to its appliances (counted in Geneve too;
// in IPv6 when the datagram inside is IPv6, the copy having reached a
// dual-stack endpoint over IPv6).
func (a *Arrival) Record(b []byte) {
	if len(b) < 14+20 {
		return
	}
	var udp []byte
	ok, v6 := false, false
	switch binary.BigEndian.Uint16(b[12:]) {
	case 0x0800:
		udp, ok = ipv4UDP(b[14:])
	case 0x86dd:
		udp, ok = ipv6UDP(b[14:])
		v6 = true
	}
	if !ok {
		return
	}
	geneve := false
	if binary.BigEndian.Uint16(udp[2:]) == encap.GenevePort {
		g := udp[8:]
		hl := encap.GeneveHeaderLen + int(g[0]&0x3f)*4
		if len(g) < hl {
			return
		}
		switch binary.BigEndian.Uint16(g[2:]) {
		case 0x0800:
			udp, ok = ipv4UDP(g[hl:])
		case 0x86dd:
			// The copy reached a dual-stack endpoint over IPv6: that
			// datagram's family is the copy's (the GENEVE leg is IPv4).
			udp, ok = ipv6UDP(g[hl:])
			v6 = true
		default:
			ok = false
		}
		if !ok {
			return
		}
		geneve = true
	}
	if binary.BigEndian.Uint16(udp[2:]) != encap.VXLANPort {
		return
	}
	vx := udp[8:]
	if vx[0]&0x08 == 0 {
		return
	}
	vni := uint32(vx[4])<<16 | uint32(vx[5])<<8 | uint32(vx[6])
	inner := int(binary.BigEndian.Uint16(udp[4:])) - 8 - 8
	a.Total++
	if geneve {
		a.Geneve++
	}
	if v6 {
		a.IPv6++
		if a.IPv6ByVNI == nil {
			a.IPv6ByVNI = map[uint32]int64{}
		}
		a.IPv6ByVNI[vni]++
	}
	a.ByVNI[vni]++
	if a.Total == 1 || inner < a.MinInner {
		a.MinInner = inner
	}
	a.MaxInner = max(a.MaxInner, inner)
	if m, ok := a.MinInnerByVNI[vni]; !ok || inner < m {
		a.MinInnerByVNI[vni] = inner
	}
	a.MaxInnerByVNI[vni] = max(a.MaxInnerByVNI[vni], inner)
	a.recordFlow(vx[8:])
}

// recordFlow remembers the inner IPv4 TCP or UDP flow of an inner frame.
func (a *Arrival) recordFlow(eth []byte) {
	if len(eth) < 14+20 || binary.BigEndian.Uint16(eth[12:]) != 0x0800 {
		return
	}
	ip := eth[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < 20 || len(ip) < ihl+4 || (ip[9] != 6 && ip[9] != 17) {
		return
	}
	f := innerFlow{proto: ip[9], a: [4]byte(ip[12:16]), b: [4]byte(ip[16:20]),
		aPort: binary.BigEndian.Uint16(ip[ihl:]), bPort: binary.BigEndian.Uint16(ip[ihl+2:])}
	if string(f.a[:]) > string(f.b[:]) || f.a == f.b && f.aPort > f.bPort {
		f.a, f.b, f.aPort, f.bPort = f.b, f.a, f.bPort, f.aPort
	}
	if a.flows == nil {
		a.flows = map[innerFlow]struct{}{}
	}
	if _, ok := a.flows[f]; ok || len(a.flows) < maxArrivalFlows {
		a.flows[f] = struct{}{}
	}
}

// ipv4UDP returns the UDP header and payload of an IPv4 packet (the first
// fragment), with at least 16 bytes (UDP and a VXLAN or GENEVE header).
func ipv4UDP(ip []byte) ([]byte, bool) {
	if len(ip) < 20 {
		return nil, false
	}
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < 20 || len(ip) < ihl+8+8 || ip[9] != 17 {
		return nil, false
	}
	if binary.BigEndian.Uint16(ip[6:])&0x1fff != 0 { // a later fragment
		return nil, false
	}
	return ip[ihl:], true
}

// ipv6UDP returns the UDP header and payload of an IPv6 packet whose next
// header is UDP (no extension headers: the mirror service sends none), with
// at least 16 bytes.
func ipv6UDP(ip []byte) ([]byte, bool) {
	if len(ip) < 40+8+8 || ip[0]>>4 != 6 || ip[6] != 17 {
		return nil, false
	}
	return ip[40:], true
}

// innerFlow is an inner IPv4 TCP or UDP flow, its two ends in order.
type innerFlow struct {
	proto        uint8
	a, b         [4]byte
	aPort, bPort uint16
}

// maxArrivalFlows bounds the flows an arrival remembers.
const maxArrivalFlows = 4096

// Flows returns the inner IPv4 TCP and UDP flows whose copies arrived
// (both directions count as one flow), as "proto a:port-b:port" sorted; at
// most 4096 are kept. Two receivers of one load balancer share none when
// every flow sticks to one receiver.
func (a *Arrival) Flows() []string {
	out := make([]string, 0, len(a.flows))
	for f := range a.flows {
		out = append(out, fmt.Sprintf("%d %d.%d.%d.%d:%d-%d.%d.%d.%d:%d", f.proto,
			f.a[0], f.a[1], f.a[2], f.a[3], f.aPort, f.b[0], f.b[1], f.b[2], f.b[3], f.bPort))
	}
	sort.Strings(out)
	return out
}

// NewArrival is an empty arrival at a receiving interface.
func NewArrival(eni, instance string) *Arrival {
	return &Arrival{ENI: eni, Instance: instance, ArrivalCounts: spec.ArrivalCounts{
		ByVNI: map[uint32]int64{}, MaxInnerByVNI: map[uint32]int{}, MinInnerByVNI: map[uint32]int{}}}
}
