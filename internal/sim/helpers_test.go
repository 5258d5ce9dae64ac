package sim

import (
	"context"
	"net/netip"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// walkthrough is the layout of the reference walk-through: one VPC cut into
// /28s, a production server and a client in public, the adapter in adapter,
// the test server in test.
func walkthrough() Topology {
	return Topology{
		VPCs: []VPCSpec{{Name: "vpc", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Subnets: []SubnetSpec{
			{Name: "public", CIDR: netip.MustParsePrefix("10.0.0.0/28")},
			{Name: "adapter", CIDR: netip.MustParsePrefix("10.0.0.16/28")},
			{Name: "test", CIDR: netip.MustParsePrefix("10.0.0.32/28")},
		}}},
		Instances: []InstanceSpec{
			{Name: "prod", VPC: "vpc", ENIs: []ENISpec{{Name: "eth0", Subnet: "public"}}},
			{Name: "adapter", VPC: "vpc", ENIs: []ENISpec{{Name: "eth0", Subnet: "adapter"}}},
			{Name: "testsrv", VPC: "vpc", ENIs: []ENISpec{{Name: "eth0", Subnet: "test"}}},
			{Name: "client", VPC: "vpc", ENIs: []ENISpec{{Name: "eth0", Subnet: "public"}}},
		},
	}
}

// realize builds topo with the default state directory (so `mirrorlab
// clean` finds what a killed test binary left; the sweeper only removes runs
// whose owner is dead), and closes the lab when the test ends (failing the
// test if Close fails).
func realize(tb testing.TB, topo Topology) *Lab {
	tb.Helper()
	privtest.Require(tb)
	lab, err := Realize(context.Background(), topo, Options{})
	if err != nil {
		tb.Fatalf("Realize: %v", err)
	}
	tb.Cleanup(func() {
		if err := lab.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return lab
}
