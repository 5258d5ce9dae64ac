package explain

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The 74-byte case: explain says which copies go over IPv6 and cuts them
// 74 bytes under the target's MTU, 54 over IPv4; the sender's IPv6 address
// is the source of traffic to an IPv6 address.
func TestOuterIPv6Explained(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/ipv6-outer-74.yaml", Options{})
	h6 := hop(t, r, "to-collector6", "datagram", "web-eni", "ingress")
	if !h6.Mirrored || h6.OuterFamily != "ipv6" || h6.InnerBytes != 1500-74+14 || !h6.Truncated || !h6.Delivered ||
		!strings.Contains(h6.Flow, "[2001:db8:0:100::6]:") {
		t.Fatalf("hop to collector6 %+v", h6)
	}
	h4 := hop(t, r, "to-collector4", "datagram", "web-eni", "ingress")
	if !h4.Mirrored || h4.OuterFamily != "ipv4" || h4.InnerBytes != 1500-54+14 || !h4.Delivered {
		t.Fatalf("hop to collector4 %+v", h4)
	}
	var out bytes.Buffer
	r.Render(&out, false)
	if !strings.Contains(out.String(), "over IPv6 (74 bytes reserved), truncated 1514 -> 1440 bytes") {
		t.Errorf("render does not say the copy goes over IPv6:\n%s", out.String())
	}
}

// Inner IPv6 under AWS: the IPv6 rule mirrors HTTP over IPv6 (the IPv4
// rule before it never matches it), ping6 is mirrored, and the IPv6
// never-mirrored classes are named.
func TestDualStackExplained(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/ipv6-dual-stack.yaml", Options{})
	if h := hop(t, r, "web-load", "request", "web-eni", "ingress"); !h.Mirrored || h.Rule != 110 || h.OuterFamily != "ipv6" || !h.Delivered {
		t.Fatalf("request hop %+v", h)
	}
	if h := hop(t, r, "ping6", "echo request", "web-eni", "ingress"); !h.Mirrored || h.Rule != 120 || !strings.HasPrefix(h.Flow, "icmpv6 ") {
		t.Fatalf("ping6 hop %+v", h)
	}
	for flow, reason := range map[string]cloudmock.Reason{
		"time-service": cloudmock.ReasonTimeService, "metadata": cloudmock.ReasonMetadata, "amazon-dns": cloudmock.ReasonAmazonDNS,
	} {
		label := "datagram"
		if flow == "metadata" {
			label = "syn"
		}
		if h := hop(t, r, flow, label, "web-eni", "egress"); h.Mirrored || h.Reason != reason.String() {
			t.Errorf("%s hop %+v, want %s", flow, h, reason)
		}
	}
}

func TestAlibabaIPv6Explained(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/ipv6-alibaba.yaml", Options{})
	if h := hop(t, r, "over-ipv4", "datagram", "web-eni", "ingress"); !h.Mirrored {
		t.Fatalf("IPv4 hop %+v", h)
	}
	if h := hop(t, r, "over-ipv6", "datagram", "web-eni", "ingress"); h.Mirrored || h.Reason != "ipv6-unsupported" {
		t.Fatalf("IPv6 hop %+v", h)
	}
}

func TestPacketFromCommandLineIPv6(t *testing.T) {
	p, err := ParsePacket("udp [2001:db8::6]:5000 -> [2001:db8::5]:53", 10)
	if err != nil || p.Proto != 17 || p.SrcPort != 5000 || p.DstPort != 53 || p.Src.String() != "2001:db8::6" {
		t.Fatalf("ParsePacket: %+v, %v", p, err)
	}
	f := p.frame()
	if len(f) != 14+40+8+10 || f[12] != 0x86 || f[13] != 0xdd || f[14+6] != 17 {
		t.Fatalf("frame % x", f)
	}
	if fl, ok := cloudmock.ParseFlow(f); !ok || fl.SrcPort != 5000 || fl.DstPort != 53 || fl.IPLen != 58 {
		t.Fatalf("the model reads %+v (ok %v)", fl, ok)
	}
	if p, err := ParsePacket("icmpv6 2001:db8::6 > 2001:db8::5", 0); err != nil || p.Proto != 58 || p.DstPort != 128 || p.reply(0, 0).DstPort != 129 {
		t.Fatalf("icmpv6: %+v, %v", p, err)
	}
	// Neighbour discovery, given by its ICMPv6 type: never mirrored.
	ns, err := ParsePacket("icmpv6 2001:db8:0:100::6 -> ff02::1:ff00:5 type 135", 0)
	if err != nil || ns.DstPort != 135 {
		t.Fatalf("icmpv6 type 135: %+v, %v", ns, err)
	}
	r := explainFile(t, "../../../scenarios/library/ipv6-dual-stack.yaml", Options{Packet: &ns, ENI: "web-eni", Direction: "ingress"})
	if len(r.Flows) != 1 || len(r.Flows[0].Hops) != 1 || r.Flows[0].Hops[0].Reason != "never-mirrored-ndp" {
		t.Fatalf("neighbour solicitation explained as %+v", r.Flows)
	}
	for _, bad := range []string{
		"udp [2001:db8::6]:1 -> [2001:db8::5]:2 type 3", // a type for UDP
		"icmpv6 2001:db8::6 -> 2001:db8::5 type 300",    // not a byte
		"udp 2001:db8::6:5000 -> [2001:db8::5]:53",      // no brackets
		"udp [2001:db8::6]:5000 -> 10.0.0.5:53",         // families differ
		"icmp 2001:db8::6 -> 2001:db8::5",               // icmp over IPv6
		"icmpv6 10.0.0.6 -> 10.0.0.5",                   // icmpv6 over IPv4
		"tcp [2001:db8::6] -> [2001:db8::5]:80",         // no port
	} {
		if _, err := ParsePacket(bad, 0); err == nil {
			t.Errorf("ParsePacket(%q) accepted", bad)
		}
	}
}
