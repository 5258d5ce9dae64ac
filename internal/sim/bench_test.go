package sim

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// manyENIs is a VPC of four /24 subnets with n single-ENI instances spread
// over them.
func manyENIs(n int) Topology {
	t := Topology{VPCs: []VPCSpec{{Name: "big", CIDR: netip.MustParsePrefix("10.0.0.0/16")}}}
	for s := range 4 {
		t.VPCs[0].Subnets = append(t.VPCs[0].Subnets, SubnetSpec{
			Name: fmt.Sprintf("s%d", s), CIDR: netip.MustParsePrefix(fmt.Sprintf("10.0.%d.0/24", s))})
	}
	for i := range n {
		t.Instances = append(t.Instances, InstanceSpec{Name: fmt.Sprintf("i%d", i), VPC: "big",
			ENIs: []ENISpec{{Name: "eth0", Subnet: fmt.Sprintf("s%d", i%4)}}})
	}
	return t
}

func benchRealize(b *testing.B, topo Topology) {
	privtest.Require(b)
	dir := b.TempDir()
	for b.Loop() {
		lab, err := Realize(context.Background(), topo, Options{StateDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if err := lab.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRealizeWalkthrough: realise and tear down the walk-through lab
// (1 VPC, 3 subnets, 4 instances). Target: under 0.5 s.
func BenchmarkRealizeWalkthrough(b *testing.B) { benchRealize(b, walkthrough()) }

// BenchmarkRealize100ENIs: realise and tear down 100 single-ENI instances
// in 4 subnets. Target: under 10 s.
func BenchmarkRealize100ENIs(b *testing.B) { benchRealize(b, manyENIs(100)) }

func TestManyENIsValidates(t *testing.T) {
	r, err := manyENIs(100).Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Instances[99].ENIs[0].IP.String(); got != "10.0.3.28" {
		t.Fatalf("100th ENI got %s, want 10.0.3.28", got)
	}
}
