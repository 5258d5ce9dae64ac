package frame

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent/internal/vxlan"
)

// Golden frames from a capture made by AWS Traffic Mirroring
// (suricata-verify vxlan-decoder-03): outer 172.31.0.238 -> 172.31.17.188
// UDP 4789 (checksum 0), VNI 5569041.
var (
	// awsNTP carries an inner NTP client request 172.31.0.238:60631 ->
	// 78.46.93.39:123.
	awsNTP = mustHex(`
06e2439cff5e061d3c34d0770800 4500007e00000000ff115086ac1f00eeac1f11bc
ffa512b5006a0000 0800000054fa1100
0229237 4c77d028569c2ab020800 4500004c09514000ff1119edac1f00ee4e2e5d27
ecd7007b00380192 230009200000000000000000000000000000000000000000000000000000
00000000000000000000000000006e7c1f1daa4d542f`)
	// awsSYN carries an inner TCP SYN 18.196.145.224:37180 ->
	// 172.31.0.238:22, seq 3889736517, with MSS/SACK/TS/WS options.
	awsSYN = mustHex(`
06e2439cff5e061d3c34d0770800 4500006e00000000ff115096ac1f00eeac1f11bc
ffc212b5005a0000 0800000054fa1100
028569c2ab0202292374c77d0800 4500003cde1040003f060bfa12c491e0ac1f00ee
913c0016e7d8ab4500000000a002faf02ecf0000020405b40402080ab341f4db0000000001030307`)
)

func mustHex(s string) []byte {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func decodeOuter(t testing.TB, pkt []byte) (uint32, []byte) {
	t.Helper()
	var ip IP
	payload, r := OuterVXLAN(&ip, pkt, true, vxlan.Port)
	if r != OK {
		t.Fatalf("OuterVXLAN: %v", r)
	}
	if ip.Version != 4 || string(ip.Src[:4]) != "\xac\x1f\x00\xee" || string(ip.Dst[:4]) != "\xac\x1f\x11\xbc" {
		t.Fatalf("outer addresses %v -> %v", ip.Src[:4], ip.Dst[:4])
	}
	vni, inner, err := vxlan.Decode(payload)
	if err != nil {
		t.Fatalf("vxlan.Decode: %v", err)
	}
	return vni, inner
}

func TestAWSGoldenSYN(t *testing.T) {
	vni, inner := decodeOuter(t, awsSYN)
	if vni != 5569041 {
		t.Fatalf("vni = %d", vni)
	}
	// Outer IPv4 total length = inner IPv4 total length + 50.
	if len(inner) != 14+60 {
		t.Fatalf("inner frame length %d, want 74", len(inner))
	}
	var in Inner
	if r := in.DecodeEthernet(inner); r != OK {
		t.Fatalf("DecodeEthernet: %v", r)
	}
	if in.SrcPort != 37180 || in.DstPort != 22 {
		t.Fatalf("ports %d -> %d", in.SrcPort, in.DstPort)
	}
	if r := in.DecodeTCP(); r != OK {
		t.Fatalf("DecodeTCP: %v", r)
	}
	if !in.TCP.SYN || in.TCP.ACK || in.TCP.Seq != 3889736517 || in.TCP.Window != 64240 || len(in.TCP.Payload) != 0 {
		t.Fatalf("tcp = %+v", in.TCP)
	}
	if got := in.NetFlow().String(); got != "18.196.145.224->172.31.0.238" {
		t.Fatalf("NetFlow = %s", got)
	}
}

func TestAWSGoldenNTP(t *testing.T) {
	vni, inner := decodeOuter(t, awsNTP)
	if vni != 5569041 {
		t.Fatalf("vni = %d", vni)
	}
	var in Inner
	if r := in.DecodeEthernet(inner); r != NotTCP {
		t.Fatalf("DecodeEthernet on NTP = %v, want not_tcp", r)
	}
	if p, r := UDPPayload(&in.IP, 123); r != OK || len(p) != 48 || p[0] != 0x23 {
		t.Fatalf("NTP payload %x, %v", p, r)
	}
}

func TestTruncatedInner(t *testing.T) {
	_, inner := decodeOuter(t, awsSYN)
	var in Inner
	// Cut inside the TCP options: the IP header announces 60 bytes.
	if r := in.DecodeEthernet(inner[:14+30]); r != OK {
		t.Fatalf("DecodeEthernet on cut frame: %v", r)
	}
	if r := in.DecodeTCP(); r != Truncated {
		t.Fatalf("DecodeTCP on cut frame = %v, want truncated", r)
	}
	for n := 0; n < 14+24; n++ {
		if r := in.DecodeEthernet(inner[:n]); r == OK {
			t.Fatalf("frame of %d bytes decoded OK", n)
		}
	}
	var ip IP
	for n := 0; n < 50; n++ {
		if _, r := OuterVXLAN(&ip, awsSYN[:n], true, vxlan.Port); r == OK {
			t.Fatalf("outer frame of %d bytes decoded OK", n)
		}
	}
}

func TestFragmentAndOtherPort(t *testing.T) {
	pkt := append([]byte{}, awsNTP...)
	var ip IP
	if _, r := OuterVXLAN(&ip, pkt, true, 8472); r != OtherUDPPort {
		t.Fatalf("other port: %v", r)
	}
	pkt[14+6] = 0x20 // MF
	if _, r := OuterVXLAN(&ip, pkt, true, vxlan.Port); r != Fragment {
		t.Fatalf("fragment: %v", r)
	}
}

func TestInnerFlowHashSymmetric(t *testing.T) {
	_, inner := decodeOuter(t, awsSYN)
	var a Inner
	a.DecodeEthernet(inner)
	b := a
	b.IP.Src, b.IP.Dst = a.IP.Dst, a.IP.Src
	b.SrcPort, b.DstPort = a.DstPort, a.SrcPort
	if a.FlowHash() != b.FlowHash() {
		t.Fatal("FlowHash differs between directions")
	}
}

func TestDecodeNoAlloc(t *testing.T) {
	var ip IP
	var in Inner
	allocs := testing.AllocsPerRun(1000, func() {
		p, _ := OuterVXLAN(&ip, awsSYN, true, vxlan.Port)
		_, inner, _ := vxlan.Decode(p)
		in.DecodeEthernet(inner)
		in.DecodeTCP()
		_ = in.NetFlow()
	})
	if allocs != 0 {
		t.Fatalf("decode allocates %v times per packet", allocs)
	}
}

func FuzzOuterInner(f *testing.F) {
	f.Add(awsSYN)
	f.Add(awsNTP)
	f.Add(mirrorlabV6SYN)
	f.Fuzz(func(t *testing.T, b []byte) {
		var ip IP
		p, r := OuterVXLAN(&ip, b, true, vxlan.Port)
		if r != OK {
			return
		}
		_, inner, err := vxlan.Decode(p)
		if err != nil {
			return
		}
		var in Inner
		if in.DecodeEthernet(inner) == OK && in.DecodeTCP() == OK {
			if len(in.TCP.Payload) > len(inner) {
				t.Fatal("payload longer than frame")
			}
		}
	})
}

// Connections between the same two hosts (one client, one server port,
// many client ports: a load balancer's or a load generator's) spread
// over 2, 3 and 4 workers, each getting at least a sixth of its share.
func TestInnerFlowHashSpreadsOnePairOfHosts(t *testing.T) {
	_, inner := decodeOuter(t, awsSYN)
	var in Inner
	in.DecodeEthernet(inner)
	const conns = 256
	for _, workers := range []uint32{2, 3, 4} {
		got := make([]int, workers)
		for p := 0; p < conns; p++ {
			in.SrcPort = uint16(40000 + p)
			got[in.FlowHash()%workers]++
		}
		for w, n := range got {
			if n < conns/int(workers)/6 {
				t.Fatalf("%d workers: worker %d got %d of %d connections (%v)", workers, w, n, conns, got)
			}
		}
	}
}
