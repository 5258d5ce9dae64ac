package sim

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

func oneSubnet() Topology {
	return Topology{VPCs: []VPCSpec{{Name: "v1", CIDR: netip.MustParsePrefix("10.1.0.0/16"),
		Subnets: []SubnetSpec{{Name: "a", CIDR: netip.MustParsePrefix("10.1.1.0/24")}}}}}
}

// grown is oneSubnet with a second subnet and an instance in each.
func grown() Topology {
	t := oneSubnet()
	t.VPCs[0].Subnets = append(t.VPCs[0].Subnets, SubnetSpec{Name: "b", CIDR: netip.MustParsePrefix("10.1.2.0/24")})
	t.Instances = []InstanceSpec{
		{Name: "x", VPC: "v1", ENIs: []ENISpec{{Name: "eth0", Subnet: "a", IP: netip.MustParseAddr("10.1.1.10")}}},
		{Name: "y", VPC: "v1", ENIs: []ENISpec{{Name: "eth0", Subnet: "b", IP: netip.MustParseAddr("10.1.2.10")}}},
	}
	return t
}

func recorded(t *testing.T, l *Lab) []string {
	t.Helper()
	r, err := state.Load(l.StateDir(), l.RunID())
	if err != nil {
		t.Fatal(err)
	}
	return r.Namespaces
}

func nsExists(name string) bool {
	_, err := os.Stat(filepath.Join(state.NetnsDir, name))
	return err == nil
}

// TestPrivilegedGrowAndShrink: a running lab gains a subnet and two
// instances that carry traffic at once, records their namespaces, and
// loses one instance again with nothing of it left (namespace, fabric
// port, neighbour entry, record), its port name reused by the next.
func TestPrivilegedGrowAndShrink(t *testing.T) {
	l := realize(t, oneSubnet())
	ctx := context.Background()
	if err := l.Grow(ctx, grown()); err != nil {
		t.Fatalf("Grow: %v", err)
	}
	x, y := l.Instance("x"), l.Instance("y")
	if x == nil || y == nil {
		t.Fatalf("instances after Grow: %v", l.Instances())
	}
	for _, in := range []*Instance{x, y} {
		if !slices.Contains(recorded(t, l), in.NsName) {
			t.Errorf("state file lacks %s: %v", in.NsName, recorded(t, l))
		}
	}
	if err := udpRoundTrip(t, x, y, y.ENIs[0].IP); err != nil {
		t.Fatalf("x -> y across the new subnet: %v", err)
	}
	p, err := x.Exec(ctx, []string{"sleep", "60"}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	xe, f := x.ENIs[0], l.Fabric("v1")
	shrunk := grown()
	shrunk.Instances = shrunk.Instances[1:]
	if err := l.Shrink(shrunk); err != nil {
		t.Fatalf("Shrink: %v", err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Error("the removed instance's program still runs")
	}
	if nsExists(x.NsName) || slices.Contains(recorded(t, l), x.NsName) || l.Instance("x") != nil {
		t.Errorf("instance x left: namespace %v, recorded %v", nsExists(x.NsName), recorded(t, l))
	}
	var nf netlink.LinkNotFoundError
	if _, err := f.nl.LinkByName(xe.PeerName); !errors.As(err, &nf) {
		t.Errorf("fabric port %s of x: %v, want it gone", xe.PeerName, err)
	}
	neighs, err := f.nl.NeighList(f.Bridge("a").Index, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range neighs {
		if n.IP.Equal(xe.IP.AsSlice()) {
			t.Errorf("fabric neighbour %s left on bridge a", xe.IP)
		}
	}
	if err := x.Run(func() error { return nil }); err == nil {
		t.Error("Run in a removed instance: no error")
	}
	if err := l.Grow(ctx, grown()); err != nil {
		t.Fatalf("Grow again: %v", err)
	}
	if got := l.Instance("x").ENIs[0].PeerName; got != xe.PeerName {
		t.Errorf("re-added x's port is %s, want the freed %s", got, xe.PeerName)
	}
	if err := udpRoundTrip(t, l.Instance("x"), y, y.ENIs[0].IP); err != nil {
		t.Errorf("x (again) -> y: %v", err)
	}
}

// TestPrivilegedGrowPeeredVPC: a VPC and a peering added live carry
// traffic; removed, their namespace and link are gone.
func TestPrivilegedGrowPeeredVPC(t *testing.T) {
	l := realize(t, grown())
	t2 := grown()
	t2.VPCs = append(t2.VPCs, VPCSpec{Name: "v2", CIDR: netip.MustParsePrefix("10.2.0.0/16"),
		Subnets: []SubnetSpec{{Name: "c", CIDR: netip.MustParsePrefix("10.2.1.0/24")}}})
	t2.Instances = append(t2.Instances, InstanceSpec{Name: "z", VPC: "v2", ENIs: []ENISpec{{Name: "eth0", Subnet: "c"}}})
	t2.Peerings = []PeeringSpec{{Name: "pcx", VPCs: [2]string{"v1", "v2"}}}
	if err := l.Grow(context.Background(), t2); err != nil {
		t.Fatalf("Grow: %v", err)
	}
	z := l.Instance("z")
	if err := udpRoundTrip(t, l.Instance("x"), z, z.ENIs[0].IP); err != nil {
		t.Fatalf("x -> z across the new peering: %v", err)
	}
	fab2 := l.Fabric("v2").NsName
	if err := l.Shrink(grown()); err != nil {
		t.Fatalf("Shrink: %v", err)
	}
	if nsExists(fab2) || nsExists(z.NsName) || len(l.Peerings()) != 0 || l.Fabric("v2") != nil {
		t.Errorf("left: fabric %v, z %v, peerings %v", nsExists(fab2), nsExists(z.NsName), l.Peerings())
	}
	if got := recorded(t, l); slices.Contains(got, fab2) {
		t.Errorf("state file still lists %s: %v", fab2, got)
	}
}

// TestPrivilegedSweepRemovesLiveNamespace: a namespace added to a running
// lab is in the state file, so a sweep after its owner died removes it.
func TestPrivilegedSweepRemovesLiveNamespace(t *testing.T) {
	privtest.Require(t)
	l, err := Realize(context.Background(), oneSubnet(), Options{StateDir: t.TempDir()}) // sweep only this run
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := l.Grow(context.Background(), grown()); err != nil {
		t.Fatalf("Grow: %v", err)
	}
	name := l.Instance("y").NsName
	// The owner "dies": the record names a process that is gone.
	if err := l.UpdateRecord(func(r *state.Run) error { r.StartTime++; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(l.StateDir()); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if nsExists(name) {
		t.Errorf("namespace %s added live survived the sweep", name)
	}
}

// TestPrivilegedGrowTransitGateway: a transit gateway created live joins
// its VPCs; an attachment added rebuilds it with the new VPC joined; once
// removed, its namespace is gone and the VPCs no longer reach each other.
func TestPrivilegedGrowTransitGateway(t *testing.T) {
	base := transited()
	base.TransitGateways = nil
	l := realize(t, base)
	a, b, i := l.Instance("a"), l.Instance("b"), l.Instance("i")
	if err := udpRoundTrip(t, a, i, i.ENIs[0].IP); err == nil {
		t.Fatal("a reaches i before any transit gateway")
	}
	ctx := context.Background()
	if err := l.Grow(ctx, transited()); err != nil {
		t.Fatalf("Grow: %v", err)
	}
	if err := udpRoundTrip(t, a, i, i.ENIs[0].IP); err != nil {
		t.Fatalf("a -> i through the new transit gateway: %v", err)
	}
	three := transited()
	three.TransitGateways[0].VPCs = append(three.TransitGateways[0].VPCs, "app-b")
	if err := l.Grow(ctx, three); err != nil {
		t.Fatalf("Grow with a third attachment: %v", err)
	}
	if err := udpRoundTrip(t, b, i, i.ENIs[0].IP); err != nil {
		t.Fatalf("b -> i through the new attachment: %v", err)
	}
	ns := l.TransitGateways()[0].NsName
	if err := l.Shrink(base); err != nil {
		t.Fatalf("Shrink: %v", err)
	}
	if nsExists(ns) || slices.Contains(recorded(t, l), ns) || len(l.TransitGateways()) != 0 {
		t.Errorf("transit gateway left: namespace %v, recorded %v", nsExists(ns), recorded(t, l))
	}
	if err := udpRoundTrip(t, a, i, i.ENIs[0].IP); err == nil {
		t.Error("a still reaches i after the transit gateway went")
	}
}

// TestPrivilegedGrowRebuildsChangedInstance: an instance whose first ENI
// changes (another address) is rebuilt, its program stopped with the old
// one.
func TestPrivilegedGrowRebuildsChangedInstance(t *testing.T) {
	l := realize(t, grown())
	old := l.Instance("x")
	p, err := old.Exec(context.Background(), []string{"sleep", "60"}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	moved := grown()
	moved.Instances[0].ENIs[0].IP = netip.MustParseAddr("10.1.1.11")
	if err := l.Grow(context.Background(), moved); err != nil {
		t.Fatalf("Grow: %v", err)
	}
	x := l.Instance("x")
	if x == old || len(x.ENIs) != 1 || x.ENIs[0].IP != moved.Instances[0].ENIs[0].IP || len(l.Fabric("v1").ENIs()) != 2 {
		t.Fatalf("x after Grow: %+v (fabric ENIs %d)", x, len(l.Fabric("v1").ENIs()))
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Error("the old instance's program outlived it")
	}
	if err := udpRoundTrip(t, l.Instance("y"), x, x.ENIs[0].IP); err != nil {
		t.Errorf("y -> x's new address: %v", err)
	}
}

// TestPrivilegedAttachDetachENI: an ENI added at the end of a running
// instance is attached to it (its program goes on), and detached again
// with its port, neighbour entry and routing rule gone.
func TestPrivilegedAttachDetachENI(t *testing.T) {
	l := realize(t, grown())
	x := l.Instance("x")
	p, err := x.Exec(context.Background(), []string{"sleep", "60"}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(time.Second) })
	two := grown()
	two.Instances[0].ENIs = append(two.Instances[0].ENIs, ENISpec{Name: "eth1", Subnet: "b", IP: netip.MustParseAddr("10.1.2.20")})
	if err := l.Grow(context.Background(), two); err != nil {
		t.Fatalf("Grow: %v", err)
	}
	if l.Instance("x") != x || len(x.ENIs) != 2 {
		t.Fatalf("x after attaching eth1: same %v, %d ENIs", l.Instance("x") == x, len(x.ENIs))
	}
	if err := udpRoundTrip(t, l.Instance("y"), x, x.ENIs[1].IP); err != nil {
		t.Errorf("y -> x's attached eth1: %v", err)
	}
	eth1, f := x.ENIs[1], l.Fabric("v1")
	if err := l.Shrink(grown()); err != nil {
		t.Fatalf("Shrink: %v", err)
	}
	select {
	case <-p.Done():
		t.Fatal("x's program died with the attach and detach")
	default:
	}
	if len(x.ENIs) != 1 || len(f.ENIs()) != 2 {
		t.Fatalf("after detaching: x has %d ENIs, the fabric %d", len(x.ENIs), len(f.ENIs()))
	}
	var nf netlink.LinkNotFoundError
	if _, err := f.nl.LinkByName(eth1.PeerName); !errors.As(err, &nf) {
		t.Errorf("port %s of the detached eth1: %v", eth1.PeerName, err)
	}
	rules, err := x.nl.RuleList(netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.Table == 10001 {
			t.Errorf("rule of the detached eth1 left: %v", r)
		}
	}
	if err := udpRoundTrip(t, l.Instance("y"), x, x.ENIs[0].IP); err != nil {
		t.Errorf("y -> x's eth0 after the detach: %v", err)
	}
}

// TestRecordListsTheWholeTopology: Realize's first write of the state
// file lists every namespace it is about to create (a reader such as
// clean, or a test watching the run, sees the whole lab at once).
func TestRecordListsTheWholeTopology(t *testing.T) {
	l := &Lab{stateDir: t.TempDir()}
	topo := transited()
	if err := l.record("zq9", topo); err != nil {
		t.Fatal(err)
	}
	r, err := state.Load(l.stateDir, "zq9")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mlzq9-fabric.app-a", "mlzq9-fabric.app-b", "mlzq9-fabric.insp", "mlzq9-tgw.hub", "mlzq9-a", "mlzq9-b", "mlzq9-i"}
	if !slices.Equal(r.Namespaces, want) {
		t.Fatalf("recorded %v, want %v", r.Namespaces, want)
	}
}

// TestPrivilegedGrowFailureIsRetried: an instance that cannot be added
// (its namespace's name is taken) leaves nothing of it in the lab or its
// record, and the next Grow adds it.
func TestPrivilegedGrowFailureIsRetried(t *testing.T) {
	l := realize(t, oneSubnet())
	blocker := filepath.Join(state.NetnsDir, instanceNsName(l.RunID(), "x"))
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	removed := false
	t.Cleanup(func() {
		if !removed {
			os.Remove(blocker)
		}
	})
	if err := l.Grow(context.Background(), grown()); err == nil {
		t.Fatal("Grow with x's namespace name taken: no error")
	}
	if l.Instance("x") != nil || slices.ContainsFunc(l.Topology().Instances, func(s InstanceSpec) bool { return s.Name == "x" }) ||
		slices.Contains(recorded(t, l), instanceNsName(l.RunID(), "x")) {
		t.Fatalf("x after the failed Grow: %v, topology %v, recorded %v", l.Instance("x"), l.Topology().Instances, recorded(t, l))
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	removed = true
	if err := l.Grow(context.Background(), grown()); err != nil {
		t.Fatalf("Grow again: %v", err)
	}
	if x, y := l.Instance("x"), l.Instance("y"); x == nil || y == nil {
		t.Fatal("x or y missing after the second Grow")
	} else if err := udpRoundTrip(t, y, x, x.ENIs[0].IP); err != nil {
		t.Errorf("y -> x: %v", err)
	}
}
