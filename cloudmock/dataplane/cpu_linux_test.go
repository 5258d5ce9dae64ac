package dataplane

import (
	"context"
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// BenchmarkPrivilegedMirrorCPU compares, at one fixed rate every path
// sustains (cpuRate), this process's CPU per mirrored frame of the send
// paths in one run: the routed raw send (Config.RoutedSend), the direct
// write onto the receiver's bridge port (the default), and the kernel's tc
// mirred on the same fabric port; the no-mirror path's CPU is taken off
// each. It also reports the share of copies that reached tgt1. Lighter
// than BenchmarkPrivilegedMirrorRate (no zero-loss search), so it can
// compare the paths on a busy machine:
//
//	go test -run '^$' -bench PrivilegedMirrorCPU -benchtime 1x -count 5
func BenchmarkPrivilegedMirrorCPU(b *testing.B) {
	lab := testLab(b)
	listenUDP(b, lab, "web", 9000)  // never read: no ICMP, no reader limit
	listenUDP(b, lab, "tgt1", 4789) // never read either
	spec := baseSpec()
	addSession(&spec, "tms", "web", "tgt1", 1, rateVNI, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	m, err := cloudmock.New(spec)
	if err != nil {
		b.Fatal(err)
	}
	tgt := lab.Instance("tgt1")
	for _, size := range []int{64, 512, 1400, 8961} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			g := newGenerator(b, lab, size)
			g.run(2000, 50e6) // warm-up: neighbours, caches
			measure := func() (cpu, delivered float64) {
				m0 := rxPackets(b, tgt)
				cpu = cpuPerPacket(b, g)
				return cpu, float64(rxPackets(b, tgt)-m0) / float64(cpuRate*cpuDuration.Seconds())
			}
			for b.Loop() {
				none, _ := measure()
				var cpu [2]float64
				for i, routed := range []bool{true, false} {
					svc, err := Start(context.Background(), Config{Model: m, Lab: lab, RoutedSend: routed})
					if err != nil {
						b.Fatal(err)
					}
					var got float64
					cpu[i], got = measure()
					if err := svc.Close(); err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(got, []string{"routed", "direct"}[i]+"-delivered")
				}
				remove := tcMirred(b, lab)
				tc, tcGot := measure()
				remove()
				b.ReportMetric(tcGot, "tc-delivered")
				b.ReportMetric(cpu[0]-none, "routed-cpu-us/pkt")
				b.ReportMetric(cpu[1]-none, "direct-cpu-us/pkt")
				b.ReportMetric(tc-none, "tc-cpu-us/pkt")
				b.ReportMetric((cpu[1]-none)/(tc-none), "direct/tc")
				b.ReportMetric((cpu[0]-none)/(tc-none), "routed/tc")
			}
		})
	}
}
