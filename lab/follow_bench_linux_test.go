package lab

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// fleetSpec is a VPC whose one subnet holds n instances (i-0 … i-<n-1>)
// and a mirror target instance (i-tgt).
func fleetSpec(n int) cloudmock.Spec {
	s := cloudmock.Spec{Profile: "aws", Vpcs: []cloudmock.Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/16"}},
		Subnets: []cloudmock.Subnet{{SubnetId: "subnet-a", VpcId: "vpc-1", CidrBlock: "10.0.0.0/20"}}}
	s = withInstance(s, "i-tgt", "subnet-a", "10.0.0.5")
	for i := range n {
		s = withInstance(s, fmt.Sprintf("i-%d", i), "subnet-a", fleetAddr(i).String())
	}
	return s
}

func fleetAddr(i int) netip.Addr {
	a := netip.MustParseAddr("10.0.0.10").As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) + uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// BenchmarkFollowAddInstance: on a running, served lab of N instances
// (every ENI captured), one instance is added with a session on its ENI,
// and the time until the target receives the first copy of a datagram
// sent to it is measured (add-ms, median); then it is removed again
// (remove-ms, median: until the lab and the mirror service are rid of
// it). N=1000 runs with MIRRORLAB_BENCH_LARGE=1 (building it takes
// minutes on a small machine).
func BenchmarkFollowAddInstance(b *testing.B) {
	sizes := []int{100}
	if os.Getenv("MIRRORLAB_BENCH_LARGE") != "" {
		sizes = append(sizes, 1000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) { benchFollowAdd(b, n) })
	}
}

func benchFollowAdd(b *testing.B, n int) {
	base := fleetSpec(n)
	l := buildFollowing(b, base)
	vx := udpIn(b, l, "i-tgt", 4789)
	snd := udpIn(b, l, "i-0", 9001)
	newAddr := fleetAddr(n + 1)
	dst := netip.AddrPortFrom(newAddr, 9000)
	var adds, removes []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("i-new%d", i)
		spec := withSession(withInstance(base, id, "subnet-a", newAddr.String()), id, "i-tgt", 100+i%1000)
		start := time.Now()
		if err := l.Apply(b.Context(), FollowSpec{Spec: spec}); err != nil {
			b.Fatalf("add %s: %v", id, err)
		}
		if err := firstCopy(snd, vx, dst, 100+i%1000, 5*time.Second); err != nil {
			b.Fatalf("add %s: %v", id, err)
		}
		adds = append(adds, time.Since(start))
		start = time.Now()
		if err := l.Apply(b.Context(), FollowSpec{Spec: base}); err != nil {
			b.Fatalf("remove %s: %v", id, err)
		}
		removes = append(removes, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(median(adds), "add-ms")
	b.ReportMetric(median(removes), "remove-ms")
}

// firstCopy sends a datagram to dst every millisecond until the target
// socket vx receives a copy with VNI vni.
func firstCopy(snd, vx *net.UDPConn, dst netip.AddrPort, vni int, limit time.Duration) error {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		if _, err := snd.WriteToUDPAddrPort([]byte("first"), dst); err != nil {
			return err
		}
		got, err := recvVXLAN(vx, time.Millisecond)
		if err == nil && got == uint32(vni) {
			return nil
		}
	}
	return fmt.Errorf("no copy with VNI %d within %v", vni, limit)
}

func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}
