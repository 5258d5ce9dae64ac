package kpath

import (
	"net/netip"
	"testing"
)

// TestPrivilegedDecideVerdictsIPv6 runs decide over IPv6 frames (and the
// IPv4 frames of the never-mirrored classes cloudmock checks whatever the
// family): IPv6 rules by 128-bit prefixes, IPv4 rules matching only IPv4
// packets and IPv6 ones only IPv6, the header checks (extension headers,
// fragments, lengths), IPv6's never-mirrored classes and Amazon DNS over
// IPv6; a port without Port.IPv6 leaves IPv6 to user space.
func TestPrivilegedDecideVerdictsIPv6(t *testing.T) {
	p := loadPath(t)
	for _, s := range []uint32{slotA, slotB} {
		if err := p.SetSession(s, Session{VNI: s, OuterSrc: inst, OuterDst: netip.MustParseAddr("10.0.0.20"), ReceiverIfindex: noReceiver}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range verdictCases6() {
		t.Run(c.name, func(t *testing.T) {
			if err := p.SetPort(testIfindex, c.dir, Port{MAC: instMAC, Resolver: resolver, Rules: c.rules, IPv6: c.ipv6}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.DeletePort(testIfindex, c.dir) })
			frame := c.k.build()
			ctx := skbCtx{GSOSegs: c.gso[0], GSOSize: c.gso[1]}
			ret := probe(t, p, c.dir, frame, ctx)
			if v := got(ret); v != c.want {
				t.Fatalf("probe: got %v, want %v", v, c.want)
			}
			if c.want.kernel {
				checkHash7(t, frame, ret)
			}
			if c.dir == Egress {
				wantSock := uint32(len(frame))
				if c.want.kernel {
					wantSock = 0
				}
				if got := sockFilter(t, p.SocketFilter(Egress), frame, ctx); got != wantSock {
					t.Fatalf("egress socket filter: got %d, want %d", got, wantSock)
				}
			}
		})
	}
}

// verdictCase6 is a case of TestPrivilegedDecideVerdictsIPv6: a frame
// in a direction, the port's rules and whether it decides IPv6, the
// frame's GSO segments and size, and the verdict.
type verdictCase6 struct {
	name  string
	dir   uint32
	rules []Rule
	ipv6  bool
	k     pkt
	gso   [2]uint32
	want  verdict
}

// verdictCases6 are TestPrivilegedDecideVerdictsIPv6's cases.
func verdictCases6() []verdictCase6 {
	a := netip.MustParseAddr
	any6 := pfx("::/0")
	me := a("2001:db8:0:100::5")
	tcp6 := func(sport, dport uint16) pkt {
		return pkt{dstMAC: peerMAC, srcMAC: instMAC, src: me, dst: a("2001:db8:1::3"), proto: 6, sport: sport, dport: dport, payload: 10}
	}
	udp6 := func(sport, dport uint16) pkt { return with(tcp6(sport, dport), func(k *pkt) { k.proto = 17 }) }
	icmp6 := func(typ uint8) pkt {
		return with(tcp6(0, 0), func(k *pkt) { k.proto, k.icmp = 58, [2]byte{typ, 0} })
	}
	to := func(k pkt, dst string) pkt { k.dst = a(dst); return k }
	from := func(k pkt, src string) pkt {
		k.dstMAC, k.srcMAC, k.src, k.dst = instMAC, peerMAC, a(src), me
		return k
	}
	// group 1 (slotA): reject TCP to 22, accept TCP 1-1024 to
	// 2001:db8:1::/64; an IPv4 accept-all that IPv6 never matches.
	// group 2 (slotB): accept everything from 2001:db8:0:100::4/127.
	std := []Rule{
		{Group: 1, Proto: 6, Src: any6, Dst: any6, DstPorts: &PortRange{22, 22}},
		{Group: 1, Accept: true, Proto: 6, Src: any6, Dst: pfx("2001:db8:1::/64"), DstPorts: &PortRange{1, 1024}, Slot: slotA},
		{Group: 1, Accept: true, Src: anyNet, Dst: anyNet, Slot: slotA},
		{Group: 2, Accept: true, Src: pfx("2001:db8:0:100::4/127"), Dst: any6, Slot: slotB},
	}
	all := []Rule{{Group: 1, Accept: true, Src: any6, Dst: any6, Slot: slotA}, {Group: 2, Accept: true, Src: anyNet, Dst: anyNet, Slot: slotB}}
	dns := []Rule{{Group: 1, Accept: true, Src: any6, Dst: any6, Slot: slotA}, {Group: 2, Accept: true, Proto: 17, Src: any6, Dst: any6, Slot: slotB, AmazonDNS: true}}
	return []verdictCase6{
		{"tcp 80 accepted", Egress, std, true, tcp6(40000, 80), [2]uint32{}, kernel(slotA)},
		{"tcp 22 rejected", Egress, std, true, tcp6(40000, 22), [2]uint32{}, punt(PuntReject)},
		{"tcp 1025 falls to group 2", Egress, std, true, tcp6(40000, 1025), [2]uint32{}, kernel(slotB)},
		{"/64 edge", Egress, std, true, to(tcp6(1, 80), "2001:db8:1:0:ffff:ffff:ffff:ffff"), [2]uint32{}, kernel(slotA)},
		{"past the /64", Egress, std, true, to(tcp6(1, 80), "2001:db8:1:1::"), [2]uint32{}, kernel(slotB)},
		{"/127 misses", Ingress, std, true, from(udp6(1, 2), "2001:db8:0:100::6"), [2]uint32{}, punt(PuntNoMatch)},
		{"/127 matches", Ingress, std, true, from(udp6(1, 2), "2001:db8:0:100::4"), [2]uint32{}, kernel(slotB)},
		{"ipv4 rules only", Egress, std[2:3], true, tcp6(1, 80), [2]uint32{}, punt(PuntNoMatch)},
		{"ipv6 rules skip ipv4", Egress, all[:1], true, tcpTo(1, 80), [2]uint32{}, punt(PuntNoMatch)},
		{"ipv4 beside", Egress, all, true, tcpTo(1, 80), [2]uint32{}, kernel(slotB)},
		{"port without ipv6", Egress, all, false, tcp6(1, 80), [2]uint32{}, punt(PuntNotIP)},
		{"hop-by-hop", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.exts = []uint8{0} }), [2]uint32{}, kernel(slotA)},
		{"routing header", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.exts = []uint8{43} }), [2]uint32{}, kernel(slotA)},
		{"four extension headers", Egress, std, true, with(tcp6(1, 22), func(k *pkt) { k.exts = []uint8{0, 60, 43, 60} }), [2]uint32{}, punt(PuntReject)},
		{"five extension headers", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.exts = []uint8{0, 60, 43, 60, 60} }), [2]uint32{}, punt(PuntIPHeader)},
		{"extension header past the payload", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.exts, k.totLenDelta = []uint8{60}, -34 }), [2]uint32{}, punt(PuntIPHeader)},
		{"ports past the payload", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.exts, k.totLenDelta = []uint8{60}, -17 }), [2]uint32{}, punt(PuntIPHeader)},
		{"fragment header", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.exts, k.frag = []uint8{44}, 8|1 }), [2]uint32{}, punt(PuntFragment)},
		{"atomic fragment header", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.exts = []uint8{44} }), [2]uint32{}, punt(PuntFragment)},
		{"fragment header after options", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.exts = []uint8{60, 44} }), [2]uint32{}, punt(PuntFragment)},
		{"icmpv6 behind hop-by-hop", Egress, all, true, with(icmp6(143), func(k *pkt) { k.exts = []uint8{0} }), [2]uint32{}, punt(PuntNever)},
		{"no next header", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.proto = 59 }), [2]uint32{}, kernel(slotA)},
		{"payload length past the frame", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.totLenDelta = 1 }), [2]uint32{}, punt(PuntIPHeader)},
		{"jumbogram", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.totLenDelta = -30 }), [2]uint32{}, punt(PuntIPHeader)},
		{"ethernet padding", Egress, all, true, with(tcp6(1, 80), func(k *pkt) { k.totLenDelta = -4 }), [2]uint32{}, kernel(slotA)},
		{"tcp header cut at 13 bytes", Egress, all, true, with(tcp6(1, 2), func(k *pkt) { k.l4Len, k.payload = 13, 0 }), [2]uint32{}, punt(PuntIPHeader)},
		{"gso", Egress, all, true, tcp6(1, 80), [2]uint32{2, 1400}, punt(PuntOffload)},
		{"echo request", Egress, all, true, icmp6(128), [2]uint32{}, kernel(slotA)},
		{"neighbour solicitation", Egress, all, true, icmp6(135), [2]uint32{}, punt(PuntNever)},
		{"router solicitation", Egress, all, true, icmp6(133), [2]uint32{}, punt(PuntNever)},
		{"mld query", Egress, all, true, icmp6(130), [2]uint32{}, punt(PuntNever)},
		{"mldv2 report", Egress, all, true, icmp6(143), [2]uint32{}, punt(PuntNever)},
		{"type 138 is mirrored", Egress, all, true, icmp6(138), [2]uint32{}, kernel(slotA)},
		{"icmpv6 over ipv4, type 135", Egress, all, true, with(tcpTo(0, 0), func(k *pkt) { k.proto, k.icmp = 58, [2]byte{135, 0} }), [2]uint32{}, punt(PuntNever)},
		{"dhcpv6", Egress, all, true, udp6(546, 547), [2]uint32{}, punt(PuntNever)},
		{"dhcpv6 ports over ipv4", Egress, all, true, with(tcpTo(547, 546), func(k *pkt) { k.proto = 17 }), [2]uint32{}, punt(PuntNever)},
		{"dhcp ports over ipv6", Egress, all, true, udp6(68, 67), [2]uint32{}, punt(PuntNever)},
		{"udp 546 to 53 is not dhcpv6", Egress, all, true, udp6(546, 53), [2]uint32{}, kernel(slotA)},
		{"metadata", Egress, all, true, to(tcp6(1, 80), "fd00:ec2::254"), [2]uint32{}, punt(PuntNever)},
		{"time service reply", Ingress, all, true, from(udp6(123, 1), "fd00:ec2::123"), [2]uint32{}, punt(PuntNever)},
		{"fd00:ec2::252 is mirrored", Egress, all, true, to(udp6(1, 53), "fd00:ec2::252"), [2]uint32{}, kernel(slotA)},
		{"amazon dns without amazon-dns", Egress, all, true, to(udp6(1, 53), "fd00:ec2::253"), [2]uint32{}, punt(PuntNever)},
		{"amazon dns: the amazon-dns session", Egress, dns, true, to(udp6(1, 53), "fd00:ec2::253"), [2]uint32{}, kernel(slotB)},
		{"amazon dns reply: the amazon-dns session", Ingress, dns, true, from(udp6(53, 1), "fd00:ec2::253"), [2]uint32{}, kernel(slotB)},
	}
}

// TestPrivilegedCutWithinHeaders: a session that cuts its copies to 64
// bytes mirrors an IPv6 datagram whose transport header starts before
// the cut, but leaves to user space one whose extension headers reach
// past it (bpf_skb_change_tail keeps the transport header; user space
// cuts anywhere), in the probe and in the ring's filter alike.
func TestPrivilegedCutWithinHeaders(t *testing.T) {
	p := loadPath(t)
	if err := p.SetSession(slotA, Session{VNI: 1, OuterSrc: inst, OuterDst: netip.MustParseAddr("10.0.0.20"), MaxInner: MinMaxInner, ReceiverIfindex: noReceiver}); err != nil {
		t.Fatal(err)
	}
	all := []Rule{{Group: 1, Accept: true, Src: pfx("::/0"), Dst: pfx("::/0"), Slot: slotA}}
	if err := p.SetPort(testIfindex, Egress, Port{MAC: instMAC, Rules: all, IPv6: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.DeletePort(testIfindex, Egress) })
	udp := pkt{dstMAC: peerMAC, srcMAC: instMAC, src: netip.MustParseAddr("2001:db8::5"), dst: netip.MustParseAddr("2001:db8::9"), proto: 17, sport: 1, dport: 2, payload: 100}
	for _, c := range []struct {
		name string
		k    pkt
		want verdict
	}{
		{"transport header at 54", udp, kernel(slotA)},
		{"transport header at 62", with(udp, func(k *pkt) { k.exts = []uint8{60} }), kernel(slotA)},
		{"transport header at 70, past the cut", with(udp, func(k *pkt) { k.exts = []uint8{60, 0} }), punt(PuntCut)},
	} {
		frame := c.k.build()
		if v := got(probe(t, p, Egress, frame, skbCtx{})); v != c.want {
			t.Errorf("%s (%d bytes): probe %v, want %v", c.name, len(frame), v, c.want)
		}
		wantSock := uint32(len(frame))
		if c.want.kernel {
			wantSock = 0
		}
		if got := sockFilter(t, p.SocketFilter(Egress), frame, skbCtx{}); got != wantSock {
			t.Errorf("%s: socket filter %d, want %d", c.name, got, wantSock)
		}
	}
}
