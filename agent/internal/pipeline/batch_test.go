package pipeline

import (
	"fmt"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// batchDatagrams is the datagrams of flows connections, each sending
// one request (SYN, data, FIN).
func batchDatagrams(flows int) [][]byte {
	var out [][]byte
	for i := 0; i < flows; i++ {
		c := netip.AddrPortFrom(client.Addr(), uint16(40000+i))
		out = append(out, flowDatagrams(1, pktgen.NewFlow(c, server, 1000), fmt.Sprintf("GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i), true)...)
	}
	return out
}

// queued returns how many batches and packets wait in each worker's queue.
func queued(e *Engine) (batches, packets []int) {
	for _, q := range e.queues {
		batches = append(batches, len(q))
		n := 0
		for i := len(q); i > 0; i-- {
			b := <-q
			n += len(b.pkts)
			q <- b // the order of a queue is kept: every batch goes round once
		}
		packets = append(packets, n)
	}
	return batches, packets
}

// Between BeginBatch and EndBatch a decoder holds the packets back (but
// sends a worker's batch once it is full) and then sends one batch per
// worker; without
// BeginBatch each packet is sent alone. The workers, started afterwards,
// rebuild every request either way.
func TestDecoderBatchesPerRead(t *testing.T) {
	dgs := batchDatagrams(40) // 120 packets
	for _, tc := range []struct {
		name  string
		batch bool
	}{{"one read", true}, {"no batch", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s := &sink{}
			c := metrics.New()
			e := New(Config{Ports: []uint16{80}, Workers: 2, QueueLen: 1000, Counters: c, Stream: stream.Config{Sink: s.add}})
			d := e.NewDecoder()
			now := time.Now()
			if tc.batch {
				d.BeginBatch()
			}
			for _, dg := range dgs {
				d.Datagram(dg, now)
			}
			if b, p := queued(e); tc.batch && (p[0] != b[0]*batchLen || p[1] != b[1]*batchLen) {
				t.Fatalf("before EndBatch: %v packets in %v batches, want only full ones", p, b)
			}
			if tc.batch {
				d.EndBatch()
			}
			batches, packets := queued(e)
			if packets[0]+packets[1] != len(dgs) || packets[0] == 0 || packets[1] == 0 {
				t.Fatalf("packets queued per worker %v, want %d over both", packets, len(dgs))
			}
			for w := range batches {
				want := packets[w] // one each
				if tc.batch {
					want = (packets[w] + batchLen - 1) / batchLen
				}
				if batches[w] != want {
					t.Fatalf("worker %d: %d packets in %d batches, want %d", w, packets[w], batches[w], want)
				}
			}
			e.Start()
			e.Close()
			if got := c.ReassemblyPackets.Load(); got != uint64(len(dgs)) {
				t.Fatalf("reassembled %d packets, want %d", got, len(dgs))
			}
			sort.Strings(s.got)
			if len(s.got) != 40 {
				t.Fatalf("%d requests, want 40: %v", len(s.got), s.got)
			}
		})
	}
}

// A full queue drops a whole batch, counted packet by packet, and gives
// back its budget; a closed engine drops what is sent after.
func TestBatchDropsCountEachPacket(t *testing.T) {
	c := metrics.New()
	e := New(Config{Ports: []uint16{80}, Workers: 1, QueueLen: 1, Counters: c, Stream: stream.Config{Sink: (&sink{}).add}})
	d := e.NewDecoder()
	now := time.Now()
	dgs := batchDatagrams(4) // 12 packets
	d.BeginBatch()
	for _, dg := range dgs[:6] {
		d.Datagram(dg, now)
	}
	d.EndBatch() // fills the queue of one
	d.BeginBatch()
	for _, dg := range dgs[6:] {
		d.Datagram(dg, now)
	}
	d.EndBatch() // dropped: 6 packets
	if got := c.ShardDrops.Load(); got != 6 {
		t.Fatalf("shard drops %d, want 6", got)
	}
	e.Start()
	e.Close()
	d.Datagram(dgs[0], now)
	if got := c.ShardDrops.Load(); got != 7 {
		t.Fatalf("shard drops after close %d, want 7", got)
	}
	if used := e.budget.Used(); used != 0 {
		t.Fatalf("budget still charged %d bytes", used)
	}
}
