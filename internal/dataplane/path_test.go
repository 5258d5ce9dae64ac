package dataplane

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// pathFixture is a pipeline with the model and a queue but no kernel
// objects: the per-packet capture path in isolation.
func pathFixture(tb testing.TB, packetLength int) (*pipeline, []byte) {
	tb.Helper()
	m, err := cloudmock.New(fixtureSpec(packetLength))
	if err != nil {
		tb.Fatal(err)
	}
	s := &Service{cfg: Config{}.withDefaults(), byKey: map[targetKey]*targetAddr{}, pcaps: map[string]*pcapWriter{},
		captured: map[string]*sim.ENI{"eni-src": {}}, health: &healthGen{done: make(chan struct{})}}
	v := &view{model: m, targets: map[targetKey]*targetAddr{}}
	for id, addrs := range m.TargetAddrs() {
		for _, a := range addrs {
			v.targets[targetKey{id, a}] = &targetAddr{id: id, addr: a}
		}
	}
	s.cur.Store(v)
	ref, _ := m.ENI("eni-src")
	mac := [6]byte{2, 0, 10, 0, 0, 5}
	p := &pipeline{svc: s, eni: ref, eniID: "eni-src", dir: cloudmock.Ingress, mac: mac,
		q: newQueue(64, 9200)}
	f, err := cloudmock.BuildFrame(cloudmock.Packet{Proto: 17, Src: m.ENIAddr(ref).Prev(), Dst: m.ENIAddr(ref),
		SrcPort: 40000, DstPort: 9000, PayloadLen: 1358, DstMAC: mac})
	if err != nil {
		tb.Fatal(err)
	}
	return p, f
}

// fixtureSpec is pathFixture's account: eni-src mirrored to eni-dst, VNI 1.
func fixtureSpec(packetLength int) cloudmock.Spec {
	spec := cloudmock.Spec{
		Vpcs:    []cloudmock.Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/24"}},
		Subnets: []cloudmock.Subnet{{SubnetId: "s", VpcId: "vpc-1", CidrBlock: "10.0.0.0/24"}},
		NetworkInterfaces: []cloudmock.NetworkInterface{
			{NetworkInterfaceId: "eni-src", SubnetId: "s", PrivateIpAddress: "10.0.0.5"},
			{NetworkInterfaceId: "eni-dst", SubnetId: "s", PrivateIpAddress: "10.0.0.20"},
		},
		TrafficMirrorFilters: []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "f",
			IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{{RuleNumber: 1, RuleAction: "accept", Protocol: 17,
				SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}}}},
		TrafficMirrorTargets:  []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "t", NetworkInterfaceId: "eni-dst"}},
		TrafficMirrorSessions: []*cloudmock.TrafficMirrorSession{{TrafficMirrorSessionId: "s1", NetworkInterfaceId: "eni-src", TrafficMirrorTargetId: "t", TrafficMirrorFilterId: "f", SessionNumber: 1, VirtualNetworkId: new(1)}},
	}
	if packetLength > 0 {
		spec.TrafficMirrorSessions[0].PacketLength = new(packetLength)
	}
	return spec
}

func TestHandleEnqueuesEncapsulated(t *testing.T) {
	p, f := pathFixture(t, 0)
	p.handle(f, 1, false)
	first, n := p.q.peek(8)
	if n != 1 {
		t.Fatalf("queue holds %d datagrams, want 1", n)
	}
	s := p.q.at(first)
	d := s.buf[s.ipOff:s.n]
	if s.dst.String() != "10.0.0.20" || len(d) != 20+8+8+len(f) || d[9] != 17 || d[28] != 0x08 {
		t.Fatalf("datagram to %s of %d bytes: %x", s.dst, len(d), d[:36])
	}
	// A frame not addressed to the ENI (bridge flooding) is ignored.
	g := append([]byte(nil), f...)
	g[5] = 99
	p.handle(g, 2, false)
	if p.st.foreign.Load() != 1 || p.q.depth() != 1 {
		t.Fatalf("foreign frame: foreign=%d depth=%d", p.st.foreign.Load(), p.q.depth())
	}
}

func TestHandleNoAlloc(t *testing.T) {
	p, f := pathFixture(t, 0)
	allocs := testing.AllocsPerRun(1000, func() {
		p.handle(f, 1, false)
		_, n := p.q.peek(64)
		p.q.release(n)
	})
	if allocs != 0 {
		t.Fatalf("the capture path allocates %.1f times per packet", allocs)
	}
}

// BenchmarkHandle is the capture path per packet: decide, deliver,
// encapsulate into the queue (the sender's syscall excluded).
func BenchmarkHandle(b *testing.B) {
	for _, size := range []int{64, 1400} {
		b.Run(map[int]string{64: "64B", 1400: "1400B"}[size], func(b *testing.B) {
			p, f := pathFixture(b, 0)
			f = f[:size]
			f[16], f[17] = byte((size-14)>>8), byte(size-14) // IPv4 total length
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				p.handle(f, 1, false)
				if p.q.depth() >= 32 {
					_, n := p.q.peek(64)
					p.q.release(n)
				}
			}
		})
	}
}
