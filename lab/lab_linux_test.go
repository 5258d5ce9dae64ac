package lab

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// twoHosts is a VPC with a source and a receiver in one subnet.
func twoHosts() sim.Topology {
	eni := []sim.ENISpec{{Name: "eth0", Subnet: "a"}}
	return sim.Topology{
		VPCs: []sim.VPCSpec{{Name: "v", CIDR: netip.MustParsePrefix("10.0.0.0/24"),
			Subnets: []sim.SubnetSpec{{Name: "a", CIDR: netip.MustParsePrefix("10.0.0.0/28")}}}},
		Instances: []sim.InstanceSpec{{Name: "src", VPC: "v", ENIs: eni}, {Name: "dst", VPC: "v", ENIs: eni}},
	}
}

// mirrorSpec mirrors src's inbound traffic to dst, with sessions named
// by sessions (none: no session).
func mirrorSpec(l *Lab, sessions ...string) cloudmock.Spec {
	topo := l.Sim().Topology()
	sp := cloudmock.Spec{Profile: "aws", Vpcs: []cloudmock.Vpc{{VpcId: "v", CidrBlock: "10.0.0.0/24"}},
		Subnets: []cloudmock.Subnet{{SubnetId: "a", VpcId: "v", CidrBlock: "10.0.0.0/28"}}}
	for _, in := range topo.Instances {
		sp.NetworkInterfaces = append(sp.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: in.Name,
			SubnetId: "a", PrivateIpAddress: in.ENIs[0].IP.String(), InstanceId: "i-" + in.Name})
	}
	sp.TrafficMirrorFilters = []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "f", IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{
		{RuleNumber: 100, RuleAction: "accept", Protocol: 17, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}}}}
	sp.TrafficMirrorTargets = []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "t", NetworkInterfaceId: "dst"}}
	for i, name := range sessions {
		sp.TrafficMirrorSessions = append(sp.TrafficMirrorSessions, &cloudmock.TrafficMirrorSession{TrafficMirrorSessionId: name,
			NetworkInterfaceId: "src", TrafficMirrorTargetId: "t", TrafficMirrorFilterId: "f", SessionNumber: i + 1, VirtualNetworkId: new(7 + i)})
	}
	return sp
}

// buildTwo builds twoHosts with no mirror service, in a state directory
// of the test's; whatever the test leaves is removed at its end.
func buildTwo(t *testing.T) (context.Context, string, *Lab) {
	t.Helper()
	privtest.Require(t)
	dir := t.TempDir()
	l, err := Build(t.Context(), Config{Name: "two", Topology: twoHosts(), StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
		if _, _, err := Clean(dir, l.started); err != nil {
			t.Error(err)
		}
	})
	return t.Context(), dir, l
}

// TestPrivilegedLifecycle: a lab built without a mirror service starts
// one, swaps configurations into it (Status follows), refuses a second
// start, is recorded for other processes while published, and Close
// removes its namespaces and its one state file (the last record write
// does not bring it back).
func TestPrivilegedLifecycle(t *testing.T) {
	ctx, dir, l := buildTwo(t)
	if l.Service() != nil || l.statusNow().DataPlane != nil {
		t.Fatal("a mirror service runs before StartMirror")
	}
	if err := l.Apply(ctx, SetSpec{Spec: mirrorSpec(l, "s1")}); err == nil {
		t.Fatal("SetSpec without a mirror service: want an error")
	}
	if err := l.Apply(ctx, StartMirror{Mirror: Mirror{Spec: mirrorSpec(l, "s1"), AllENIs: true}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(ctx, StartMirror{Mirror: Mirror{Spec: mirrorSpec(l, "s1")}}); err == nil {
		t.Fatal("a second StartMirror: want an error")
	}
	if got := sessionNames(l.statusNow()); got != "s1" {
		t.Fatalf("sessions %q, want s1", got)
	}
	if err := l.Apply(ctx, SetSpec{Spec: mirrorSpec(l, "s1", "s2")}); err != nil {
		t.Fatal(err)
	}
	st := l.statusNow()
	if got := sessionNames(st); got != "s1 s2" || st.Sessions[1].Target != "t" || st.Sessions[1].VNI != 8 {
		t.Fatalf("after SetSpec: %+v", st.Sessions)
	}
	l.OnStatus(func(st *Status) { st.Servers = map[string]int{"web": 1} })
	if err := l.Publish("owner.log"); err != nil {
		t.Fatal(err)
	}
	e, err := Choose(dir, l.RunID())
	if err != nil || e.State != Running || e.Record.Log != "owner.log" || e.Record.Instances["dst"] == "" || e.Record.Counters.Servers["web"] != 1 {
		t.Fatalf("Choose the published lab: %+v, %v", e, err)
	}
	closed := false
	l.OnClose(func() error { closed = true; return nil })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !closed {
		t.Error("Close did not call the OnClose function")
	}
	if labs, err := List(dir); err != nil || len(labs) != 0 {
		t.Fatalf("after Close: %+v, %v", labs, err)
	}
	if _, err := os.Stat(filepath.Join(dir, l.RunID()+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state file after Close: %v", err)
	}
	if left, _ := filepath.Glob("/run/netns/" + state.Prefix(l.RunID()) + "*"); len(left) > 0 {
		t.Fatalf("namespaces after Close: %v", left)
	}
}

func sessionNames(st Status) string {
	s := ""
	for i, ss := range st.Sessions {
		if i > 0 {
			s += " "
		}
		s += ss.Name
	}
	return s
}

// TestPrivilegedLeaveAndTakeDown: Leave stops the mirror service and
// leaves the namespaces; once recorded as kept, the lab is listed as such
// and TakeDown removes the namespaces and the state file.
func TestPrivilegedLeaveAndTakeDown(t *testing.T) {
	ctx, dir, l := buildTwo(t)
	if err := l.Apply(ctx, StartMirror{Mirror: Mirror{Spec: mirrorSpec(l, "s1")}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Leave(); err != nil {
		t.Fatal(err)
	}
	if l.Service() != nil {
		t.Fatal("the mirror service runs after Leave")
	}
	if err := WriteRecord(dir, &Record{Info: l.Info(), Kept: true}); err != nil {
		t.Fatal(err)
	}
	e, err := Choose(dir, "")
	if err != nil || e.State != Kept {
		t.Fatalf("the kept lab: %+v, %v", e, err)
	}
	if left, _ := filepath.Glob("/run/netns/" + state.Prefix(l.RunID()) + "*"); len(left) != 3 {
		t.Fatalf("namespaces of the kept lab: %v, want 3", left)
	}
	if _, err := TakeDown(dir, e); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob("/run/netns/" + state.Prefix(l.RunID()) + "*"); len(left) > 0 {
		t.Fatalf("namespaces after TakeDown: %v", left)
	}
	if labs, err := List(dir); err != nil || len(labs) != 0 {
		t.Fatalf("after TakeDown: %+v, %v", labs, err)
	}
}

// TestPrivilegedBuildFailureLeavesNothing: a VXLAN device on an instance
// that does not exist fails Build after the namespaces were made; they and
// the state file are gone when Build returns, and a model the provider
// refuses fails before anything is built.
func TestPrivilegedBuildFailureLeavesNothing(t *testing.T) {
	privtest.Require(t)
	ctx := context.Background()
	dir := t.TempDir()
	_, err := Build(ctx, Config{Topology: twoHosts(), StateDir: dir, RunID: "lbf1",
		VXLAN: []VXLANDevice{{Instance: "nowhere", Dev: "eth0", Name: "vxlan0", VNI: 1}}})
	if err == nil || !errors.Is(err, errNoInstance) {
		t.Fatalf("Build with a VXLAN device on no instance: %v", err)
	}
	if left, _ := filepath.Glob("/run/netns/" + state.Prefix("lbf1") + "*"); len(left) > 0 {
		t.Fatalf("namespaces after a failed Build: %v", left)
	}
	if ids, _ := state.List(dir); len(ids) != 0 {
		t.Fatalf("state files after a failed Build: %v", ids)
	}
	bad := Mirror{Spec: cloudmock.Spec{Profile: "nowhere"}}
	if _, err := Build(ctx, Config{Topology: twoHosts(), StateDir: dir, Mirror: &bad}); err == nil {
		t.Fatal("Build with a refused model: want an error")
	}
	if ids, _ := state.List(dir); len(ids) != 0 {
		t.Fatalf("state files after a refused model: %v", ids)
	}
}

// TestPrivilegedApplyAfterClose: a change given to a lab that came down is
// refused, and starts nothing.
func TestPrivilegedApplyAfterClose(t *testing.T) {
	ctx, _, l := buildTwo(t)
	spec := mirrorSpec(l, "s1")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(ctx, StartMirror{Mirror: Mirror{Spec: spec}}); !errors.Is(err, errClosed) {
		t.Fatalf("StartMirror after Close: %v", err)
	}
	if l.Service() != nil {
		t.Fatal("a mirror service runs on a closed lab")
	}
}
