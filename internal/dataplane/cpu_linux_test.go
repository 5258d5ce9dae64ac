package dataplane

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkPrivilegedMirrorCPU compares, at one fixed rate every path
// sustains (cpuRate), the CPU per mirrored frame of the paths in one run:
// the user-space path's routed raw send (Config.RoutedSend) and its
// direct write onto the receiver's bridge port (Config.UserSpaceOnly),
// the in-kernel path (the default), and the kernel's tc mirred on the
// same fabric port; the no-mirror path's CPU is taken off each. It also
// reports the share of copies that reached tgt1. Lighter than
// BenchmarkPrivilegedMirrorRate (no zero-loss search), so it can compare
// the paths on a busy machine:
//
//	go test -run '^$' -bench PrivilegedMirrorCPU -benchtime 1x -count 5
func BenchmarkPrivilegedMirrorCPU(b *testing.B) {
	lab, m := rateBench(b)
	tgt := lab.Instance("tgt1")
	paths := []struct {
		name string
		cfg  Config
	}{
		{"routed", Config{RoutedSend: true}},
		{"direct", Config{UserSpaceOnly: true}},
		{"kernel", Config{}},
	}
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
				cpu := make([]float64, len(paths))
				for i, p := range paths {
					cfg := p.cfg
					cfg.Model, cfg.Lab = m, lab
					svc, err := Start(context.Background(), cfg)
					if err != nil {
						b.Fatal(err)
					}
					var got float64
					cpu[i], got = measure()
					if err := svc.Close(); err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(got, p.name+"-delivered")
				}
				remove := tcMirred(b, lab)
				tc, tcGot := measure()
				remove()
				b.ReportMetric(tcGot, "tc-delivered")
				b.ReportMetric(tc-none, "tc-cpu-us/pkt")
				for i, p := range paths {
					b.ReportMetric(cpu[i]-none, p.name+"-cpu-us/pkt")
					b.ReportMetric((cpu[i]-none)/(tc-none), p.name+"/tc")
				}
			}
		})
	}
}
