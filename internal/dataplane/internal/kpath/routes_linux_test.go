package kpath

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// routeSpec is encapSpec without the source's security groups, with
// three possible receivers (adapter, adapter-2, adapter-3) and the target
// that variant names:
//
//   - eni: the adapter;
//   - eni-nacl: the adapter, whose subnet's ACL denies the source's UDP;
//   - eni-sg: the adapter, whose security group lets only TCP in;
//   - nlb: a Network Load Balancer with the three registered;
//   - nlb-no-listener: the same without its UDP 4789 listener;
//   - gwlb: a Gateway Load Balancer endpoint with the three appliances;
//   - eni6, nlb6, gwlb6: the same over IPv6 (web and the adapter with
//     primary IPv6 addresses, the load balancers dual-stack: copies reach
//     the adapter, the NLB's targets, the endpoint over IPv6).
func routeSpec(variant string, packetLength *int) cloudmock.Spec {
	if v4, ok := strings.CutSuffix(variant, "6"); ok {
		s := routeSpec(v4, packetLength)
		s.Vpcs[0].Ipv6CidrBlock = "2001:db8::/56"
		s.Subnets[0].Ipv6CidrBlock, s.Subnets[1].Ipv6CidrBlock = "2001:db8::/64", "2001:db8:0:1::/64"
		for i := range s.NetworkInterfaces {
			n := &s.NetworkInterfaces[i]
			a := netip.MustParseAddr(n.PrivateIpAddress).As4()
			sub := byte(0)
			if n.SubnetId == "subnet-adapter" {
				sub = 1
			}
			n.Ipv6Address = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, sub, 15: a[3]}).String()
			n.EnablePrimaryIpv6 = n.NetworkInterfaceId == "eni-web" || n.NetworkInterfaceId == "eni-adapter"
		}
		for i := range s.LoadBalancers {
			s.LoadBalancers[i].Ipv6Address = "2001:db8:0:1::25"
		}
		all6 := []cloudmock.IpPermission{{IpProtocol: "-1", Ipv6Ranges: []cloudmock.Ipv6Range{{CidrIpv6: "::/0"}}}}
		s.SecurityGroups[0].IpPermissions = append(s.SecurityGroups[0].IpPermissions, all6...)
		return s
	}
	s := encapSpec(packetLength)
	s.NetworkInterfaces[0].Groups = nil
	tcp := []cloudmock.IpPermission{{IpProtocol: "tcp", FromPort: 0, ToPort: 65535, IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}}
	s.SecurityGroups = append(s.SecurityGroups, cloudmock.SecurityGroup{GroupId: "sg-tcp", VpcId: "vpc-1", IpPermissions: tcp})
	s.NetworkInterfaces = append(s.NetworkInterfaces,
		cloudmock.NetworkInterface{NetworkInterfaceId: "eni-adapter-2", SubnetId: "subnet-adapter", PrivateIpAddress: "10.0.0.21", Groups: []string{"sg-all"}},
		cloudmock.NetworkInterface{NetworkInterfaceId: "eni-adapter-3", SubnetId: "subnet-adapter", PrivateIpAddress: "10.0.0.22", Groups: []string{"sg-all"}})
	targets := []cloudmock.TargetDescription{{NetworkInterfaceId: "eni-adapter"}, {NetworkInterfaceId: "eni-adapter-2"}, {NetworkInterfaceId: "eni-adapter-3"}}
	lb := cloudmock.LoadBalancer{LoadBalancerArn: "arn-lb", Type: "network", SubnetId: "subnet-adapter", PrivateIpAddress: "10.0.0.25",
		Listeners: []cloudmock.Listener{{Protocol: "UDP", Port: 4789}}, Targets: targets}
	t := s.TrafficMirrorTargets[0]
	switch variant {
	case "eni-nacl":
		s.NetworkAcls = []cloudmock.NetworkAcl{{NetworkAclId: "acl-adapter", VpcId: "vpc-1",
			Associations: []cloudmock.NetworkAclAssociation{{SubnetId: "subnet-adapter"}},
			Entries: []cloudmock.NetworkAclEntry{
				{RuleNumber: 10, Protocol: "udp", RuleAction: "deny", CidrBlock: "10.0.0.5/32"},
				{RuleNumber: 20, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
			}}}
	case "eni-sg":
		s.NetworkInterfaces[1].Groups = []string{"sg-tcp"}
	case "nlb", "nlb-no-listener":
		if variant == "nlb-no-listener" {
			lb.Listeners = nil
		}
		s.LoadBalancers = []cloudmock.LoadBalancer{lb}
		*t = cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: t.TrafficMirrorTargetId, NetworkLoadBalancerArn: "arn-lb"}
	case "gwlb":
		lb.Type, lb.VpcEndpointId, lb.Listeners = "gateway", "vpce-gwlb", nil
		s.LoadBalancers = []cloudmock.LoadBalancer{lb}
		*t = cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: t.TrafficMirrorTargetId, GatewayLoadBalancerEndpointId: "vpce-gwlb"}
	}
	return s
}

// receivers are the test's receivers: a fake port and a MAC each.
var receivers = map[string]struct {
	ifindex int
	mac     [6]byte
}{
	"eni-adapter":   {noReceiver + 1, [6]byte{2, 0, 10, 0, 0, 20}},
	"eni-adapter-2": {noReceiver + 2, [6]byte{2, 0, 10, 0, 0, 21}},
	"eni-adapter-3": {noReceiver + 3, [6]byte{2, 0, 10, 0, 0, 22}},
}

// routeOne runs frame (seen in dir at web's port) through the model and
// the kernel and fails the test where they part: the model's delivery of
// its copy, false when neither mirrors it.
func routeOne(t *testing.T, p *Path, m *cloudmock.Model, plan *Plan, frame []byte, dir uint32) (cloudmock.Delivery, bool) {
	t.Helper()
	ref, _ := m.ENI("eni-web")
	d := m.Decide(ref, cloudmock.Direction(dir), frame)
	ctx := skbCtx{}
	ctx.CB[0] = dir
	mark, ctxOut := probeCtx(t, p, frame, ctx)
	if mark>>24 != CloneTag {
		if Punt(mark) != PuntNever || d.Mirrored {
			t.Errorf("kernel punts (%v), cloudmock: %v", Punt(mark), d)
		}
		return cloudmock.Delivery{}, false
	}
	if !d.Mirrored || plan.Sessions[(mark&0xffff)/2].SessionId != d.SessionId {
		t.Errorf("kernel mirrors into slot %d, cloudmock: %v", mark&0xffff, d)
		return cloudmock.Delivery{}, true
	}
	dl := m.Deliver(&d)
	if !dl.Delivered {
		if ctxOut.CB[1] != 0 || cloudmock.DeliveryReason(ctxOut.CB[2]) != dl.Reason {
			t.Errorf("kernel route to port %d (lost: %d), cloudmock: %v", ctxOut.CB[1], ctxOut.CB[2], dl)
		}
		return dl, true
	}
	recv := receivers[dl.ToId]
	if int(ctxOut.CB[1]) != recv.ifindex {
		t.Errorf("kernel sends to port %d, cloudmock to %s (port %d)", ctxOut.CB[1], dl.ToId, recv.ifindex)
	}
	want := d.AppendWire(nil, cloudmock.FrameHeader{SrcMAC: routeMAC, DstMAC: recv.mac}, &dl, frame)
	out, ret, outMark := encapRun(t, p, frame, mark)
	if ret != tcxNext || outMark != DefaultCopyMark {
		t.Errorf("verdict %#x mark %#x, want TCX_NEXT and the copy mark", ret, outMark)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("(%d bytes, max inner %d): kernel frame differs from cloudmock's\nkernel:    %s\ncloudmock: %s",
			len(frame), d.MaxInner, hex.EncodeToString(out[:min(len(out), 140)]), hex.EncodeToString(want[:min(len(want), 140)]))
	}
	return dl, true
}

// installRoutes installs the plan of m's web ENI into p, each session's
// copies by their routes (slot 2*session+direction), as the data plane
// does; it fails the test when the plan leaves a direction to user space.
func installRoutes(t *testing.T, p *Path, m *cloudmock.Model) Plan {
	t.Helper()
	ref, _ := m.ENI("eni-web")
	plan := PlanModel(m, []cloudmock.ENIRef{ref})
	if err := p.SetConfig(Config{CopyMark: DefaultCopyMark, RejectStops: plan.RejectStops}); err != nil {
		t.Fatal(err)
	}
	for _, r := range receivers {
		p.attached[r.ifindex] = true
	}
	for dir, pd := range plan.ENIs[0].Dirs {
		if pd.Why != "" {
			t.Fatalf("direction %d is left to user space: %s", dir, pd.Why)
		}
		slot := func(s int) uint32 { return uint32(2*s + dir) }
		if err := p.SetPort(testIfindex, uint32(dir), installable(pd, instMAC, 0, slot)); err != nil {
			t.Fatal(err)
		}
		for i, ps := range plan.Sessions {
			s := Session{MaxInner: ps.Session.MaxInner}
			for _, c := range ps.Copies {
				r := receivers[c.Delivery.ToId]
				s.Routes = append(s.Routes, c.Route(routeMAC, r.mac, r.ifindex, slot(i)))
			}
			if err := p.SetSession(slot(i), s); err != nil {
				t.Fatal(err)
			}
		}
	}
	return plan
}

// TestPrivilegedRoutesMatchCloudmock is the differential test of the
// routes: for each kind of target (an ENI, one whose ACL or security
// group drops the copies, a Network Load Balancer with and without its
// listener and with some targets unhealthy, a Gateway Load Balancer
// endpoint), random packets and packet lengths go through the model
// (Decide, Deliver, AppendWire) and the kernel (decide, the route, the
// receiver port's program): the kernel sends a copy where the model
// delivers one, to the same receiver's port, byte for byte, and counts a
// copy lost for the model's reason where the model loses it.
func TestPrivilegedRoutesMatchCloudmock(t *testing.T) {
	p := loadPath(t)
	r := rand.New(rand.NewPCG(7, 8))
	variants := []string{"eni", "eni-nacl", "eni-sg", "nlb", "nlb-no-listener", "gwlb", "eni6", "nlb6", "gwlb6"}
	seen := map[string]map[cloudmock.DeliveryReason]int{}
	receiversSeen := map[string]map[string]bool{}
	for round := range 54 {
		variant := variants[round%len(variants)]
		var pl *int
		if r.IntN(2) == 0 {
			pl = new(MinMaxInner + r.IntN(1500))
		}
		m, err := cloudmock.New(routeSpec(variant, pl))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(variant, "nlb") && variant != "nlb-no-listener" || strings.HasPrefix(variant, "gwlb") {
			// Some rounds with targets down, one round with none up.
			for _, id := range []string{"eni-adapter", "eni-adapter-2", "eni-adapter-3"} {
				healthy := round >= 30 && variant == "nlb" || r.IntN(3) != 0
				lb := "arn-lb"
				if strings.HasPrefix(variant, "gwlb") {
					lb = "vpce-gwlb"
				}
				if err := m.SetTargetHealth(lb, id, healthy && round != 3); err != nil {
					t.Fatal(err)
				}
			}
		}
		plan := installRoutes(t, p, m)
		if seen[variant] == nil {
			seen[variant], receiversSeen[variant] = map[cloudmock.DeliveryReason]int{}, map[string]bool{}
		}
		for i := range 60 {
			dir := uint32(r.IntN(2))
			dl, ok := routeOne(t, p, m, &plan, randomPkt(r, dir, 1800).build(), dir)
			if !ok {
				continue
			}
			if t.Failed() {
				t.Fatalf("%s round %d packet %d", variant, round, i)
			}
			seen[variant][dl.Reason]++
			if dl.Delivered {
				receiversSeen[variant][dl.ToId] = true
			}
		}
	}
	// Every variant must have shown what it is for.
	want := map[string]cloudmock.DeliveryReason{"eni": cloudmock.Delivered, "eni-nacl": cloudmock.DroppedByTargetNACL,
		"eni-sg": cloudmock.DroppedByTargetSG, "nlb": cloudmock.Delivered, "nlb-no-listener": cloudmock.NoListener, "gwlb": cloudmock.Delivered,
		"eni6": cloudmock.Delivered, "nlb6": cloudmock.Delivered, "gwlb6": cloudmock.Delivered}
	for v, reason := range want {
		if seen[v][reason] < 20 {
			t.Errorf("%s: %d copies %s, want at least 20 (%v)", v, seen[v][reason], reason, seen[v])
		}
	}
	if seen["nlb"][cloudmock.NoHealthyTarget] == 0 {
		t.Errorf("nlb: no copy lost for want of a healthy target (%v)", seen["nlb"])
	}
	for _, v := range []string{"nlb", "gwlb", "nlb6", "gwlb6"} {
		if len(receiversSeen[v]) < 3 {
			t.Errorf("%s: copies reached %d receivers, want all 3", v, len(receiversSeen[v]))
		}
	}
	t.Logf("copies by variant and delivery: %v", seen)
}

// TestPrivilegedLostCopiesCounted runs the source port's program where
// the target's ACL drops every copy: nothing is cloned (no error, no
// copy sent), and each mirrored packet is counted lost for that reason,
// with its bytes and whether it would have been cut.
func TestPrivilegedLostCopiesCounted(t *testing.T) {
	p := loadPath(t)
	m, err := cloudmock.New(routeSpec("eni-nacl", new(100)))
	if err != nil {
		t.Fatal(err)
	}
	installRoutes(t, p, m)
	var want Tally
	for i := range 10 {
		k := tcpTo(1, 2)
		k.payload = i * 20
		frame := k.build()
		ret, err := p.objs.KpathTcIngress.Run(&ebpf.RunOptions{Data: frame}) // from the instance
		if err != nil || ret != tcxNext {
			t.Fatalf("verdict %#x (%v), want TCX_NEXT", ret, err)
		}
		want.Packets++
		want.Bytes += uint64(len(frame))
		if len(frame) > 100 {
			want.Truncated++
		}
	}
	c, err := p.Counters(1) // session 0, egress
	if err != nil {
		t.Fatal(err)
	}
	var wantC Counters
	wantC.Lost[cloudmock.DroppedByTargetNACL] = want
	if c != wantC || want.Truncated == 0 || want.Truncated == want.Packets {
		t.Errorf("counters %+v, want %+v", c, wantC)
	}
}

// TestPrivilegedForwardPassesOthers: the forward program hands on only
// tagged copies (BPF_PROG_TEST_RUN cannot set an skb hash, so the tagged
// case is tested through a lab: dataplane's
// TestPrivilegedKernelCrossVPCMatchesUserSpace); untagged traffic to a
// forwarded receiver, IPv4 or IPv6, passes, unmarked.
func TestPrivilegedForwardPassesOthers(t *testing.T) {
	p := loadPath(t)
	if err := p.SetForward(inst, 7); err != nil {
		t.Fatal(err)
	}
	k := with(tcpTo(65408, 4789), func(k *pkt) { k.proto, k.dst = 17, inst })
	var out skbCtx
	ret, err := p.objs.KpathTcForward.Run(&ebpf.RunOptions{Data: k.build(), ContextOut: &out})
	if err != nil || ret != tcxNext || out.Mark != 0 {
		t.Fatalf("verdict %#x mark %#x (%v), want TCX_NEXT and no mark", ret, out.Mark, err)
	}
	k6 := with(k, func(k *pkt) { k.src, k.dst = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::5") })
	if err := p.SetForward(k6.dst, 7); err != nil {
		t.Fatal(err)
	}
	ret, err = p.objs.KpathTcForward.Run(&ebpf.RunOptions{Data: k6.build(), ContextOut: &out})
	if err != nil || ret != tcxNext || out.Mark != 0 {
		t.Fatalf("over IPv6: verdict %#x mark %#x (%v), want TCX_NEXT and no mark", ret, out.Mark, err)
	}
	if err := p.SetForward(netip.Addr{}, 7); err == nil {
		t.Error("no receiver address: no error")
	}
	for _, a := range []netip.Addr{inst, k6.dst} {
		if err := p.DeleteForward(a); err != nil {
			t.Error(err)
		}
	}
}
