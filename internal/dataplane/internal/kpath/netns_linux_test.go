package kpath

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

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
		if err := l.h.LinkSetMTU(l.l, 9001); err != nil { // AWS's default
			t.Fatal(err)
		}
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

// lab is a throw-away fabric namespace with two ports (MTU 9001): the
// source ENI's (fsrc, instance end isrc in src) and the receiver's (frcv,
// ircv in rcv), the path attached to both, and packet sockets: copies on
// the receiver's instance end, the two capture rings on fsrc with the
// path's socket filters, and senders in the instance and in the fabric.
type lab struct {
	p                              *Path
	fabric, src, rcv               netns.NsHandle
	ps, pr                         port
	copies, ring, ringIn, ringBoth int
	sendSrc, sendFab               int
}

func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{p: loadPath(t)}
	l.fabric, l.src, l.rcv = privtest.Netns(t), privtest.Netns(t), privtest.Netns(t)
	l.ps = addPort(t, l.fabric, l.src, "fsrc", "isrc")
	l.pr = addPort(t, l.fabric, l.rcv, "frcv", "ircv")
	for _, idx := range []int{l.ps.fabricIdx, l.pr.fabricIdx} {
		err := nsrun.Run(l.fabric, func() error { return l.p.Attach(idx) })
		privtest.SkipIfNotSupported(t, err) // TCX: Linux 6.6
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { l.p.Close() }) // before the namespaces go (cleanups run last-in first-out)
	l.copies = packetSocket(t, l.rcv, "ircv", nil)
	l.ring = packetSocket(t, l.fabric, "fsrc", l.p.SocketFilter(Egress))
	l.ringIn = packetSocket(t, l.fabric, "fsrc", l.p.SocketFilter(Ingress))
	l.ringBoth = packetSocket(t, l.fabric, "fsrc", l.p.SocketFilterBoth())
	l.sendSrc = packetSocket(t, l.src, "isrc", nil)
	l.sendFab = packetSocket(t, l.fabric, "fsrc", nil)
	return l
}

// fromInst sends frame from the instance (direction Egress at fsrc).
func (l *lab) fromInst(t *testing.T, frame []byte) { l.send(t, l.sendSrc, "isrc", l.src, frame) }

// toInst sends frame toward the instance (direction Ingress at fsrc).
func (l *lab) toInst(t *testing.T, frame []byte) { l.send(t, l.sendFab, "fsrc", l.fabric, frame) }

func (l *lab) send(t *testing.T, fd int, ifname string, ns netns.NsHandle, frame []byte) {
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
