package dataplane

import (
	"context"
	"net/netip"
	"sync"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// The test VPC: 10.0.0.0/24 cut into /28s.
//
//	public  10.0.0.0/28   web .5 (the usual source), client .6
//	adapter 10.0.0.16/28  tgt1 .20, tgt2 .21, agent1 .22, agent2 .23; NLB .24
//	small   10.0.0.32/28  tgt3 .36 (MTU 1500: AWS target-MTU truncation)
//	alisrc  10.0.0.48/28  web15 .52 (MTU 1500: Alibaba source-MTU truncation)
var testENIs = []struct {
	inst, subnet, ip string
	mtu              int
}{
	{"web", "public", "10.0.0.5", 0},
	{"client", "public", "10.0.0.6", 0},
	{"tgt1", "adapter", "10.0.0.20", 0},
	{"tgt2", "adapter", "10.0.0.21", 0},
	{"agent1", "adapter", "10.0.0.22", 0},
	{"agent2", "adapter", "10.0.0.23", 0},
	{"tgt3", "small", "10.0.0.36", 1500},
	{"web15", "alisrc", "10.0.0.52", 1500},
}

var testSubnets = []struct{ name, cidr string }{
	{"public", "10.0.0.0/28"}, {"adapter", "10.0.0.16/28"}, {"small", "10.0.0.32/28"}, {"alisrc", "10.0.0.48/28"},
}

func testTopology() sim.Topology {
	v := sim.VPCSpec{Name: "vpc", CIDR: netip.MustParsePrefix("10.0.0.0/24")}
	for _, s := range testSubnets {
		v.Subnets = append(v.Subnets, sim.SubnetSpec{Name: s.name, CIDR: netip.MustParsePrefix(s.cidr)})
	}
	topo := sim.Topology{VPCs: []sim.VPCSpec{v}}
	for _, e := range testENIs {
		topo.Instances = append(topo.Instances, sim.InstanceSpec{Name: e.inst, VPC: "vpc",
			ENIs: []sim.ENISpec{{Name: "eth0", Subnet: e.subnet, IP: netip.MustParseAddr(e.ip), MTU: e.mtu}}})
	}
	return topo
}

// baseSpec is the account matching testTopology: ENI ids are "eni-" + the
// instance name, no security groups or ACLs (all open), no sessions.
func baseSpec() cloudmock.Spec {
	s := cloudmock.Spec{Vpcs: []cloudmock.Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/24"}}}
	for _, sn := range testSubnets {
		s.Subnets = append(s.Subnets, cloudmock.Subnet{SubnetId: "subnet-" + sn.name, VpcId: "vpc-1", CidrBlock: sn.cidr})
	}
	for _, e := range testENIs {
		s.NetworkInterfaces = append(s.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: "eni-" + e.inst,
			SubnetId: "subnet-" + e.subnet, PrivateIpAddress: e.ip, Mtu: e.mtu})
	}
	return s
}

// session adds a target (ENI target "tmt-<inst>" unless it exists), a filter
// and a session from eni-<src>.
func addSession(s *cloudmock.Spec, id, src, targetInst string, number, vni int, f cloudmock.TrafficMirrorFilter) {
	tid := "tmt-" + targetInst
	found := false
	for _, t := range s.TrafficMirrorTargets {
		found = found || t.TrafficMirrorTargetId == tid
	}
	if !found && targetInst != "nlb" {
		s.TrafficMirrorTargets = append(s.TrafficMirrorTargets, &cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: tid, NetworkInterfaceId: "eni-" + targetInst})
	}
	f.TrafficMirrorFilterId = "tmf-" + id
	s.TrafficMirrorFilters = append(s.TrafficMirrorFilters, &f)
	s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &cloudmock.TrafficMirrorSession{
		TrafficMirrorSessionId: id, NetworkInterfaceId: "eni-" + src, TrafficMirrorTargetId: tid,
		TrafficMirrorFilterId: f.TrafficMirrorFilterId, SessionNumber: number, VirtualNetworkId: new(vni)})
}

// rule is a filter rule on protocol proto (0: all) and a destination port
// range (0, 0: any).
func rule(n int, action string, proto, dpFrom, dpTo int) cloudmock.TrafficMirrorFilterRule {
	r := cloudmock.TrafficMirrorFilterRule{RuleNumber: n, RuleAction: action, Protocol: proto,
		SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}
	if dpFrom != 0 {
		r.DestinationPortRange = &cloudmock.TrafficMirrorPortRange{FromPort: dpFrom, ToPort: dpTo}
	}
	return r
}

// srule is a filter rule on a source port range (for egress replies).
func srule(n int, action string, proto, spFrom, spTo int) cloudmock.TrafficMirrorFilterRule {
	r := rule(n, action, proto, 0, 0)
	r.SourcePortRange = &cloudmock.TrafficMirrorPortRange{FromPort: spFrom, ToPort: spTo}
	return r
}

var (
	sharedLabOnce sync.Once
	sharedLab     *sim.Lab
	sharedLabErr  error
	sharedLabStop func() // cancels CloseOnSignal
)

// testLab returns the lab shared by this package's privileged tests
// (realising it takes longer than most tests). TestMain closes it; SIGINT
// and SIGTERM close it too; its state file lives in sim's default state
// directory, so `mirrorlab clean` removes what a killed test run left.
func testLab(t testing.TB) *sim.Lab {
	t.Helper()
	privtest.Require(t)
	sharedLabOnce.Do(func() {
		sharedLab, sharedLabErr = sim.Realize(context.Background(), testTopology(), sim.Options{})
		if sharedLabErr == nil {
			sharedLabStop = sim.CloseOnSignal(sharedLab, nil)
		}
	})
	if sharedLabErr != nil {
		t.Fatalf("realize lab: %v", sharedLabErr)
	}
	return sharedLab
}

// startService builds the model from spec and starts the service on lab;
// Close runs (and must succeed) when the test ends.
func startService(t *testing.T, lab *sim.Lab, spec cloudmock.Spec, mod func(*Config)) (*Service, *cloudmock.Model) {
	t.Helper()
	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	// The default ring (16 blocks of 256 KiB): with 4 blocks retired every
	// 2 ms, a capture goroutine kept off the CPU for 8 ms by the other
	// packages' tests lost copies (TestPrivilegedNLB: RingDrops 18, 54 of
	// 72 copies, in a full make test run on the 2-core machine).
	cfg := Config{Model: m, Spec: &spec, Lab: lab}
	if mod != nil {
		mod(&cfg)
	}
	svc, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return svc, m
}
