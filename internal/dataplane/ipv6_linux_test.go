package dataplane

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// A dual-stack lab of its own (the shared one is IPv4 only, so the other
// tests see no IPv6 control traffic): web (10.0.0.5, 2001:db8:0:100::5)
// and client (.6, ::6) in public; tgt4 (.20, ::20) in adapter; tgt6 (.36,
// ::36, MTU 1500) in small.
func dualStackLab(t *testing.T) *sim.Lab {
	t.Helper()
	privtest.Require(t)
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	topo := sim.Topology{VPCs: []sim.VPCSpec{{Name: "vpc6", CIDR: p("10.0.0.0/24"), IPv6CIDR: p("2001:db8:0:100::/56"),
		Subnets: []sim.SubnetSpec{
			{Name: "public", CIDR: p("10.0.0.0/28"), IPv6CIDR: p("2001:db8:0:100::/64")},
			{Name: "adapter", CIDR: p("10.0.0.16/28"), IPv6CIDR: p("2001:db8:0:101::/64")},
			{Name: "small", CIDR: p("10.0.0.32/28"), IPv6CIDR: p("2001:db8:0:102::/64")},
		}}}}
	for _, e := range []struct {
		name, subnet, ip, ip6 string
		mtu                   int
	}{
		{"web", "public", "10.0.0.5", "2001:db8:0:100::5", 0},
		{"client", "public", "10.0.0.6", "2001:db8:0:100::6", 0},
		{"tgt4", "adapter", "10.0.0.20", "2001:db8:0:101::20", 0},
		{"tgt6", "small", "10.0.0.36", "2001:db8:0:102::36", 1500},
	} {
		topo.Instances = append(topo.Instances, sim.InstanceSpec{Name: e.name, VPC: "vpc6",
			ENIs: []sim.ENISpec{{Name: "eth0", Subnet: e.subnet, IP: a(e.ip), IPv6: a(e.ip6), MTU: e.mtu}}})
	}
	lab, err := sim.Realize(context.Background(), topo, sim.Options{})
	if err != nil {
		t.Fatalf("realize dual-stack lab: %v", err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("close lab: %v", err)
		}
	})
	return lab
}

// dualStackSpec: web mirrors inbound UDP over IPv6 to port 9000 to tgt6
// (session 1: both primary IPv6, so the copies go over IPv6) and to port
// 9001 to tgt4 (session 2: tgt4 has no primary IPv6, so over IPv4).
func dualStackSpec() cloudmock.Spec {
	s := cloudmock.Spec{Vpcs: []cloudmock.Vpc{{VpcId: "vpc6", CidrBlock: "10.0.0.0/24", Ipv6CidrBlock: "2001:db8:0:100::/56"}}}
	for i, sn := range []string{"public", "adapter", "small"} {
		s.Subnets = append(s.Subnets, cloudmock.Subnet{SubnetId: "subnet-" + sn, VpcId: "vpc6",
			CidrBlock: []string{"10.0.0.0/28", "10.0.0.16/28", "10.0.0.32/28"}[i], Ipv6CidrBlock: []string{"2001:db8:0:100::/64", "2001:db8:0:101::/64", "2001:db8:0:102::/64"}[i]})
	}
	for _, e := range []struct {
		id, subnet, ip, ip6 string
		mtu                 int
		primary             bool
	}{
		{"eni-web", "subnet-public", "10.0.0.5", "2001:db8:0:100::5", 0, true},
		{"eni-client", "subnet-public", "10.0.0.6", "2001:db8:0:100::6", 0, false},
		{"eni-tgt4", "subnet-adapter", "10.0.0.20", "2001:db8:0:101::20", 0, false},
		{"eni-tgt6", "subnet-small", "10.0.0.36", "2001:db8:0:102::36", 1500, true},
	} {
		s.NetworkInterfaces = append(s.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: e.id, SubnetId: e.subnet,
			PrivateIpAddress: e.ip, Ipv6Address: e.ip6, EnablePrimaryIpv6: e.primary, Mtu: e.mtu})
	}
	v6rule := func(port int) cloudmock.TrafficMirrorFilterRule {
		return cloudmock.TrafficMirrorFilterRule{RuleNumber: 100, RuleAction: "accept", Protocol: 17,
			SourceCidrBlock: "::/0", DestinationCidrBlock: "::/0",
			DestinationPortRange: &cloudmock.TrafficMirrorPortRange{FromPort: port, ToPort: port}}
	}
	for i, x := range []struct {
		tgt  string
		port int
	}{{"tgt6", 9000}, {"tgt4", 9001}} {
		id := "tms-" + x.tgt
		s.TrafficMirrorTargets = append(s.TrafficMirrorTargets, &cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-" + x.tgt, NetworkInterfaceId: "eni-" + x.tgt})
		s.TrafficMirrorFilters = append(s.TrafficMirrorFilters, &cloudmock.TrafficMirrorFilter{TrafficMirrorFilterId: "tmf-" + x.tgt,
			IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{v6rule(x.port)}})
		s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &cloudmock.TrafficMirrorSession{TrafficMirrorSessionId: id,
			NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-" + x.tgt, TrafficMirrorFilterId: "tmf-" + x.tgt,
			SessionNumber: i + 1, VirtualNetworkId: new(600 + i)})
	}
	return s
}

// udpAt is a UDP socket on addr inside inst that keeps what it receives.
type udpAt struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  []arrival
}

func listenUDPAt(t *testing.T, lab *sim.Lab, inst string, addr netip.AddrPort) *udpAt {
	t.Helper()
	u := &udpAt{}
	if err := lab.Instance(inst).Run(func() (err error) {
		u.conn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		return err
	}); err != nil {
		t.Fatalf("udp socket %s on %s: %v", addr, inst, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := u.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			a := decodeArrival(buf[:n])
			a.from, a.at = from, inst
			u.mu.Lock()
			u.got = append(u.got, a)
			u.mu.Unlock()
		}
	}()
	t.Cleanup(func() { u.conn.Close(); <-done })
	return u
}

func (u *udpAt) wait(n int) []arrival {
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		u.mu.Lock()
		k := len(u.got)
		u.mu.Unlock()
		if k >= n {
			break
		}
	}
	time.Sleep(50 * time.Millisecond) // and nothing more
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]arrival(nil), u.got...)
}

// TestPrivilegedOuterIPv6 mirrors IPv6 traffic in a dual-stack lab: to a
// target with a primary IPv6 address over IPv6 (hop limit 255, a UDP
// checksum the receiving kernel accepts, truncation at its MTU 1500 - 74),
// and to one without over IPv4; checked by plain UDP sockets at the
// targets, a capture on tgt6's wire, and tshark.
func TestPrivilegedOuterIPv6(t *testing.T) {
	lab := dualStackLab(t)
	spec := dualStackSpec()
	sk6 := listenUDPAt(t, lab, "tgt6", ap("[2001:db8:0:102::36]:4789"))
	sk4 := listenUDPAt(t, lab, "tgt4", ap("10.0.0.20:4789"))
	wire := captureWire(t, lab, "tgt6")
	svc, m := startService(t, lab, spec, nil)
	for _, port := range []int{9000, 9001} {
		listenUDPAt(t, lab, "web", netip.AddrPortFrom(netip.MustParseAddr("2001:db8:0:100::5"), uint16(port)))
	}
	cl := listenUDPAt(t, lab, "client", ap("[2001:db8:0:100::6]:45000"))
	send := func(port, size int) {
		if _, err := cl.conn.WriteToUDPAddrPort(make([]byte, size), netip.AddrPortFrom(netip.MustParseAddr("2001:db8:0:100::5"), uint16(port))); err != nil {
			t.Fatal(err)
		}
	}
	send(9000, 100)     // a 148-byte IPv6 packet: whole
	send(9000, 1500-48) // a 1500-byte IPv6 packet: cut to 1500 - 74 + 14 inner bytes
	send(9001, 100)     // to tgt4, over IPv4
	got6, got4 := sk6.wait(2), sk4.wait(1)
	if len(got6) != 2 || len(got4) != 1 {
		t.Fatalf("tgt6 received %d datagrams (want 2), tgt4 %d (want 1):%s%s\ncounters: %+v", len(got6), len(got4),
			describe(got6), describe(got4), m.Snapshot())
	}
	for i, want := range []int{14 + 148, 1500 - 74 + 14} {
		a := got6[i]
		if a.from.Addr() != netip.MustParseAddr("2001:db8:0:100::5") || a.vni != 600 || len(a.inner) != want {
			t.Errorf("tgt6 copy %d: from %s VNI %d inner %d bytes, want from 2001:db8:0:100::5, VNI 600, %d bytes", i, a.from, a.vni, len(a.inner), want)
		}
	}
	if a := got4[0]; a.from.Addr() != netip.MustParseAddr("10.0.0.5") || a.vni != 601 || len(a.inner) != 14+148 || a.inner[12] != 0x86 {
		t.Errorf("tgt4 copy: from %s VNI %d inner %d bytes ethertype %#x, want an inner IPv6 frame over IPv4 from 10.0.0.5, VNI 601", a.from, a.vni, len(a.inner), a.inner[12:14])
	}
	// The service's snapshot adds what the in-kernel path counted.
	if c := svc.Snapshot().Model.Sessions["tms-tgt6"]; c.Packets != 2 || c.Truncated != 1 || c.Delivery["delivered"] != 2 {
		t.Errorf("session tms-tgt6 counters %+v, want 2 packets, 1 truncated, 2 delivered", c)
	}
	frames := wire.vxlan()
	if len(frames) != 2 {
		t.Fatalf("tgt6's wire carried %d VXLAN frames, want 2", len(frames))
	}
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not installed: its dissector check is skipped (the socket and capture checks ran)")
		return
	}
	path := filepath.Join(t.TempDir(), "wire6.pcapng")
	(&wireCapture{frames: frames, stamps: []time.Time{time.Now(), time.Now()}}).writePcap(t, path)
	out, err := exec.Command(bin, "-r", path, "-o", "udp.check_checksum:TRUE", "-Y", "vxlan", "-T", "fields", "-E", "occurrence=f",
		"-e", "frame.len", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.hlim", "-e", "udp.checksum.status", "-e", "vxlan.vni").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{
		"232\t2001:db8:0:100::5\t2001:db8:0:102::36\t255\t1\t600",
		"1510\t2001:db8:0:100::5\t2001:db8:0:102::36\t255\t1\t600",
	}
	if len(lines) != len(want) {
		t.Fatalf("tshark dissected %d copies, want 2:\n%s", len(lines), out)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("tshark copy %d: %q, want %q (frame length, outer IPv6, hop limit, UDP checksum good, VNI)", i, lines[i], want[i])
		}
	}
}
