package kpath

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

const (
	slotA = 7  // group 1's session
	slotB = 9  // group 2's session
	slotX = 11 // accepted into, but no session
)

// verdict is what the table expects: punt (a reason) or kernel (a slot).
type verdict struct {
	kernel bool
	slot   uint32
	punt   Punt
}

func kernel(slot uint32) verdict { return verdict{kernel: true, slot: slot} }
func punt(p Punt) verdict        { return verdict{punt: p} }

func (v verdict) String() string {
	if v.kernel {
		return fmt.Sprintf("kernel(slot %d)", v.slot)
	}
	return "punt(" + v.punt.String() + ")"
}

// got reads a probe result; hash7 is checked against cloudmock apart.
func got(ret uint32) verdict {
	if ret>>24 == CloneTag {
		return kernel(ret & 0xffff)
	}
	return punt(Punt(ret))
}

var (
	inst     = netip.MustParseAddr("10.0.0.5")
	resolver = netip.MustParseAddr("10.0.0.2")
	tcpTo    = func(sport, dport uint16) pkt {
		return pkt{dstMAC: peerMAC, srcMAC: instMAC, src: inst, dst: netip.MustParseAddr("10.1.2.3"), proto: 6, sport: sport, dport: dport, payload: 10}
	}
)

func with(k pkt, f func(*pkt)) pkt { f(&k); return k }

// TestPrivilegedDecideVerdicts runs decide (through the probe program and
// the egress socket filter) over a table that covers every punt reason
// and the rule walk: first match per group, rejects that stop or fall
// through, port ranges, masks, protocols.
func TestPrivilegedDecideVerdicts(t *testing.T) {
	p := loadPath(t)
	for _, s := range []uint32{slotA, slotB} {
		if err := p.SetSession(s, Session{VNI: s, OuterSrc: inst, OuterDst: netip.MustParseAddr("10.0.0.20"), MaxInner: 0, ReceiverIfindex: noReceiver}); err != nil {
			t.Fatal(err)
		}
	}
	// group 1 (slotA): reject TCP to port 22, accept TCP 1-1024 to 10.1.0.0/16
	// group 2 (slotB): accept UDP from ports 5000-5100, accept GRE to 10.1.2.3/32
	std := []Rule{
		{Group: 1, Proto: 6, Src: anyNet, Dst: anyNet, DstPorts: &PortRange{22, 22}},
		{Group: 1, Accept: true, Proto: 6, Src: anyNet, Dst: pfx("10.1.0.0/16"), DstPorts: &PortRange{1, 1024}, Slot: slotA},
		{Group: 2, Accept: true, Proto: 17, Src: anyNet, Dst: anyNet, SrcPorts: &PortRange{5000, 5100}, Slot: slotB},
		{Group: 2, Accept: true, Proto: 47, Src: anyNet, Dst: pfx("10.1.2.3/32"), Slot: slotB},
	}
	// group 1: reject TCP to 22, accept all TCP; group 2: accept all.
	fall := []Rule{
		{Group: 1, Proto: 6, Src: anyNet, Dst: anyNet, DstPorts: &PortRange{22, 22}},
		{Group: 1, Accept: true, Proto: 6, Src: anyNet, Dst: anyNet, Slot: slotA},
		{Group: 2, Accept: true, Src: anyNet, Dst: anyNet, Slot: slotB},
	}
	// group 1: accept all TCP into a slot without a session
	noSession := []Rule{{Group: 1, Accept: true, Proto: 6, Src: anyNet, Dst: anyNet, Slot: slotX}}
	udp := func(sport, dport uint16) pkt {
		return with(tcpTo(sport, dport), func(k *pkt) { k.proto = 17 })
	}
	ll := netip.MustParseAddr("169.254.169.254")
	// group 1 (slotA): accept all TCP; group 2 (slotB, amazon-dns): accept UDP
	dns := []Rule{
		{Group: 1, Accept: true, Proto: 6, Src: anyNet, Dst: anyNet, Slot: slotA},
		{Group: 2, Accept: true, Proto: 17, Src: anyNet, Dst: anyNet, Slot: slotB, AmazonDNS: true},
	}
	// group 1 (slotA): accept all; group 2 (amazon-dns): reject UDP to 53
	dnsReject := []Rule{
		{Group: 1, Accept: true, Src: anyNet, Dst: anyNet, Slot: slotA},
		{Group: 2, Proto: 17, Src: anyNet, Dst: anyNet, DstPorts: &PortRange{53, 53}, AmazonDNS: true},
	}
	toDNS := netip.MustParseAddr("169.254.169.253")
	fromResolver := func(k *pkt) { k.dstMAC, k.srcMAC, k.src, k.dst = instMAC, peerMAC, resolver, inst }
	cases := []struct {
		name  string
		dir   uint32
		rules []Rule
		stops bool
		k     pkt
		raw   []byte // instead of k
		gso   [2]uint32
		want  verdict
	}{
		{"tcp 80 accepted", Egress, std, true, tcpTo(40000, 80), nil, [2]uint32{}, kernel(slotA)},
		{"tcp 1024 (range end)", Egress, std, true, tcpTo(40000, 1024), nil, [2]uint32{}, kernel(slotA)},
		{"tcp 1025 (past range)", Egress, std, true, tcpTo(40000, 1025), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"tcp 0 (before range)", Egress, std, true, tcpTo(40000, 0), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"tcp outside dst mask", Egress, std, true, with(tcpTo(1, 80), func(k *pkt) { k.dst = netip.MustParseAddr("10.2.0.1") }), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"tcp at mask edge", Egress, std, true, with(tcpTo(1, 80), func(k *pkt) { k.dst = netip.MustParseAddr("10.1.255.255") }), nil, [2]uint32{}, kernel(slotA)},
		{"tcp 22 rejected, reject stops", Egress, std, true, tcpTo(40000, 22), nil, [2]uint32{}, punt(PuntReject)},
		{"tcp 22 rejected, falls through to no match", Egress, std, false, tcpTo(40000, 22), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"tcp 22 rejected, falls through to group 2", Egress, fall, false, tcpTo(40000, 22), nil, [2]uint32{}, kernel(slotB)},
		{"tcp 22 rejected stops before group 2", Egress, fall, true, tcpTo(40000, 22), nil, [2]uint32{}, punt(PuntReject)},
		{"first match of group 1 wins over group 2", Egress, fall, true, tcpTo(40000, 23), nil, [2]uint32{}, kernel(slotA)},
		{"udp from sport 5000", Egress, std, true, udp(5000, 9), nil, [2]uint32{}, kernel(slotB)},
		{"udp from sport 5100", Egress, std, true, udp(5100, 9), nil, [2]uint32{}, kernel(slotB)},
		{"udp from sport 5101", Egress, std, true, udp(5101, 9), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"udp to port 80: proto mismatch", Egress, std, true, udp(1, 80), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"gre to /32", Egress, std, true, with(tcpTo(0, 0), func(k *pkt) { k.proto = 47 }), nil, [2]uint32{}, kernel(slotB)},
		{"gre to another host", Egress, std, true, with(tcpTo(0, 0), func(k *pkt) { k.proto = 47; k.dst = netip.MustParseAddr("10.1.2.4") }), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"icmp: no ports for a port rule", Egress, []Rule{{Group: 1, Accept: true, Src: anyNet, Dst: anyNet, DstPorts: &PortRange{0, 65535}, Slot: slotA}}, true, with(tcpTo(0, 0), func(k *pkt) { k.proto = 1 }), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"icmp: accept all", Egress, fall, true, with(tcpTo(0, 0), func(k *pkt) { k.proto = 1 }), nil, [2]uint32{}, kernel(slotB)},
		{"src mask", Egress, []Rule{{Group: 1, Accept: true, Src: pfx("10.0.0.4/30"), Dst: anyNet, Slot: slotA}}, true, tcpTo(1, 2), nil, [2]uint32{}, kernel(slotA)},
		{"src mask misses", Egress, []Rule{{Group: 1, Accept: true, Src: pfx("10.0.0.8/30"), Dst: anyNet, Slot: slotA}}, true, tcpTo(1, 2), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"no rules", Egress, nil, true, tcpTo(1, 2), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"accept into an empty slot", Egress, noSession, true, tcpTo(1, 2), nil, [2]uint32{}, punt(PuntNoSession)},
		{"ingress: to the instance", Ingress, fall, true, with(tcpTo(80, 40000), func(k *pkt) { k.dstMAC, k.srcMAC = instMAC, peerMAC; k.src, k.dst = k.dst, k.src }), nil, [2]uint32{}, kernel(slotA)},
		{"ingress: to another MAC", Ingress, fall, true, tcpTo(80, 40000), nil, [2]uint32{}, punt(PuntNotOurs)},
		{"ingress: broadcast", Ingress, fall, true, with(tcpTo(80, 40000), func(k *pkt) { k.dstMAC = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} }), nil, [2]uint32{}, punt(PuntNotOurs)},
		{"egress: from another MAC", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.srcMAC = peerMAC }), nil, [2]uint32{}, punt(PuntNotOurs)},
		{"arp", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.etherType = 0x0806 }), nil, [2]uint32{}, punt(PuntNotIP)},
		{"ipv6 ethertype", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.etherType = 0x86dd }), nil, [2]uint32{}, punt(PuntNotIP)},
		{"vlan", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.etherType = 0x8100 }), nil, [2]uint32{}, punt(PuntNotIP)},
		{"runt frame", Egress, fall, true, pkt{}, tcpTo(1, 2).build()[:30], [2]uint32{}, punt(PuntNotIP)},
		{"ip options", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.ihl = 6 }), nil, [2]uint32{}, punt(PuntIPHeader)},
		{"total length past the frame", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.totLenDelta = 1 }), nil, [2]uint32{}, punt(PuntIPHeader)},
		{"total length below 20", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.totLenDelta = -(20 + 10 + 1) }), nil, [2]uint32{}, punt(PuntIPHeader)},
		{"ethernet padding after the datagram", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.totLenDelta = -6 }), nil, [2]uint32{}, kernel(slotA)},
		{"tcp header cut at 13 bytes", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.l4Len, k.payload = 13, 0 }), nil, [2]uint32{}, punt(PuntIPHeader)},
		{"tcp header of 14 bytes", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.l4Len, k.payload = 14, 0 }), nil, [2]uint32{}, kernel(slotA)},
		{"udp header cut at 7 bytes", Egress, fall, true, with(udp(1, 2), func(k *pkt) { k.l4Len, k.payload = 7, 0 }), nil, [2]uint32{}, punt(PuntIPHeader)},
		{"more fragments", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.frag = 0x2000 }), nil, [2]uint32{}, punt(PuntFragment)},
		{"fragment offset", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.frag = 0x0001 }), nil, [2]uint32{}, punt(PuntFragment)},
		{"don't fragment is fine", Egress, fall, true, with(tcpTo(1, 2), func(k *pkt) { k.frag = 0x4000 }), nil, [2]uint32{}, kernel(slotA)},
		{"gso segments", Egress, fall, true, tcpTo(1, 2), nil, [2]uint32{2, 0}, punt(PuntOffload)},
		{"gso size", Egress, fall, true, tcpTo(1, 2), nil, [2]uint32{0, 1448}, punt(PuntOffload)},
		{"dhcp", Egress, fall, true, udp(68, 67), nil, [2]uint32{}, punt(PuntNever)},
		{"udp 67 to 53 is not dhcp", Egress, fall, true, udp(67, 53), nil, [2]uint32{}, kernel(slotB)},
		{"metadata", Egress, fall, true, with(tcpTo(1, 80), func(k *pkt) { k.dst = ll }), nil, [2]uint32{}, punt(PuntNever)},
		{"another link-local source is mirrored", Ingress, fall, true, with(tcpTo(1, 80), func(k *pkt) {
			k.dstMAC, k.srcMAC, k.src, k.dst = instMAC, peerMAC, netip.MustParseAddr("169.254.0.1"), inst
		}), nil, [2]uint32{}, kernel(slotA)},
		{"metadata source", Ingress, fall, true, with(tcpTo(80, 1), func(k *pkt) { k.dstMAC, k.srcMAC, k.src, k.dst = instMAC, peerMAC, ll, inst }), nil, [2]uint32{}, punt(PuntNever)},
		{"time service", Egress, fall, true, with(udp(1, 123), func(k *pkt) { k.dst = netip.MustParseAddr("169.254.169.123") }), nil, [2]uint32{}, punt(PuntNever)},
		{"windows activation", Egress, fall, true, with(tcpTo(1, 1688), func(k *pkt) { k.dst = netip.MustParseAddr("169.254.169.250") }), nil, [2]uint32{}, punt(PuntNever)},
		{"windows activation reply", Ingress, fall, true, with(tcpTo(1688, 1), func(k *pkt) {
			k.dstMAC, k.srcMAC, k.src, k.dst = instMAC, peerMAC, netip.MustParseAddr("169.254.169.251"), inst
		}), nil, [2]uint32{}, punt(PuntNever)},
		{"activation address, another port", Egress, fall, true, with(tcpTo(1688, 80), func(k *pkt) { k.dst = netip.MustParseAddr("169.254.169.250") }), nil, [2]uint32{}, kernel(slotA)},
		{"activation address and port over udp", Egress, fall, true, with(udp(1, 1688), func(k *pkt) { k.dst = netip.MustParseAddr("169.254.169.250") }), nil, [2]uint32{}, kernel(slotB)},
		{"resolver", Egress, fall, true, with(udp(1, 53), func(k *pkt) { k.dst = resolver }), nil, [2]uint32{}, punt(PuntNever)},
		{"resolver reply", Ingress, fall, true, with(udp(53, 1), fromResolver), nil, [2]uint32{}, punt(PuntNever)},
		{"169.254.169.253 without amazon-dns", Egress, fall, true, with(udp(1, 53), func(k *pkt) { k.dst = toDNS }), nil, [2]uint32{}, punt(PuntNever)},
		{"resolver: the amazon-dns session", Egress, dns, true, with(udp(1, 53), func(k *pkt) { k.dst = resolver }), nil, [2]uint32{}, kernel(slotB)},
		{"resolver reply: the amazon-dns session", Ingress, dns, true, with(udp(53, 1), fromResolver), nil, [2]uint32{}, kernel(slotB)},
		{"169.254.169.253: the amazon-dns session", Egress, dns, true, with(udp(1, 53), func(k *pkt) { k.dst = toDNS }), nil, [2]uint32{}, kernel(slotB)},
		{"169.254.169.253 reply: the amazon-dns session", Ingress, dns, true, with(udp(53, 1), func(k *pkt) { fromResolver(k); k.src = toDNS }), nil, [2]uint32{}, kernel(slotB)},
		{"resolver over tcp: only a session without amazon-dns matches", Egress, dns, true, with(tcpTo(1, 53), func(k *pkt) { k.dst = resolver }), nil, [2]uint32{}, punt(PuntNever)},
		{"not amazon dns: every session", Egress, dns, true, tcpTo(1, 53), nil, [2]uint32{}, kernel(slotA)},
		{"metadata: never, whatever amazon-dns", Egress, dns, true, with(udp(1, 80), func(k *pkt) { k.dst = ll }), nil, [2]uint32{}, punt(PuntNever)},
		{"resolver: the amazon-dns session rejects, rejects stop", Egress, dnsReject, true, with(udp(1, 53), func(k *pkt) { k.dst = resolver }), nil, [2]uint32{}, punt(PuntReject)},
		{"resolver: the amazon-dns session rejects, falls through", Egress, dnsReject, false, with(udp(1, 53), func(k *pkt) { k.dst = resolver }), nil, [2]uint32{}, punt(PuntNoMatch)},
		{"resolver: the amazon-dns session's reject misses", Egress, dnsReject, true, with(udp(1, 54), func(k *pkt) { k.dst = resolver }), nil, [2]uint32{}, punt(PuntNever)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := p.SetConfig(Config{CopyMark: DefaultCopyMark, RejectStops: c.stops}); err != nil {
				t.Fatal(err)
			}
			if err := p.SetPort(testIfindex, c.dir, Port{MAC: instMAC, Resolver: resolver, Rules: c.rules}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.DeletePort(testIfindex, c.dir) })
			frame := c.raw
			if frame == nil {
				frame = c.k.build()
			}
			ctx := skbCtx{GSOSegs: c.gso[0], GSOSize: c.gso[1]}
			// test_run refuses an IPv4 frame shorter than its headers;
			// the socket filter (behind its throw-away header) takes it.
			if c.raw == nil {
				ret := probe(t, p, c.dir, frame, ctx)
				if v := got(ret); v != c.want {
					t.Fatalf("probe: got %v, want %v", v, c.want)
				}
				if c.want.kernel {
					checkHash7(t, frame, ret)
				}
			}
			if c.dir != Egress {
				return
			}
			// The egress ring's filter drops exactly what the kernel
			// mirrors.
			wantSock := uint32(len(frame))
			if c.want.kernel {
				wantSock = 0
			}
			if got := sockFilter(t, p.SocketFilter(Egress), frame, ctx); got != wantSock {
				t.Fatalf("egress socket filter: got %d, want %d", got, wantSock)
			}
		})
	}
}

// checkHash7 compares the clone mark's hash bits with cloudmock's outer
// source port for the frame: its flow's, but 0 for a reply from Amazon
// DNS (the resolver of the tests' ports, 169.254.169.253 or fd00:ec2::253), whose
// copies all carry the outer source port 65408 (cloudmock's
// isResolverReply; TestPrivilegedPlanDifferential checks it against the
// model's bytes).
func checkHash7(tb testing.TB, frame []byte, mark uint32) {
	tb.Helper()
	f, ok := cloudmock.ParseFlow(frame)
	if !ok {
		tb.Fatalf("cloudmock cannot parse a frame the kernel mirrors")
	}
	want := uint32(cloudmock.OuterSrcPort(&f) & 0x7f)
	if f.Src == resolver || f.Src == netip.MustParseAddr("169.254.169.253") || f.Src == netip.MustParseAddr("fd00:ec2::253") {
		want = 0
	}
	if mark>>16&0x7f != want {
		tb.Fatalf("hash7 of %v: kernel %#x, cloudmock %#x", f, mark>>16&0x7f, want)
	}
}

// TestPrivilegedSocketFilterDirection: a ring keeps only its direction's
// packets (PACKET_OUTGOING at the fabric end is instance ingress; test_run
// never makes an outgoing packet) and never a copy.
func TestPrivilegedSocketFilterDirection(t *testing.T) {
	p := loadPath(t)
	frame := tcpTo(1, 2).build()
	if got := sockFilter(t, p.SocketFilter(Ingress), frame, skbCtx{}); got != 0 {
		t.Errorf("ingress ring kept a received packet: %d", got)
	}
	if got := sockFilter(t, p.SocketFilter(Egress), frame, skbCtx{}); got != uint32(len(frame)) {
		t.Errorf("egress ring, port unknown to the kernel: got %d, want the whole %d", got, len(frame))
	}
	if got := sockFilter(t, p.SocketFilter(Egress), frame, skbCtx{Mark: DefaultCopyMark}); got != 0 {
		t.Errorf("egress ring kept a copy (copy mark): %d", got)
	}
	if err := p.SetConfig(Config{CopyMark: 0x1234, RejectStops: true}); err != nil {
		t.Fatal(err)
	}
	if got := sockFilter(t, p.SocketFilter(Egress), frame, skbCtx{Mark: 0x1234}); got != 0 {
		t.Errorf("egress ring kept a copy (mark set by SetConfig): %d", got)
	}
	if got := sockFilter(t, p.SocketFilter(Egress), frame, skbCtx{Mark: DefaultCopyMark}); got == 0 {
		t.Errorf("egress ring dropped a packet with the old copy mark")
	}
}

// TestPrivilegedHash7 compares the kernel's flow hash bits with
// cloudmock.OuterSrcPort over random flows in both directions.
func TestPrivilegedHash7(t *testing.T) {
	p := loadPath(t)
	if err := p.SetSession(slotA, Session{VNI: 1, OuterSrc: inst, OuterDst: inst, ReceiverIfindex: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	all := []Rule{{Group: 1, Accept: true, Src: anyNet, Dst: anyNet, Slot: slotA}}
	for _, dir := range []uint32{Ingress, Egress} {
		if err := p.SetPort(testIfindex, dir, Port{MAC: instMAC, Resolver: netip.Addr{}, Rules: all}); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[uint32]bool{}
	for i := range 2000 {
		dir := uint32(i % 2)
		frame := randomPkt(r, dir, 64).build()
		ret := probe(t, p, dir, frame, skbCtx{})
		if ret>>24 != CloneTag {
			t.Fatalf("flow %d: punted (%v)", i, Punt(ret))
		}
		checkHash7(t, frame, ret)
		seen[ret>>16&0x7f] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d of 128 hash values over 2000 flows", len(seen))
	}
}

// TestPrivilegedSecurityGroups: on a stateful port the kernel passes what
// an entry allows and records its flow in the connection table, passes
// the reply by that record alone, leaves it to user space once the record
// is gone, and honours a record written from Go (the model's, shared).
func TestPrivilegedSecurityGroups(t *testing.T) {
	p := loadPath(t)
	if err := p.SetSession(slotA, Session{VNI: 1, OuterSrc: inst, OuterDst: inst, ReceiverIfindex: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	mem, err := p.ConnTable(5)
	if err != nil {
		t.Fatal(err)
	}
	all := []Rule{{Group: 1, Accept: true, Src: anyNet, Dst: anyNet, Slot: slotA}}
	// Out: TCP to port 443 of 10.1.0.0/16; in: ICMP echo (type 8) only.
	out := &SecurityGroups{ConnTable: 5, Allow: []Allow{{Proto: 6, From: 443, To: 443, Peer: pfx("10.1.0.0/16")}}}
	in := &SecurityGroups{ConnTable: 5, Allow: []Allow{{Proto: 1, From: 8, To: -1, Peer: anyNet}}}
	for dir, sg := range map[uint32]*SecurityGroups{Egress: out, Ingress: in} {
		if err := p.SetPort(testIfindex, dir, Port{MAC: instMAC, Rules: all, SecurityGroups: sg}); err != nil {
			t.Fatal(err)
		}
	}
	request := tcpTo(40000, 443)
	reply := with(request, func(k *pkt) {
		k.srcMAC, k.dstMAC, k.src, k.dst, k.sport, k.dport = request.dstMAC, request.srcMAC, request.dst, request.src, 443, 40000
	})
	if v := got(probe(t, p, Ingress, reply.build(), skbCtx{})); v != punt(PuntSecurityGroup) {
		t.Fatalf("an unsolicited reply: %v, want punt(security-group)", v)
	}
	if v := got(probe(t, p, Egress, request.build(), skbCtx{})); v != kernel(slotA) {
		t.Fatalf("the request its group allows: %v", v)
	}
	recorded := -1
	for i := range mem {
		if mem[i].Load() != 0 {
			recorded = i
		}
	}
	if recorded < 0 {
		t.Fatal("the kernel recorded no flow in the shared table")
	}
	h := mem[recorded].Load()
	if h&1 != 1 || int(h%uint64(ConnSlots)) != recorded {
		t.Fatalf("slot %d holds %#x: want the flow hash with bit 0 set, at hash %% %d", recorded, h, ConnSlots)
	}
	if v := got(probe(t, p, Ingress, reply.build(), skbCtx{})); v != kernel(slotA) {
		t.Fatalf("the reply after the request: %v, want kernel", v)
	}
	mem[recorded].Store(0)
	if v := got(probe(t, p, Ingress, reply.build(), skbCtx{})); v != punt(PuntSecurityGroup) {
		t.Fatalf("the reply once its record is gone: %v", v)
	}
	mem[recorded].Store(h) // as the model records it
	if v := got(probe(t, p, Ingress, reply.build(), skbCtx{})); v != kernel(slotA) {
		t.Fatalf("the reply recorded from user space: %v", v)
	}
	echo := with(reply, func(k *pkt) { k.proto, k.icmp = 1, [2]byte{8, 0} })
	if v := got(probe(t, p, Ingress, echo.build(), skbCtx{})); v != kernel(slotA) {
		t.Fatalf("an ICMP echo its group allows: %v", v)
	}
	// Another peer: ICMP flows are 3-tuples, so the echo recorded this one.
	unreach := with(echo, func(k *pkt) { k.icmp, k.src = [2]byte{3, 1}, netip.MustParseAddr("10.1.2.4") })
	if v := got(probe(t, p, Ingress, unreach.build(), skbCtx{})); v != punt(PuntSecurityGroup) {
		t.Fatalf("an ICMP type its group does not allow: %v", v)
	}
}
