package lab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// emptySpec is an account with one VPC and one subnet, nothing in it.
func emptySpec() cloudmock.Spec {
	return cloudmock.Spec{Profile: "aws", Vpcs: []cloudmock.Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/16"}},
		Subnets: []cloudmock.Subnet{{SubnetId: "subnet-a", VpcId: "vpc-1", CidrBlock: "10.0.1.0/24"}}}
}

// withInstance adds instance id with one ENI (eni-<id>) at addr in subnet.
func withInstance(s cloudmock.Spec, id, subnet, addr string) cloudmock.Spec {
	s.NetworkInterfaces = append(slices.Clone(s.NetworkInterfaces), cloudmock.NetworkInterface{
		NetworkInterfaceId: "eni-" + id, SubnetId: subnet, PrivateIpAddress: addr, InstanceId: id})
	return s
}

// withSession mirrors what eni-<src> receives (UDP) to eni-<dst>, VNI vni.
func withSession(s cloudmock.Spec, src, dst string, vni int) cloudmock.Spec {
	s.TrafficMirrorFilters = []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "tmf-1", IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{
		{RuleNumber: 100, RuleAction: "accept", Protocol: 17, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}}}}
	s.TrafficMirrorTargets = []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-1", NetworkInterfaceId: "eni-" + dst}}
	s.TrafficMirrorSessions = append(slices.Clone(s.TrafficMirrorSessions), &cloudmock.TrafficMirrorSession{
		TrafficMirrorSessionId: "tms-" + src, NetworkInterfaceId: "eni-" + src, TrafficMirrorTargetId: "tmt-1",
		TrafficMirrorFilterId: "tmf-1", SessionNumber: 1, VirtualNetworkId: new(vni)})
	return s
}

// buildFollowing builds the lab of s, served: its network from the model,
// a mirror service on every ENI.
func buildFollowing(tb testing.TB, s cloudmock.Spec) *Lab {
	return buildFollowingWith(tb, s, false)
}

func buildFollowingWith(tb testing.TB, s cloudmock.Spec, userSpaceOnly bool) *Lab {
	tb.Helper()
	privtest.Require(tb)
	topo, err := TopologyOf(s)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	l, err := Build(context.Background(), Config{Name: "follow", Topology: topo, StateDir: dir,
		Mirror: &Mirror{Spec: s, AllENIs: true, UserSpaceOnly: userSpaceOnly}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Error(err)
		}
	})
	return l
}

// udpIn is a UDP socket inside an instance.
func udpIn(tb testing.TB, l *Lab, inst string, port int) *net.UDPConn {
	tb.Helper()
	in := l.Sim().Instance(inst)
	if in == nil {
		tb.Fatalf("no instance %s", inst)
	}
	var c *net.UDPConn
	err := in.Run(func() (err error) {
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: in.ENIs[0].IP.AsSlice(), Port: port})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// recvVXLAN waits up to d for a VXLAN datagram and returns its VNI.
func recvVXLAN(c *net.UDPConn, d time.Duration) (uint32, error) {
	buf := make([]byte, 9100)
	c.SetReadDeadline(time.Now().Add(d))
	n, err := c.Read(buf)
	if err != nil {
		return 0, err
	}
	if n < 8 {
		return 0, fmt.Errorf("%d bytes: not VXLAN", n)
	}
	return binary.BigEndian.Uint32(buf[4:8]) >> 8, nil
}

// TestPrivilegedFollowSpec: a lab with one empty subnet follows its
// model: a new subnet and two instances carry a datagram between them; a
// session created on one of them mirrors to the other (decided in the
// kernel, on the new port, or in user space); the removed instance's
// namespace, record entry and capture are gone, the other's go on.
func TestPrivilegedFollowSpec(t *testing.T) {
	for _, userSpace := range []bool{false, true} {
		t.Run(fmt.Sprintf("UserSpaceOnly=%v", userSpace), func(t *testing.T) { followSpec(t, userSpace) })
	}
}

func followSpec(t *testing.T, userSpace bool) {
	s0 := emptySpec()
	l := buildFollowingWith(t, s0, userSpace)
	ctx := t.Context()
	s1 := s0
	s1.Subnets = append(slices.Clone(s0.Subnets), cloudmock.Subnet{SubnetId: "subnet-b", VpcId: "vpc-1", CidrBlock: "10.0.2.0/24"})
	s1 = withInstance(withInstance(s1, "i-a", "subnet-a", "10.0.1.10"), "i-b", "subnet-b", "10.0.2.10")
	if err := l.Apply(ctx, FollowSpec{Spec: s1}); err != nil {
		t.Fatalf("add a subnet and two instances: %v", err)
	}
	srv := udpIn(t, l, "i-b", 9000)
	cl := udpIn(t, l, "i-a", 9001)
	if _, err := cl.WriteToUDPAddrPort([]byte("hello"), netip.MustParseAddrPort("10.0.2.10:9000")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	srv.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("i-a -> i-b across the new subnet: %q, %v", buf[:n], err)
	}

	s2 := withSession(s1, "i-a", "i-b", 42)
	if err := l.Apply(ctx, FollowSpec{Spec: s2}); err != nil {
		t.Fatalf("add a session: %v", err)
	}
	vx := udpIn(t, l, "i-b", 4789)
	expectCopy(t, srv, vx, "10.0.1.10:9001", 42, "copy at the target")
	if k := l.Service().Snapshot().Kernel; k.Enabled == userSpace || k.Enabled && k.Decided["eni-i-a/ingress"] != "" {
		t.Errorf("in-kernel path on the new port: enabled %v, decided %q (%s)", k.Enabled, k.Decided["eni-i-a/ingress"], k.Why)
	}

	followAttach(t, l, s2, srv, vx)
	followRemove(t, l, s1)
}

// expectCopy sends a datagram from one instance's socket to to and waits
// for its copy, with VNI vni, at the target's socket vx.
func expectCopy(t *testing.T, from, vx *net.UDPConn, to string, vni uint32, what string) {
	t.Helper()
	if _, err := from.WriteToUDPAddrPort([]byte("mirror me"), netip.MustParseAddrPort(to)); err != nil {
		t.Fatal(err)
	}
	if got, err := recvVXLAN(vx, 3*time.Second); err != nil || got != vni {
		t.Fatalf("%s: VNI %d, %v; want %d", what, got, err, vni)
	}
}

// followAttach: i-b gets a second interface, attached in place (its
// sockets live on), captured at once, and the copies go on; then its
// interfaces come in another order: i-b is rebuilt (eni-i-b is eth1 now),
// and the copies go to the target's new port.
func followAttach(t *testing.T, l *Lab, s2 cloudmock.Spec, srv, vx *net.UDPConn) {
	ctx := t.Context()
	ib := l.Sim().Instance("i-b")
	s2b := s2
	s2b.NetworkInterfaces = append(slices.Clone(s2.NetworkInterfaces), cloudmock.NetworkInterface{
		NetworkInterfaceId: "eni-i-b2", SubnetId: "subnet-b", PrivateIpAddress: "10.0.2.11", InstanceId: "i-b"})
	if err := l.Apply(ctx, FollowSpec{Spec: s2b}); err != nil {
		t.Fatalf("attach a second interface to i-b: %v", err)
	}
	if l.Sim().Instance("i-b") != ib || len(ib.ENIs) != 2 {
		t.Fatalf("i-b after the attach: rebuilt %v, %d interfaces", l.Sim().Instance("i-b") != ib, len(ib.ENIs))
	}
	if _, ok := l.Service().Snapshot().ENIs["eni-i-b2"]; !ok {
		t.Error("the mirror service does not capture at the attached eni-i-b2")
	}
	expectCopy(t, srv, vx, "10.0.1.10:9001", 42, "copy after the attach")
	s2c := s2b
	n := len(s2b.NetworkInterfaces)
	s2c.NetworkInterfaces = append(slices.Clone(s2b.NetworkInterfaces[:n-2]), s2b.NetworkInterfaces[n-1], s2b.NetworkInterfaces[n-2])
	if err := l.Apply(ctx, FollowSpec{Spec: s2c}); err != nil {
		t.Fatalf("reorder i-b's interfaces: %v", err)
	}
	if l.Sim().Instance("i-b") == ib {
		t.Fatal("i-b was not rebuilt")
	}
	from := udpIn(t, l, "i-b", 9000) // on eth0, 10.0.2.11
	var target *net.UDPConn
	if err := l.Sim().Instance("i-b").Run(func() (err error) {
		target, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 0, 2, 10), Port: 4789})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	expectCopy(t, from, target, "10.0.1.10:9001", 42, "copy at the rebuilt target")
}

// followRemove: i-a goes (s1 without it): its namespace, record entry and
// capture are gone, i-b's go on, the totals keep i-a's counters.
func followRemove(t *testing.T, l *Lab, s1 cloudmock.Spec) {
	a := l.Sim().Instance("i-a")
	s3 := s1
	s3.NetworkInterfaces = s1.NetworkInterfaces[1:] // i-b alone
	if err := l.Apply(t.Context(), FollowSpec{Spec: s3}); err != nil {
		t.Fatalf("remove instance i-a: %v", err)
	}
	if l.Sim().Instance("i-a") != nil {
		t.Fatal("i-a still in the lab")
	}
	if _, err := os.Stat(filepath.Join(state.NetnsDir, a.NsName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("namespace %s after removal: %v", a.NsName, err)
	}
	r, err := state.Load(l.Sim().StateDir(), l.RunID())
	if err != nil || slices.Contains(r.Namespaces, a.NsName) || !slices.Contains(r.Namespaces, l.Sim().Instance("i-b").NsName) {
		t.Errorf("state file after removal: %v, %v", r, err)
	}
	snap := l.Service().Snapshot()
	if _, ok := snap.ENIs["eni-i-a"]; ok {
		t.Error("the mirror service still captures at the removed eni-i-a")
	}
	if _, ok := snap.ENIs["eni-i-b"]; !ok {
		t.Error("the mirror service stopped capturing at eni-i-b")
	}
	if snap.Totals.Captured == 0 {
		t.Error("the totals lost the removed interface's counters")
	}
}

// TestPrivilegedUserData: an instance's "#!" user data runs inside it, in
// a directory of its own, its output kept for ConsoleOutput; it dies with
// the instance. User data that is not a script is kept, not run.
func TestPrivilegedUserData(t *testing.T) {
	s := withInstance(withInstance(emptySpec(), "i-a", "subnet-a", "10.0.1.10"), "i-c", "subnet-a", "10.0.1.11")
	s = withInstance(s, "i-d", "subnet-a", "10.0.1.12")
	l := buildFollowing(t, s)
	ctx := t.Context()
	script := "#!/bin/sh\necho started in $(pwd)\ntouch ran\nexec sleep 60\n"
	runs := []instanceRun{{ID: "i-a", UserData: script, Running: true},
		{ID: "i-c", UserData: "#cloud-config\npackages: [nginx]\n", Running: true},
		{ID: "i-d", UserData: "#!/bin/sh\nexec sleep 60\n", Running: true}}
	if err := l.startUserData(ctx, runs); err != nil {
		t.Fatal(err)
	}
	dir := l.userDataDir("i-a")
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := l.ConsoleOutput("i-a")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "started in "+dir) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("console output of i-a: %q", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err != nil {
		t.Errorf("the script's file: %v", err)
	}
	if out, _ := l.ConsoleOutput("i-c"); !strings.Contains(string(out), "not run") {
		t.Errorf("console output of cloud-config user data: %q", out)
	}
	l.ud.mu.Lock()
	p := l.ud.scripts["i-a"].proc
	l.ud.mu.Unlock()
	// i-a goes: its script dies with it.
	s.NetworkInterfaces = s.NetworkInterfaces[1:]
	if err := l.Apply(ctx, FollowSpec{Spec: s}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the user data script outlived its instance")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the script's directory after removal: %v", err)
	}
	if _, err := l.ConsoleOutput("i-a"); err == nil {
		t.Error("console output of a removed instance: no error")
	}
	// The lab goes: i-d's script and files with it (a sweep removes the
	// files of a killed owner the same way: state.Remove).
	if err := l.startUserData(ctx, runs[2:]); err != nil { // FollowSpec stopped it: the model has no instances here
		t.Fatal(err)
	}
	if _, err := os.Stat(l.userDataDir("i-d")); err != nil {
		t.Fatalf("i-d's directory: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(state.RunDir(l.Sim().StateDir(), l.RunID())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run's directory after Close: %v", err)
	}
}

// TestUserDataOf: the model's instances with their user data, a stopped
// one not running.
func TestUserDataOf(t *testing.T) {
	got := userDataOf(cloudmock.Spec{Instances: []cloudmock.Instance{
		{InstanceId: "i-1", UserData: "#!/bin/sh"}, {InstanceId: "i-2", UserData: "x", State: cloudmock.InstanceStopped}}})
	want := []instanceRun{{ID: "i-1", UserData: "#!/bin/sh", Running: true}, {ID: "i-2", UserData: "x"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := userDataOf(cloudmock.Spec{}); len(got) != 0 {
		t.Fatalf("a spec without instances: %+v", got)
	}
}

// TestPrivilegedFollowVPCRemoved: a VPC created and deleted again while
// a session mirrors in another: the mirror service starts again on the
// remaining fabrics, and the session still mirrors.
func TestPrivilegedFollowVPCRemoved(t *testing.T) {
	s := withSession(withInstance(withInstance(emptySpec(), "i-a", "subnet-a", "10.0.1.10"), "i-b", "subnet-a", "10.0.1.11"), "i-a", "i-b", 9)
	l := buildFollowing(t, s)
	ctx := t.Context()
	two := s
	two.Vpcs = append(slices.Clone(s.Vpcs), cloudmock.Vpc{VpcId: "vpc-2", CidrBlock: "10.9.0.0/16"})
	two.Subnets = append(slices.Clone(s.Subnets), cloudmock.Subnet{SubnetId: "subnet-z", VpcId: "vpc-2", CidrBlock: "10.9.1.0/24"})
	two = withInstance(two, "i-z", "subnet-z", "10.9.1.10")
	if err := l.Apply(ctx, FollowSpec{Spec: two}); err != nil {
		t.Fatalf("add a VPC: %v", err)
	}
	fab := l.Sim().Fabric("vpc-2").NsName
	if err := l.Apply(ctx, FollowSpec{Spec: s}); err != nil {
		t.Fatalf("remove the VPC: %v", err)
	}
	if _, err := os.Stat(filepath.Join(state.NetnsDir, fab)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("fabric namespace %s after the VPC went: %v", fab, err)
	}
	vx := udpIn(t, l, "i-b", 4789)
	from := udpIn(t, l, "i-b", 9000)
	expectCopy(t, from, vx, "10.0.1.10:9001", 9, "copy after the VPC went")
}

// TestPrivilegedFollowLoadBalancer: a network load balancer created live
// is an appliance holding its address, and a session to it mirrors to
// its registered target; deleted, its appliance is gone.
func TestPrivilegedFollowLoadBalancer(t *testing.T) {
	s := withInstance(withInstance(emptySpec(), "i-a", "subnet-a", "10.0.1.10"), "i-b", "subnet-a", "10.0.1.11")
	l := buildFollowing(t, s)
	ctx := t.Context()
	lb := cloudmock.LoadBalancer{LoadBalancerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/web/50dc6c495c0c9188",
		Type: "network", SubnetId: "subnet-a", PrivateIpAddress: "10.0.1.50",
		Listeners: []cloudmock.Listener{{Protocol: "UDP", Port: 4789}}, Targets: []cloudmock.TargetDescription{{NetworkInterfaceId: "eni-i-b"}}}
	withLB := withSession(s, "i-a", "i-b", 5)
	withLB.LoadBalancers = []cloudmock.LoadBalancer{lb}
	withLB.TrafficMirrorTargets = []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-1", NetworkLoadBalancerArn: lb.LoadBalancerArn}}
	if err := l.Apply(ctx, FollowSpec{Spec: withLB}); err != nil {
		t.Fatalf("add a load balancer: %v", err)
	}
	app := l.Sim().Instance(applianceName(lb))
	if app == nil || app.ENIs[0].IP != netip.MustParseAddr("10.0.1.50") {
		t.Fatalf("appliance of %s: %+v", lb.LoadBalancerArn, app)
	}
	vx := udpIn(t, l, "i-b", 4789)
	from := udpIn(t, l, "i-b", 9000)
	expectCopy(t, from, vx, "10.0.1.10:9001", 5, "copy through the load balancer")
	if err := l.Apply(ctx, FollowSpec{Spec: s}); err != nil {
		t.Fatalf("delete the load balancer: %v", err)
	}
	if _, err := os.Stat(filepath.Join(state.NetnsDir, app.NsName)); !errors.Is(err, os.ErrNotExist) || l.Sim().Instance(app.Name) != nil {
		t.Errorf("appliance namespace %s after the delete: %v", app.NsName, err)
	}
}

// TestPrivilegedFollowPeering: a peering created live carries a
// session's copies to a target in the other VPC; deleted and created
// again (new links), it carries them again, in the kernel as in user
// space.
func TestPrivilegedFollowPeering(t *testing.T) {
	for _, userSpace := range []bool{false, true} {
		t.Run(fmt.Sprintf("UserSpaceOnly=%v", userSpace), func(t *testing.T) { followPeering(t, userSpace) })
	}
}

func followPeering(t *testing.T, userSpace bool) {
	s := withInstance(withInstance(emptySpec(), "i-a", "subnet-a", "10.0.1.10"), "i-b", "subnet-a", "10.0.1.11")
	s.Vpcs = append(s.Vpcs, cloudmock.Vpc{VpcId: "vpc-2", CidrBlock: "10.9.0.0/16"})
	s.Subnets = append(s.Subnets, cloudmock.Subnet{SubnetId: "subnet-z", VpcId: "vpc-2", CidrBlock: "10.9.1.0/24"})
	s = withInstance(s, "i-z", "subnet-z", "10.9.1.10")
	l := buildFollowingWith(t, s, userSpace)
	ctx := t.Context()
	peered := withSession(s, "i-a", "i-z", 33)
	peered.VpcPeeringConnections = []cloudmock.VpcPeeringConnection{{VpcPeeringConnectionId: "pcx-1",
		RequesterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-1"},
		AccepterVpcInfo:  cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-2"}}}
	vx := udpIn(t, l, "i-z", 4789)
	from := udpIn(t, l, "i-b", 9000)
	for round := range 2 {
		if err := l.Apply(ctx, FollowSpec{Spec: peered}); err != nil {
			t.Fatalf("round %d: create the peering and the session: %v", round, err)
		}
		expectCopy(t, from, vx, "10.0.1.10:9001", 33, fmt.Sprintf("round %d: copy across the peering", round))
		if err := l.Apply(ctx, FollowSpec{Spec: s}); err != nil {
			t.Fatalf("round %d: delete the peering and the session: %v", round, err)
		}
		if n := len(l.Sim().Peerings()); n != 0 {
			t.Fatalf("round %d: %d peerings after the delete", round, n)
		}
	}
}

// TestPrivilegedFollowRefusedRollsBack: a change the mirror service
// refuses (a session to a target that does not exist) leaves the network
// as the model in force has it: the instance it added is taken away.
func TestPrivilegedFollowRefusedRollsBack(t *testing.T) {
	s := withInstance(emptySpec(), "i-a", "subnet-a", "10.0.1.10")
	l := buildFollowing(t, s)
	bad := withSession(withInstance(s, "i-b", "subnet-a", "10.0.1.11"), "i-a", "i-b", 3)
	bad.TrafficMirrorSessions[0].TrafficMirrorTargetId = "tmt-missing"
	if err := l.Apply(t.Context(), FollowSpec{Spec: bad}); err == nil {
		t.Fatal("a session to a missing target: no error")
	}
	if in := l.Sim().Instance("i-b"); in != nil {
		t.Fatalf("i-b of the refused change is still in the lab (%s)", in.NsName)
	}
	if l.Sim().Instance("i-a") == nil {
		t.Fatal("the roll-back took i-a too")
	}
	if err := l.Apply(t.Context(), FollowSpec{Spec: withInstance(s, "i-b", "subnet-a", "10.0.1.11")}); err != nil || l.Sim().Instance("i-b") == nil {
		t.Fatalf("i-b added by a valid change: %v", err)
	}
}

// TestPrivilegedPublishedRecordFollows: an instance added to a published
// lab appears in its record, so exec in another process finds it.
func TestPrivilegedPublishedRecordFollows(t *testing.T) {
	s := emptySpec()
	l := buildFollowing(t, s)
	if err := l.Publish(""); err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(context.Background(), FollowSpec{Spec: withInstance(s, "i-new", "subnet-a", "10.0.1.10")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * refreshEvery)
	for {
		labs, err := List(l.Sim().StateDir())
		if err != nil {
			t.Fatal(err)
		}
		if len(labs) == 1 {
			if ns, err := labs[0].Netns("i-new"); err == nil && ns != "" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the record does not list i-new after %v: %+v", 5*refreshEvery, labs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
