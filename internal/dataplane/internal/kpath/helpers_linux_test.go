package kpath

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// skbCtx is struct __sk_buff (linux/bpf.h), the context BPF_PROG_TEST_RUN
// takes for tc programs and socket filters.
type skbCtx struct {
	Len, PktType, Mark, QueueMapping, Protocol, VlanPresent, VlanTCI, VlanProto uint32
	Priority, IngressIfindex, Ifindex, TCIndex                                  uint32
	CB                                                                          [5]uint32
	Hash, TCClassid, Data, DataEnd, NapiID, Family, RemoteIP4, LocalIP4         uint32
	RemoteIP6, LocalIP6                                                         [4]uint32
	RemotePort, LocalPort, DataMeta                                             uint32
	FlowKeys, Tstamp                                                            uint64
	WireLen, GSOSegs                                                            uint32
	Sk                                                                          uint64
	GSOSize                                                                     uint32
	TstampType                                                                  uint8
	_                                                                           [3]byte
	Hwtstamp                                                                    uint64
}

// testIfindex is the port the test runs see: BPF_PROG_TEST_RUN runs on
// the loopback device (ifindex 1) when the context names no other.
const testIfindex = 1

const tcxNext = 0xffffffff // TCX_NEXT (-1) as test_run returns it

func loadPath(tb testing.TB) *Path {
	tb.Helper()
	privtest.Require(tb)
	p, err := Load()
	privtest.SkipIfNotSupported(tb, err) // BTF, kfuncs, TCX program types
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Error(err)
		}
	})
	// BPF_PROG_TEST_RUN sends nothing: the test sessions' receiver
	// (which does not exist) counts as attached.
	p.attached[noReceiver] = true
	return p
}

// noReceiver is the receiver ifindex of the test_run sessions: no such
// interface, so a clone the tc programs try to send fails (and counts).
const noReceiver = 1 << 30

// probe returns decide's verdict for frame at the test port in dir: the
// clone mark when the kernel mirrors, else the punt reason.
func probe(tb testing.TB, p *Path, dir uint32, frame []byte, ctx skbCtx) uint32 {
	tb.Helper()
	ctx.CB[0] = dir
	ret, err := p.objs.KpathProbe.Run(&ebpf.RunOptions{Data: frame, Context: ctx})
	if err != nil {
		tb.Fatalf("probe: %v", err)
	}
	return ret
}

// sockFilter runs a socket filter over frame. test_run hands a socket
// filter the packet from its network header (it pulls an Ethernet header
// first), while a packet socket runs it from the MAC header; a throw-away
// Ethernet header in front makes the frame start at offset 0 as on a ring.
func sockFilter(tb testing.TB, prog *ebpf.Program, frame []byte, ctx skbCtx) uint32 {
	tb.Helper()
	data := append(make([]byte, 0, 14+len(frame)), 2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8, 0x08, 0x00)
	data = append(data, frame...)
	ret, err := prog.Run(&ebpf.RunOptions{Data: data, Context: ctx})
	if err != nil {
		tb.Fatalf("socket filter: %v", err)
	}
	return ret
}

var (
	instMAC  = [6]byte{0x02, 0x00, 0x0a, 0x00, 0x00, 0x05}
	peerMAC  = [6]byte{0x02, 0x00, 0x0a, 0x00, 0x00, 0x01}
	routeMAC = [6]byte{0x02, 0xfe, 0x00, 0x00, 0x00, 0x10}
	recvMAC  = [6]byte{0x02, 0x00, 0x0a, 0x00, 0x00, 0x14}
)

// pkt describes a test frame.
type pkt struct {
	dstMAC, srcMAC [6]byte
	etherType      uint16 // 0: IPv4
	src, dst       netip.Addr
	proto          uint8
	sport, dport   uint16
	payload        int
	ihl            uint8   // 0: 5
	frag           uint16  // flags and offset
	l4Len          int     // -1: the protocol's header length
	totLenDelta    int     // added to the IPv4 total length
	icmp           [2]byte // ICMP type and code (proto 1 or 58)
	exts           []uint8 // IPv6: 8-byte extension headers of these types before the protocol's
}

// build writes the frame: Ethernet, IPv4 (checksum correct; IPv6 when
// src is an IPv6 address, see build6), a TCP (20) or UDP (8) header with
// the ports, or 8 bytes of header for other protocols, and payload bytes.
func (k pkt) build() []byte {
	if k.src.Is6() {
		return k.build6()
	}
	et := k.etherType
	if et == 0 {
		et = 0x0800
	}
	ihl := k.ihl
	if ihl == 0 {
		ihl = 5
	}
	l4 := k.l4Bytes()
	ipLen := int(ihl)*4 + l4 + k.payload
	f := make([]byte, 14+ipLen)
	copy(f[0:], k.dstMAC[:])
	copy(f[6:], k.srcMAC[:])
	binary.BigEndian.PutUint16(f[12:], et)
	ip := f[14:]
	ip[0] = 0x40 | ihl
	binary.BigEndian.PutUint16(ip[2:], uint16(ipLen+k.totLenDelta))
	binary.BigEndian.PutUint16(ip[6:], k.frag)
	ip[8], ip[9] = 64, k.proto
	s, d := k.src.As4(), k.dst.As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	var sum uint32
	for i := 0; i < int(ihl)*4; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	sum = sum>>16 + sum&0xffff
	sum += sum >> 16
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	k.transport(ip[int(ihl)*4:], l4)
	return f
}

// l4Bytes is the transport header's length build writes.
func (k pkt) l4Bytes() int {
	switch {
	case k.l4Len > 0 || k.l4Len == 0 && k.proto == 0:
		return max(k.l4Len, 0)
	case k.proto == 6:
		return 20
	}
	return 8
}

// build6 writes an IPv6 frame: Ethernet, IPv6 (hop limit 64), the
// extension headers exts (a fragment header's offset and M flag: frag),
// the transport header as build's, and payload bytes.
func (k pkt) build6() []byte {
	l4 := k.l4Bytes()
	ext := 8 * len(k.exts)
	f := make([]byte, 14+40+ext+l4+k.payload)
	copy(f[0:], k.dstMAC[:])
	copy(f[6:], k.srcMAC[:])
	et := k.etherType
	if et == 0 {
		et = 0x86dd
	}
	binary.BigEndian.PutUint16(f[12:], et)
	ip := f[14:]
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(ext+l4+k.payload+k.totLenDelta))
	ip[7] = 64
	s, d := k.src.As16(), k.dst.As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	next := &ip[6]
	for i, typ := range k.exts {
		h := ip[40+8*i:]
		*next, next = typ, &h[0]
		if typ == 44 {
			binary.BigEndian.PutUint16(h[2:], k.frag)
		}
	}
	*next = k.proto
	k.transport(ip[40+ext:], l4)
	return f
}

// transport writes the transport header of l4 bytes and the payload
// into t.
func (k pkt) transport(t []byte, l4 int) {
	if (k.proto == 6 || k.proto == 17) && l4 >= 4 {
		binary.BigEndian.PutUint16(t[0:], k.sport)
		binary.BigEndian.PutUint16(t[2:], k.dport)
	}
	if k.proto == 6 && l4 >= 14 {
		t[12], t[13] = 0x50, 0x18
	}
	if k.proto == 17 && l4 >= 8 {
		binary.BigEndian.PutUint16(t[4:], uint16(l4+k.payload))
	}
	if (k.proto == 1 || k.proto == 58) && l4 >= 2 {
		t[0], t[1] = k.icmp[0], k.icmp[1]
	}
	for i := l4; i < len(t); i++ {
		t[i] = byte(i * 7)
	}
}

// randomPkt is a random flow toward (dir Ingress) or from the instance
// 10.0.0.5 with MAC instMAC.
func randomPkt(r *rand.Rand, dir uint32, maxPayload int) pkt {
	peer := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
	inst := netip.MustParseAddr("10.0.0.5")
	protos := []uint8{6, 6, 17, 17, 1, 47}
	k := pkt{dstMAC: instMAC, srcMAC: peerMAC, src: peer, dst: inst, proto: protos[r.IntN(len(protos))],
		sport: uint16(r.IntN(65536)), dport: uint16(r.IntN(65536)), payload: r.IntN(maxPayload + 1)}
	if r.IntN(4) == 0 {
		k.sport = k.dport // equal ports, and sometimes equal addresses
		if r.IntN(2) == 0 {
			k.src = k.dst
		}
	}
	if dir == Egress {
		k.dstMAC, k.srcMAC = k.srcMAC, k.dstMAC
		k.src, k.dst = k.dst, k.src
		k.sport, k.dport = k.dport, k.sport
	}
	return k
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

var anyNet = pfx("0.0.0.0/0")

// probeCtx is probe that also returns the context the probe left: cb[1]
// and cb[2] name the route of a mirrored packet.
func probeCtx(tb testing.TB, p *Path, frame []byte, ctx skbCtx) (uint32, skbCtx) {
	tb.Helper()
	var out skbCtx
	ret, err := p.objs.KpathProbe.Run(&ebpf.RunOptions{Data: frame, Context: ctx, ContextOut: &out})
	if err != nil {
		tb.Fatalf("probe: %v", err)
	}
	return ret, out
}
