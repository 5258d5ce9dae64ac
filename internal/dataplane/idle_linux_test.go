package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// idleLab realises n instances with one ENI each in one subnet and the
// matching account (no sessions).
func idleLab(b *testing.B, n int) (*sim.Lab, cloudmock.Spec) {
	v := sim.VPCSpec{Name: "idle", CIDR: netip.MustParsePrefix("10.9.0.0/16"),
		Subnets: []sim.SubnetSpec{{Name: "s", CIDR: netip.MustParsePrefix("10.9.0.0/20")}}}
	topo := sim.Topology{VPCs: []sim.VPCSpec{v}}
	spec := cloudmock.Spec{Vpcs: []cloudmock.Vpc{{VpcId: "vpc-idle", CidrBlock: "10.9.0.0/16"}},
		Subnets: []cloudmock.Subnet{{SubnetId: "subnet-s", VpcId: "vpc-idle", CidrBlock: "10.9.0.0/20"}}}
	for i := range n {
		ip := netip.AddrFrom4([4]byte{10, 9, byte((i + 10) >> 8), byte(i + 10)})
		name := "i" + strconv.Itoa(i)
		topo.Instances = append(topo.Instances, sim.InstanceSpec{Name: name, VPC: "idle",
			ENIs: []sim.ENISpec{{Name: "eth0", Subnet: "s", IP: ip}}})
		spec.NetworkInterfaces = append(spec.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: "eni-" + name,
			SubnetId: "subnet-s", PrivateIpAddress: ip.String()})
	}
	lab, err := sim.Realize(context.Background(), topo, sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := lab.Close(); err != nil {
			b.Error(err)
		}
	})
	return lab, spec
}

// osThreads is the process's number of OS threads.
func osThreads(b testing.TB) int {
	b.Helper()
	return procStatus(b, "Threads:")
}

// procStatus is the number after key in /proc/self/status (kB for sizes).
func procStatus(b testing.TB, key string) int {
	b.Helper()
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, key); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// BenchmarkPrivilegedIdleRings reports what a service capturing n idle
// ENIs (user space only) costs to start (start-ms: Start until the rings
// are open and the goroutines run; rings: how many it opened) and while
// nothing arrives: the process's CPU per second, its OS threads and
// resident memory (rings, queues), and the rate at which the rings'
// block timers fire (in the kernel, not in the process's CPU).
// Run it once: go test -run '^$' -bench PrivilegedIdleRings -benchtime 1x.
func BenchmarkPrivilegedIdleRings(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("%d-ENIs", n), func(b *testing.B) {
			lab, spec := idleLab(b, n)
			m, err := cloudmock.New(spec)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				t0, rss0 := osThreads(b), procStatus(b, "VmRSS:")
				start := time.Now()
				svc, err := Start(context.Background(), Config{Model: m, Lab: lab, AllENIs: true, UserSpaceOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				started := time.Since(start)
				time.Sleep(500 * time.Millisecond)
				const window = 3 * time.Second
				c0 := processCPU(b)
				time.Sleep(window)
				cpu := processCPU(b) - c0
				th, rss := osThreads(b)-t0, procStatus(b, "VmRSS:")-rss0
				pipes := svc.pipelines()
				tov := pipes[0].ring.blockTimeout
				rings := map[*ring]bool{}
				for _, p := range pipes {
					rings[p.ring] = true
				}
				if err := svc.Close(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(cpu.Milliseconds())/window.Seconds(), "cpu-ms/s")
				b.ReportMetric(float64(th), "threads")
				b.ReportMetric(float64(rss)/1024, "rss-MB")
				b.ReportMetric(float64(len(rings))/tov.Seconds(), "timer-fires/s")
				b.ReportMetric(float64(len(rings)), "rings")
				b.ReportMetric(float64(started.Milliseconds()), "start-ms")
			}
		})
	}
}
