package frame

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/agent/internal/vxlan"
)

// mirrorlabV6SYN is a copy carried over IPv6, as mirrorlab's AWS model
// builds it between two ENIs with primary IPv6 addresses: outer
// 2001:db8:0:100::5 -> 2001:db8:0:101::20, hop limit 255, UDP 65535 ->
// 4789 with its checksum, VNI 1; inner IPv6 TCP SYN 2001:db8:0:102::36:40000
// -> 2001:db8:0:100::5:80 (the same bytes as cloudmock's goldenV6, which
// gopacket and tshark check).
var mirrorlabV6SYN = mustHex(`
0200000000bb 0200000000aa 86dd
60000000 005a 11 ff
20010db8000001000000000000000005
20010db8000001010000000000000020
ffff 12b5 005a bbf7
08000000 00000100
026d6c000002 026d6c000001 86dd
60000000 0014 06 40
20010db8000001020000000000000036
20010db8000001000000000000000005
9c400050 00000001 00000000 5002ffff b5a20000`)

// TestOuterAndInnerIPv6: the agent decodes VXLAN carried over IPv6 (the
// capture input's path; the UDP input gets the same payload from an IPv6
// socket) and the inner IPv6 TCP segment, with an IPv6 flow key.
func TestOuterAndInnerIPv6(t *testing.T) {
	var ip IP
	payload, r := OuterVXLAN(&ip, mirrorlabV6SYN, true, vxlan.Port)
	if r != OK {
		t.Fatalf("OuterVXLAN: %v", r)
	}
	if ip.Version != 6 || ip.Src[15] != 5 || ip.Dst[15] != 0x20 {
		t.Fatalf("outer IPv6 %+v", ip)
	}
	vni, inner, err := vxlan.Decode(payload)
	if err != nil || vni != 1 || len(inner) != 74 {
		t.Fatalf("vxlan: vni %d, %d inner bytes, %v", vni, len(inner), err)
	}
	var in Inner
	if r := in.DecodeEthernet(inner); r != OK {
		t.Fatalf("DecodeEthernet: %v", r)
	}
	if r := in.DecodeTCP(); r != OK {
		t.Fatalf("DecodeTCP: %v", r)
	}
	if in.IP.Version != 6 || in.SrcPort != 40000 || in.DstPort != 80 || !in.TCP.SYN || in.TCP.Seq != 1 {
		t.Fatalf("inner %+v tcp %+v", in.IP, in.TCP)
	}
	if got := in.NetFlow().String(); got != "2001:db8:0:102::36->2001:db8:0:100::5" {
		t.Fatalf("NetFlow = %s", got)
	}
	// Cut anywhere, it decodes or refuses, never panics or overreads.
	for n := 0; n < len(mirrorlabV6SYN); n++ {
		var ip IP
		if p, r := OuterVXLAN(&ip, mirrorlabV6SYN[:n], true, vxlan.Port); r == OK && len(p) > n {
			t.Fatalf("cut at %d: payload of %d bytes", n, len(p))
		}
	}
}
