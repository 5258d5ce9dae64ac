package kpath

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// encapSpec is the reference walk-through (the web server's ENI mirrored
// to the adapter's) with filters accepting everything both ways, security
// groups that let every flow through, and the given packet length.
func encapSpec(packetLength *int) cloudmock.Spec {
	all := []cloudmock.IpPermission{{IpProtocol: "-1", IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}}
	accept := []cloudmock.TrafficMirrorFilterRule{{RuleNumber: 100, RuleAction: "accept", SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}}
	return cloudmock.Spec{
		Vpcs: []cloudmock.Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/24"}},
		Subnets: []cloudmock.Subnet{
			{SubnetId: "subnet-public", VpcId: "vpc-1", CidrBlock: "10.0.0.0/28"},
			{SubnetId: "subnet-adapter", VpcId: "vpc-1", CidrBlock: "10.0.0.16/28"},
		},
		SecurityGroups: []cloudmock.SecurityGroup{{GroupId: "sg-all", VpcId: "vpc-1", IpPermissions: all, IpPermissionsEgress: all}},
		NetworkInterfaces: []cloudmock.NetworkInterface{
			{NetworkInterfaceId: "eni-web", SubnetId: "subnet-public", PrivateIpAddress: "10.0.0.5", Groups: []string{"sg-all"}},
			{NetworkInterfaceId: "eni-adapter", SubnetId: "subnet-adapter", PrivateIpAddress: "10.0.0.20", Groups: []string{"sg-all"}},
		},
		TrafficMirrorFilters: []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "tmf-all", IngressFilterRules: accept, EgressFilterRules: accept}},
		TrafficMirrorTargets: []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-adapter", NetworkInterfaceId: "eni-adapter"}},
		TrafficMirrorSessions: []*cloudmock.TrafficMirrorSession{{
			TrafficMirrorSessionId: "tms-web", NetworkInterfaceId: "eni-web",
			TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-all",
			SessionNumber: 1, VirtualNetworkId: new(4242), PacketLength: packetLength,
		}},
	}
}

// encapRun runs the receiver port's egress program over a clone marked
// mark and returns the frame it lets go out, its verdict and its mark.
func encapRun(tb testing.TB, p *Path, frame []byte, mark uint32) ([]byte, uint32, uint32) {
	tb.Helper()
	out := make([]byte, len(frame)+MaxHeader)
	var ctxOut skbCtx
	opts := ebpf.RunOptions{Data: frame, DataOut: out, Context: skbCtx{Mark: mark}, ContextOut: &ctxOut}
	ret, err := p.objs.KpathTcEgress.Run(&opts)
	if err != nil {
		tb.Fatalf("encapsulate: %v", err)
	}
	return opts.DataOut, ret, ctxOut.Mark
}

// TestPrivilegedEncapMatchesCloudmock feeds random flows, both directions,
// random sizes and packet lengths (truncation included) to cloudmock and
// to the kernel path (decide, then the clone's encapsulation) and
// requires byte-identical frames: cloudmock's Decision.AppendWire and what
// the receiver's port program lets out.
func TestPrivilegedEncapMatchesCloudmock(t *testing.T) {
	p := loadPath(t)
	const slot = 42
	r := rand.New(rand.NewPCG(3, 4))
	compared, truncated := 0, 0
	for i := range 400 {
		var pl *int
		if r.IntN(2) == 0 {
			pl = new(MinMaxInner + r.IntN(1500))
		}
		m, err := cloudmock.New(encapSpec(pl))
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := m.ENI("eni-web")
		dir := uint32(r.IntN(2))
		k := randomPkt(r, dir, 2000)
		frame := k.build()

		d := m.Decide(ref, cloudmock.Direction(dir), frame)
		mirrored := d.Mirrored
		var dl cloudmock.Delivery
		if mirrored {
			dl = m.Deliver(&d)
			if !dl.Delivered {
				t.Fatalf("flow %d: cloudmock mirrored but did not deliver: %v", i, d)
			}
			if err := p.SetSession(slot, Session{VNI: d.VNI, OuterSrc: d.Outer.Src, OuterDst: dl.To,
				SrcMAC: routeMAC, DstMAC: recvMAC, MaxInner: d.MaxInner, ReceiverIfindex: noReceiver}); err != nil {
				t.Fatal(err)
			}
		}
		rules := []Rule{{Group: 1, Accept: true, Src: anyNet, Dst: anyNet, Slot: slot}}
		if err := p.SetPort(testIfindex, dir, Port{MAC: instMAC, Resolver: resolver, Rules: rules}); err != nil {
			t.Fatal(err)
		}
		mark := probe(t, p, dir, frame, skbCtx{})
		if mark>>24 != CloneTag {
			// Only the resolver's traffic is left to user space here,
			// and cloudmock does not mirror it either.
			if Punt(mark) != PuntNever || mirrored {
				t.Fatalf("flow %d (%v): kernel punts (%v), cloudmock: %v", i, d.Flow, Punt(mark), d)
			}
			continue
		}
		if !mirrored {
			t.Fatalf("flow %d: kernel mirrors, cloudmock does not: %v", i, d)
		}
		want := d.AppendWire(nil, cloudmock.FrameHeader{SrcMAC: routeMAC, DstMAC: recvMAC}, &dl, frame)
		out, ret, outMark := encapRun(t, p, frame, mark)
		if ret != tcxNext || outMark != DefaultCopyMark {
			t.Fatalf("flow %d: verdict %#x mark %#x, want TCX_NEXT and the copy mark", i, ret, outMark)
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("flow %d (%v, %d bytes, max inner %d): kernel frame differs from cloudmock's\nkernel:    %s\ncloudmock: %s",
				i, d.Flow, len(frame), d.MaxInner, hex.EncodeToString(out[:min(len(out), 80)]), hex.EncodeToString(want[:min(len(want), 80)]))
		}
		compared++
		if d.Truncated(len(frame)) {
			truncated++
		}
	}
	if compared < 350 || truncated < 50 {
		t.Fatalf("compared %d frames (%d truncated): too few", compared, truncated)
	}
	t.Logf("%d frames byte-identical to cloudmock's, %d of them truncated", compared, truncated)
}

// TestPrivilegedEncapUnknownSlot: a clone whose slot lost its session is
// dropped and counted.
func TestPrivilegedEncapUnknownSlot(t *testing.T) {
	p := loadPath(t)
	frame := tcpTo(1, 2).build()
	_, ret, _ := encapRun(t, p, frame, CloneTag<<24|5)
	if ret != 2 {
		t.Errorf("verdict %d, want TCX_DROP (2)", ret)
	}
	if n, err := p.GlobalErrors(); err != nil || n != 1 {
		t.Errorf("global errors %d (%v), want 1", n, err)
	}
}

// TestPrivilegedTCCounters runs the source port's ingress program: a
// mirrored packet is counted in its slot (the clone cannot be sent: the
// receiver's ifindex does not exist, so it also counts an error), a
// punted one by its reason; production always passes (TCX_NEXT).
func TestPrivilegedTCCounters(t *testing.T) {
	p := loadPath(t)
	rules := []Rule{{Group: 1, Accept: true, Proto: 6, Src: anyNet, Dst: anyNet, Slot: slotA}}
	if err := p.SetPort(testIfindex, Egress, Port{MAC: instMAC, Resolver: resolver, Rules: rules}); err != nil {
		t.Fatal(err)
	}
	if err := p.SetSession(slotA, Session{VNI: 1, OuterSrc: inst, OuterDst: inst, MaxInner: 64, ReceiverIfindex: noReceiver}); err != nil {
		t.Fatal(err)
	}
	run := func(frame []byte, ctx skbCtx) {
		t.Helper()
		ret, err := p.objs.KpathTcIngress.Run(&ebpf.RunOptions{Data: frame, Context: ctx})
		if err != nil {
			t.Fatal(err)
		}
		if ret != tcxNext {
			t.Fatalf("verdict %#x, want TCX_NEXT", ret)
		}
	}
	long, short := tcpTo(1, 2), with(tcpTo(1, 2), func(k *pkt) { k.payload = 0 })
	run(long.build(), skbCtx{})
	run(short.build(), skbCtx{})
	run(with(tcpTo(1, 2), func(k *pkt) { k.proto = 17 }).build(), skbCtx{}) // no match
	run(tcpTo(1, 2).build(), skbCtx{GSOSegs: 3})                            // offload
	run(tcpTo(1, 2).build(), skbCtx{Mark: DefaultCopyMark})                 // a copy: not looked at
	c, err := p.Counters(slotA)
	if err != nil {
		t.Fatal(err)
	}
	want := Counters{Packets: 2, Bytes: uint64(len(long.build()) + len(short.build())), Truncated: 0, Errors: 2}
	// Each copy: outer IPv4, UDP and VXLAN (36 bytes) and the inner frame
	// cut to MaxInner.
	want.WireBytes = uint64(36+min(len(long.build()), 64)) + uint64(36+min(len(short.build()), 64))
	if len(long.build()) > 64 {
		want.Truncated = 1
	}
	if c != want {
		t.Errorf("counters %+v, want %+v", c, want)
	}
	punts, err := p.Punts()
	if err != nil {
		t.Fatal(err)
	}
	var wantPunts [NumPunts]uint64
	wantPunts[PuntNoMatch], wantPunts[PuntOffload] = 1, 1
	if punts != wantPunts {
		t.Errorf("punts %v, want %v", punts, wantPunts)
	}
}
