package kpath

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// newNetns returns a fresh, unnamed network namespace with lo up; it
// goes away when its handle is closed at cleanup (and with the process).
func newNetns(t *testing.T) netns.NsHandle {
	t.Helper()
	type result struct {
		ns  netns.NsHandle
		err error
	}
	ch := make(chan result, 1)
	nsrun.Go(func() {
		ns, err := netns.New()
		if err == nil {
			var lo netlink.Link
			if lo, err = netlink.LinkByName("lo"); err == nil {
				err = netlink.LinkSetUp(lo)
			}
		}
		ch <- result{ns, err}
	})
	r := <-ch
	if r.err != nil {
		t.Fatalf("create network namespace: %v", r.err)
	}
	t.Cleanup(func() { r.ns.Close() })
	return r.ns
}

// port is a veth pair: the fabric end in the fabric namespace, the
// instance end in the instance's.
type port struct {
	fabricIdx int
	instMAC   [6]byte
	inst      string
}

func addPort(t *testing.T, fabric, inst netns.NsHandle, fname, iname string) port {
	t.Helper()
	h, err := netlink.NewHandleAt(fabric)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	hi, err := netlink.NewHandleAt(inst)
	if err != nil {
		t.Fatal(err)
	}
	defer hi.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fname}, PeerName: iname, PeerNamespace: netlink.NsFd(int(inst))}
	if err := h.LinkAdd(veth); err != nil {
		t.Fatalf("ip link add %s type veth peer %s: %v", fname, iname, err)
	}
	f, err := h.LinkByName(fname)
	if err != nil {
		t.Fatal(err)
	}
	i, err := hi.LinkByName(iname)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		h *netlink.Handle
		l netlink.Link
	}{{h, f}, {hi, i}} {
		if err := l.h.LinkSetUp(l.l); err != nil {
			t.Fatal(err)
		}
	}
	return port{fabricIdx: f.Attrs().Index, instMAC: [6]byte(i.Attrs().HardwareAddr), inst: iname}
}

// packetSocket opens an AF_PACKET socket on ifname in ns, with prog as its
// filter when set (attached before the socket binds, so nothing slips in).
func packetSocket(t *testing.T, ns netns.NsHandle, ifname string, prog *ebpf.Program) int {
	t.Helper()
	fd := -1
	err := nsrun.Run(ns, func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		s, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		fd = s
		if prog != nil {
			if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, prog.FD()); err != nil {
				return fmt.Errorf("SO_ATTACH_BPF: %w", err)
			}
		}
		tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
		if err := unix.SetsockoptTimeval(s, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		return unix.Bind(s, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index})
	})
	if fd >= 0 {
		t.Cleanup(func() { unix.Close(fd) })
	}
	if err != nil {
		t.Fatalf("packet socket on %s: %v", ifname, err)
	}
	return fd
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// readIPv4 returns the IPv4 frames that arrive on fd within d.
func readIPv4(fd int, d time.Duration) [][]byte {
	var out [][]byte
	buf := make([]byte, 65536)
	for end := time.Now().Add(d); time.Now().Before(end); {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue // timeout: look at the clock again
		}
		if n >= 14 && binary.BigEndian.Uint16(buf[12:]) == 0x0800 {
			out = append(out, bytes.Clone(buf[:n]))
		}
	}
	return out
}

func contains(frames [][]byte, f []byte) bool {
	for _, g := range frames {
		if bytes.Equal(g, f) {
			return true
		}
	}
	return false
}

// TestPrivilegedEndToEnd attaches the path to two ports of a throw-away
// fabric namespace: frames the instance sends (and frames sent to it)
// that a rule accepts reach the receiver's instance as the VXLAN frame
// cloudmock writes, byte for byte; each capture ring's socket filter sees
// its direction's packets that the kernel left to user space, not the
// mirrored ones; a UDP datagram from the instance's own stack
// (CHECKSUM_PARTIAL over veth) and a frame with a VLAN tag in the skb's
// metadata are punted.
func TestPrivilegedEndToEnd(t *testing.T) {
	p := loadPath(t)
	fabric, src, rcv := newNetns(t), newNetns(t), newNetns(t)
	ps := addPort(t, fabric, src, "fsrc", "isrc")
	pr := addPort(t, fabric, rcv, "frcv", "ircv")
	for _, idx := range []int{ps.fabricIdx, pr.fabricIdx} {
		if err := nsrun.Run(fabric, func() error { return p.Attach(idx) }); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { p.Close() }) // before the namespaces go (cleanups run last-in first-out)

	m, err := cloudmock.New(encapSpec(cloudmock.Ptr(600)))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := m.ENI("eni-web")
	const slot = 3
	web, adapter := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.20")
	// What the kernel holds: TCP is accepted both ways (group 0).
	rules := []Rule{{Accept: true, Proto: 6, Src: anyNet, Dst: anyNet, Slot: slot}}
	for _, dir := range []uint32{Ingress, Egress} {
		if err := p.SetPort(ps.fabricIdx, dir, ps.instMAC, resolver, rules); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.SetSession(slot, Session{VNI: 4242, OuterSrc: web, OuterDst: adapter, SrcMAC: routeMAC, DstMAC: pr.instMAC,
		MaxInner: 600, ReceiverIfindex: pr.fabricIdx}); err != nil {
		t.Fatal(err)
	}

	copies := packetSocket(t, rcv, "ircv", nil)
	ring := packetSocket(t, fabric, "fsrc", p.SocketFilter(Egress))
	ringIn := packetSocket(t, fabric, "fsrc", p.SocketFilter(Ingress))
	sendSrc := packetSocket(t, src, "isrc", nil)
	sendFab := packetSocket(t, fabric, "fsrc", nil)

	peer := netip.MustParseAddr("10.0.1.9")
	out := func(proto uint8, payload int) []byte { // from the instance
		return pkt{dstMAC: peerMAC, srcMAC: ps.instMAC, src: web, dst: peer, proto: proto, sport: 40000, dport: 80, payload: payload}.build()
	}
	egressTCP, egressLong, egressUDP := out(6, 100), out(6, 1200), out(17, 100)
	ingressTCP := pkt{dstMAC: ps.instMAC, srcMAC: peerMAC, src: peer, dst: web, proto: 6, sport: 80, dport: 40000, payload: 300}.build()
	ingressUDP := pkt{dstMAC: ps.instMAC, srcMAC: peerMAC, src: peer, dst: web, proto: 17, sport: 80, dport: 40000, payload: 30}.build()
	send := func(fd int, ifname string, ns netns.NsHandle, frame []byte) {
		t.Helper()
		err := nsrun.Run(ns, func() error {
			ifi, err := net.InterfaceByName(ifname)
			if err != nil {
				return err
			}
			return unix.Sendto(fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6})
		})
		if err != nil {
			t.Fatalf("send on %s: %v", ifname, err)
		}
	}
	send(sendSrc, "isrc", src, egressTCP)
	send(sendSrc, "isrc", src, egressLong)
	send(sendSrc, "isrc", src, egressUDP)
	send(sendFab, "fsrc", fabric, ingressTCP)
	send(sendFab, "fsrc", fabric, ingressUDP)

	got := readIPv4(copies, 500*time.Millisecond)
	seen := readIPv4(ring, 100*time.Millisecond)
	seenIn := readIPv4(ringIn, 100*time.Millisecond)
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
	if err := p.SetPort(ps.fabricIdx, Egress, ps.instMAC, resolver, rules); err != nil {
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
	if err := p.SetPort(ps.fabricIdx, Egress, ps.instMAC, resolver, rules); err != nil {
		t.Fatal(err)
	}
	tagger := vlanTagger(t)
	err = nsrun.Run(src, func() error {
		ifi, err := net.InterfaceByName("isrc")
		if err != nil {
			return err
		}
		l, err := link.AttachTCX(link.TCXOptions{Interface: ifi.Index, Program: tagger, Attach: ebpf.AttachTCXEgress})
		if err != nil {
			return err
		}
		t.Cleanup(func() { l.Close() })
		return nil
	})
	if err != nil {
		t.Fatalf("attach the VLAN tagger to isrc: %v", err)
	}
	tagged := out(6, 50)
	send(sendSrc, "isrc", src, tagged)
	if !contains(readIPv4(ring, 300*time.Millisecond), tagged) {
		t.Errorf("the capture ring did not see the VLAN frame")
	}
	if got := readIPv4(copies, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("the receiver got %d copies of a VLAN frame", len(got))
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

// vlanTagger is a tc program that pushes VLAN tag 5 into the skb's
// metadata (bpf_skb_vlan_push keeps it out of the data when no tag is
// there yet).
func vlanTagger(t *testing.T) *ebpf.Program {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SchedCLS, License: "GPL", Instructions: asm.Instructions{
		asm.Mov.Imm(asm.R2, int32(htons(unix.ETH_P_8021Q))),
		asm.Mov.Imm(asm.R3, 5),
		asm.FnSkbVlanPush.Call(),
		asm.Mov.Imm(asm.R0, -1), // TCX_NEXT
		asm.Return(),
	}})
	if err != nil {
		t.Fatalf("load the VLAN tagger: %v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}
