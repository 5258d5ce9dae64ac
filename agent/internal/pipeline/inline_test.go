package pipeline

import (
	"fmt"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// TestInlineReassembly: with Inline, requests are delivered on the
// decoding goroutine itself (before Datagram returns, no worker), from
// several decoders at once, and a packet after Close is counted, not
// reassembled.
func TestInlineReassembly(t *testing.T) {
	e, s, c := newEngine(t, Config{Ports: []uint16{80}, Inline: true})
	now := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := e.NewDecoder()
			for i := 0; i < 10; i++ {
				port := uint16(40000 + g*100 + i)
				f := pktgen.NewFlow(netip.AddrPortFrom(client.Addr(), port), server, 100)
				for _, dg := range flowDatagrams(1, f, fmt.Sprintf("GET /%d HTTP/1.1\r\nHost: h\r\n\r\n", port), false) {
					d.Datagram(dg, now)
				}
			}
		}()
	}
	wg.Wait()
	// Delivered already: no worker, nothing queued.
	if got := len(s.got); got != 40 {
		t.Fatalf("%d requests delivered before Close, want 40", got)
	}
	e.Close()
	late := pktgen.NewFlow(client, server, 5)
	for _, dg := range flowDatagrams(1, late, "GET /late HTTP/1.1\r\nHost: h\r\n\r\n", false) {
		e.NewDecoder().Datagram(dg, now)
	}
	snap := c.Snapshot()
	if snap.ShardDrops != 2 || snap.ReassemblyPackets != 80 {
		t.Fatalf("shard drops %d (want the 2 late packets), reassembled %d (want 80)", snap.ShardDrops, snap.ReassemblyPackets)
	}
}

// TestInlineFlushesGaps: the inline shard is flushed on the engine's
// interval, so a request behind a lost segment is given up (and a later
// one delivered) without waiting for another packet.
func TestInlineFlushesGaps(t *testing.T) {
	e, s, c := newEngine(t, Config{Ports: []uint16{80}, Inline: true, FlushInterval: 10 * time.Millisecond,
		Stream: stream.Config{GapTimeout: 20 * time.Millisecond}})
	d := e.NewDecoder()
	f := pktgen.NewFlow(client, server, 1)
	segs := append([]pktgen.Segment{f.SYN()}, f.Write([]byte("GET /lost HTTP/1.1\r\nHost: h\r\n\r\n"))...)
	segs = append(segs, f.Write([]byte("GET /after HTTP/1.1\r\nHost: h\r\n\r\n"))...)
	for i, seg := range segs {
		if i == 1 {
			continue // lost
		}
		d.Datagram(pktgen.VXLAN(1, f.Frame(seg)), time.Now())
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Snapshot().Streams.Gaps == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s.mu.Lock()
	got := append([]string(nil), s.got...)
	s.mu.Unlock()
	if want := []string{"1 GET /after"}; !reflect.DeepEqual(got, want) || c.Snapshot().Streams.Gaps != 1 {
		t.Fatalf("requests %q gaps %d before Close, want %q and 1 gap", got, c.Snapshot().Streams.Gaps, want)
	}
	e.Close()
}
