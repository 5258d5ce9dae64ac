package kpath

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/vishvananda/netlink"
)

// TestPrivilegedEndToEnd attaches the path to two ports of a throw-away
// fabric namespace: frames the instance sends (and frames sent to it)
// that a rule accepts reach the receiver's instance as the VXLAN frame
// cloudmock writes, byte for byte; each capture ring's socket filter sees
// its direction's packets that the kernel left to user space, not the
// mirrored ones (a two-direction ring, both directions' of them); a UDP datagram from the instance's own stack
// (CHECKSUM_PARTIAL over veth) and a frame with a VLAN tag in the skb's
// metadata are punted.
func TestPrivilegedEndToEnd(t *testing.T) {
	l := newLab(t)
	p, ps, pr, src := l.p, l.ps, l.pr, l.src
	copies, ring, ringIn := l.copies, l.ring, l.ringIn

	m, err := cloudmock.New(encapSpec(new(600)))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := m.ENI("eni-web")
	const slot = 3
	web, adapter := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.20")
	// What the kernel holds: TCP is accepted both ways (group 0).
	rules := []Rule{{Accept: true, Proto: 6, Src: anyNet, Dst: anyNet, Slot: slot}}
	for _, dir := range []uint32{Ingress, Egress} {
		if err := p.SetPort(ps.fabricIdx, dir, Port{MAC: ps.instMAC, Resolver: resolver, Rules: rules}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.SetSession(slot, Session{VNI: 4242, OuterSrc: web, OuterDst: adapter, SrcMAC: routeMAC, DstMAC: pr.instMAC,
		MaxInner: 600, ReceiverIfindex: pr.fabricIdx}); err != nil {
		t.Fatal(err)
	}

	peer := netip.MustParseAddr("10.0.1.9")
	out := func(proto uint8, payload int) []byte { // from the instance
		return pkt{dstMAC: peerMAC, srcMAC: ps.instMAC, src: web, dst: peer, proto: proto, sport: 40000, dport: 80, payload: payload}.build()
	}
	egressTCP, egressLong, egressUDP := out(6, 100), out(6, 1200), out(17, 100)
	ingressTCP := pkt{dstMAC: ps.instMAC, srcMAC: peerMAC, src: peer, dst: web, proto: 6, sport: 80, dport: 40000, payload: 300}.build()
	ingressUDP := pkt{dstMAC: ps.instMAC, srcMAC: peerMAC, src: peer, dst: web, proto: 17, sport: 80, dport: 40000, payload: 30}.build()
	l.fromInst(t, egressTCP)
	l.fromInst(t, egressLong)
	l.fromInst(t, egressUDP)
	l.toInst(t, ingressTCP)
	l.toInst(t, ingressUDP)

	got := readIPv4(copies, 500*time.Millisecond)
	seen := readIPv4(ring, 100*time.Millisecond)
	seenIn := readIPv4(ringIn, 100*time.Millisecond)
	seenBoth := readIPv4(l.ringBoth, 100*time.Millisecond)
	for _, c := range []struct {
		name  string
		dir   cloudmock.Direction
		frame []byte
	}{{"egress tcp", cloudmock.Egress, egressTCP}, {"egress tcp, truncated", cloudmock.Egress, egressLong}, {"ingress tcp", cloudmock.Ingress, ingressTCP}} {
		d := m.Decide(ref, c.dir, c.frame)
		dl := m.Deliver(&d)
		want := d.AppendWire(nil, cloudmock.FrameHeader{SrcMAC: routeMAC, DstMAC: pr.instMAC}, &dl, c.frame)
		if !d.Mirrored || len(want) == 0 {
			t.Fatalf("%s: cloudmock does not mirror it: %v", c.name, d)
		}
		if !contains(got, want) {
			t.Errorf("%s: the receiver did not get cloudmock's frame %x (got %d IPv4 frames)", c.name, want[:64], len(got))
		}
	}
	if len(got) != 3 {
		t.Errorf("the receiver got %d IPv4 frames, want the 3 copies", len(got))
	}
	if contains(seen, egressTCP) || contains(seen, egressLong) {
		t.Errorf("the capture ring saw a packet the kernel mirrored")
	}
	if !contains(seen, egressUDP) {
		t.Errorf("the capture ring did not see the UDP packet the kernel left to user space")
	}
	if contains(seenIn, ingressTCP) || !contains(seenIn, ingressUDP) || contains(seenIn, egressUDP) {
		t.Errorf("the ingress ring saw the mirrored packet, missed the punted one, or saw the other direction's (%d frames)", len(seenIn))
	}
	if contains(seen, ingressUDP) {
		t.Errorf("the egress ring saw an ingress packet")
	}
	// One ring for both directions keeps what the two would, no more.
	if !contains(seenBoth, egressUDP) || !contains(seenBoth, ingressUDP) || len(seenBoth) != 2 {
		t.Errorf("the two-direction ring saw %d IPv4 frames, want the 2 punted ones (egress and ingress UDP)", len(seenBoth))
	}
	c, err := p.Counters(slot)
	if err != nil {
		t.Fatal(err)
	}
	want := Counters{Packets: 3, Bytes: uint64(len(egressTCP) + len(egressLong) + len(ingressTCP)), Truncated: 1,
		WireBytes: uint64(3*36 + len(egressTCP) + 600 + len(ingressTCP))} // the long one cut to MaxInner
	if c != want {
		t.Errorf("counters %+v, want %+v", c, want)
	}

	// The instance's own stack: a UDP datagram with its checksum left to
	// the (veth) device, CHECKSUM_PARTIAL at the fabric end. The rule
	// accepts UDP now, but the kernel must leave it to user space.
	rules[0].Proto = 17
	if err := p.SetPort(ps.fabricIdx, Egress, Port{MAC: ps.instMAC, Resolver: resolver, Rules: rules}); err != nil {
		t.Fatal(err)
	}
	before, _ := p.Punts()
	err = nsrun.Run(src, func() error {
		l, err := netlink.LinkByName("isrc")
		if err != nil {
			return err
		}
		if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: web.AsSlice(), Mask: net.CIDRMask(24, 32)}}); err != nil {
			return err
		}
		if err := netlink.NeighAdd(&netlink.Neigh{LinkIndex: l.Attrs().Index, State: netlink.NUD_PERMANENT,
			IP: net.IP(netip.MustParseAddr("10.0.0.9").AsSlice()), HardwareAddr: net.HardwareAddr(peerMAC[:])}); err != nil {
			return err
		}
		conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IP{10, 0, 0, 9}, Port: 9})
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.Write([]byte("checksum partial"))
		return err
	})
	if err != nil {
		t.Fatalf("send from the instance's stack: %v", err)
	}
	seen = readIPv4(ring, 300*time.Millisecond)
	after, _ := p.Punts()
	if after[PuntOffload] != before[PuntOffload]+1 {
		t.Errorf("offload punts %d -> %d, want one more", before[PuntOffload], after[PuntOffload])
	}
	if len(seen) != 1 {
		t.Errorf("the capture ring saw %d IPv4 frames, want the UDP datagram", len(seen))
	}
	if got := readIPv4(copies, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("the receiver got %d copies of a CHECKSUM_PARTIAL packet", len(got))
	}

	// A frame that leaves the instance with a VLAN tag in the skb's
	// metadata (as a VLAN device over veth sends it; this kernel has no
	// 8021q, so a program on the instance end pushes the tag): the data
	// shows plain IPv4. The kernel must leave it to user space.
	rules[0].Proto = 0
	if err := p.SetPort(ps.fabricIdx, Egress, Port{MAC: ps.instMAC, Resolver: resolver, Rules: rules}); err != nil {
		t.Fatal(err)
	}
	tagger := vlanTagger(t)
	err = nsrun.Run(src, func() error {
		ifi, err := net.InterfaceByName("isrc")
		if err != nil {
			return err
		}
		tl, err := link.AttachTCX(link.TCXOptions{Interface: ifi.Index, Program: tagger, Attach: ebpf.AttachTCXEgress})
		if err != nil {
			return err
		}
		t.Cleanup(func() { tl.Close() })
		return nil
	})
	if err != nil {
		t.Fatalf("attach the VLAN tagger to isrc: %v", err)
	}
	tagged := out(6, 50)
	l.fromInst(t, tagged)
	if !contains(readIPv4(ring, 300*time.Millisecond), tagged) {
		t.Errorf("the capture ring did not see the VLAN frame")
	}
	if got := readIPv4(copies, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("the receiver got %d copies of a VLAN frame", len(got))
	}
}

// TestPrivilegedEndToEndJumbo: at MTU 9001 the session keeps what the
// target's MTU allows (9001 - 54 + 14 = 8961 bytes of inner frame): a
// frame of 8961 bytes (an 8947-byte IP packet) is mirrored whole, one of
// 9015 bytes is cut; the receiver gets both as cloudmock writes them.
func TestPrivilegedEndToEndJumbo(t *testing.T) {
	l := newLab(t)
	m, err := cloudmock.New(encapSpec(nil))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := m.ENI("eni-web")
	plan := PlanModel(m, []cloudmock.ENIRef{ref})
	pd := plan.ENIs[0].Dirs[cloudmock.Egress]
	if pd.Why != "" || len(plan.Sessions) != 1 || plan.Sessions[0].Session.MaxInner != 8961 {
		t.Fatalf("plan: %+v", plan)
	}
	if err := l.p.SetSession(1, withLab(plan.Sessions[0].Session, routeMAC, l.pr.instMAC, l.pr.fabricIdx)); err != nil {
		t.Fatal(err)
	}
	port := installable(pd, l.ps.instMAC, 0, func(int) uint32 { return 1 })
	port.SecurityGroups, port.NetworkACL = nil, nil // open groups: nothing to check
	if err := l.p.SetPort(l.ps.fabricIdx, Egress, port); err != nil {
		t.Fatal(err)
	}
	frame := func(size int) []byte {
		return pkt{dstMAC: peerMAC, srcMAC: l.ps.instMAC, src: inst, dst: netip.MustParseAddr("10.0.1.9"), proto: 17,
			sport: 4000, dport: 5000, payload: size - 14 - 20 - 8}.build()
	}
	whole, cut := frame(8961), frame(9015)
	l.fromInst(t, whole)
	l.fromInst(t, cut)
	got := readIPv4(l.copies, 500*time.Millisecond)
	wire := 0
	for _, f := range [][]byte{whole, cut} {
		d := m.Decide(ref, cloudmock.Egress, f)
		dl := m.Deliver(&d)
		want := d.AppendWire(nil, cloudmock.FrameHeader{SrcMAC: routeMAC, DstMAC: l.pr.instMAC}, &dl, f)
		wire += len(want) - 14
		if !contains(got, want) {
			t.Errorf("%d-byte frame: the receiver did not get cloudmock's %d-byte copy (got %d frames)", len(f), len(want), len(got))
		}
	}
	c, err := l.p.Counters(1)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counters{Packets: 2, Bytes: uint64(len(whole) + len(cut)), Truncated: 1, WireBytes: uint64(wire)}); c != want {
		t.Errorf("counters %+v, want %+v", c, want)
	}
}

// TestPrivilegedSessionNeedsAttachedReceiver: a session whose receiver
// port has no program would send the clones out bare.
func TestPrivilegedSessionNeedsAttachedReceiver(t *testing.T) {
	p := loadPath(t)
	a := netip.MustParseAddr("10.0.0.1")
	err := p.SetSession(1, Session{VNI: 1, OuterSrc: a, OuterDst: a, ReceiverIfindex: 77})
	if err == nil || !strings.Contains(err.Error(), "receiver ifindex 77 is not attached") {
		t.Fatalf("got %v, want an error naming the unattached receiver", err)
	}
}
