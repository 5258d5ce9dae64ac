package runner

import (
	"encoding/binary"
	"encoding/json"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// record counts one received frame if it is VXLAN: Ethernet, IPv4 (or
// IPv6, counted in IPv6 too), UDP to 4789, VXLAN header with the I flag;
// or that datagram in GENEVE (UDP to 6081, protocol type IPv4), as a
// Gateway Load Balancer sends it to its appliances (counted in Geneve too).
func (a *Arrival) record(b []byte) {
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
	if binary.BigEndian.Uint16(udp[2:]) == cloudmock.GenevePort {
		g := udp[8:]
		hl := cloudmock.GeneveHeaderLen + int(g[0]&0x3f)*4
		if len(g) < hl || binary.BigEndian.Uint16(g[2:]) != 0x0800 {
			return
		}
		if udp, ok = ipv4UDP(g[hl:]); !ok {
			return
		}
		geneve = true
	}
	if binary.BigEndian.Uint16(udp[2:]) != cloudmock.VXLANPort {
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

// flatten turns a JSON-able value into dotted names and numbers
// ("requests.replayed": 100).
func flatten(v any) map[string]float64 {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil
	}
	out := map[string]float64{}
	var walk func(prefix string, t any)
	walk = func(prefix string, t any) {
		switch t := t.(type) {
		case map[string]any:
			for k, v := range t {
				if prefix != "" {
					k = prefix + "." + k
				}
				walk(k, v)
			}
		case float64:
			out[prefix] = t
		}
	}
	walk("", tree)
	return out
}
