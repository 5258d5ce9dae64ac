package stream

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
)

// BenchmarkIdleHalfOpenStreams opens 100 000 connections that send a SYN
// and (partial=true) the first bytes of a request head, then go silent, and
// reports the live heap they hold. A further 10 000 connections over the
// stream cap show the bound: they are rejected and add little.
func BenchmarkIdleHalfOpenStreams(b *testing.B) {
	for _, partial := range []bool{false, true} {
		b.Run(fmt.Sprintf("partial-head=%v", partial), func(b *testing.B) {
			const streams = 100_000
			for i := 0; i < b.N; i++ {
				h := newHarness(b, Config{MaxStreams: streams})
				var in frame.Inner
				pkts := make([][]byte, 0, 2)
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				var peak uint64
				var ms runtime.MemStats
				for c := 0; c < streams+10_000; c++ {
					if c%10_000 == 0 {
						// Sampled peak of the heap in use (garbage included).
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
					}
					pkts = pkts[:0]
					// 110 000 distinct clients: vary the port and the last
					// address byte.
					sport := uint16(1024 + c%60000)
					pkts = append(pkts, ipPacketFrom(b, byte(c/60000), sport, seg{seq: 1, syn: true}))
					if partial {
						pkts = append(pkts, ipPacketFrom(b, byte(c/60000), sport, seg{seq: 2, payload: []byte("GET /a/long/path?with=query HTTP/1.1\r\nHost: idle.example\r\n")}))
					}
					for _, p := range pkts {
						if in.DecodeIP(p) != frame.OK || in.DecodeTCP() != frame.OK {
							b.Fatal("decode")
						}
						h.shard.Packet(&in, 1, h.now)
					}
				}
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				s := h.c.Snapshot()
				if s.Streams.Active != streams || s.Streams.Rejected != 10_000 {
					b.Fatalf("active %d rejected %d", s.Streams.Active, s.Streams.Rejected)
				}
				live := float64(after.HeapAlloc) - float64(before.HeapAlloc)
				b.ReportMetric(live/(1<<20), "MiB-live")
				b.ReportMetric((float64(peak)-float64(before.HeapInuse))/(1<<20), "MiB-peak-inuse")
				b.ReportMetric(live/streams, "B/stream")
				runtime.KeepAlive(h)
			}
		})
	}
}
